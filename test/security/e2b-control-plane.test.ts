import { Sandbox } from "@e2b/code-interpreter";
import { describe, expect, test } from "vitest";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

const unavailable = sandboxUnavailableReason();
// API keys of E2B's form (`e2b_` and hex), so the SDK takes them as they are.
const ALICE = `e2b_${"a1".repeat(20)}`;
const BOB = `e2b_${"b2".repeat(20)}`;

/**
 * Two clients of the control plane, each with an API key (a litmus token), try to reach each other's sandboxes:
 * by id through the API, and by sending sandbox requests that name the other's sandbox, with no token, their
 * own sandbox's token, or a forged signature.
 */
describe.skipIf(unavailable)(
  `E2B's control plane between clients (${unavailable ?? "real sandboxes"})`,
  { timeout: 60_000 },
  () => {
    const suite = serverForSuite({
      clients: [
        { name: "alice", token: ALICE, limits: { sandboxes: 2 } },
        { name: "bob", token: BOB },
      ],
    });
    const connection = (apiKey: string) => {
      const url = (suite.server.e2bUrl as string).replace(/\/$/, "");
      return { apiUrl: url, sandboxUrl: url, apiKey, debug: false };
    };
    /** A request to the E2B port, answering its status and body. */
    const call = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => {
      const response = await fetch(new URL(path, suite.server.e2bUrl as string), {
        ...init,
        headers: { "content-type": "application/json", ...init.headers },
      });
      return { status: response.status, body: await response.text() };
    };

    test("one client's sandboxes are not another's to see, find, time, connect to or kill", async () => {
      const alices = await Sandbox.create(connection(ALICE));
      try {
        const bob = connection(BOB);
        expect((await Sandbox.list(bob).nextItems()).map((sandbox) => sandbox.sandboxId)).not.toContain(
          alices.sandboxId,
        );
        await expect(Sandbox.getInfo(alices.sandboxId, bob)).rejects.toThrow(/not found/);
        await expect(Sandbox.connect(alices.sandboxId, bob)).rejects.toThrow(/not found/);
        await expect(Sandbox.setTimeout(alices.sandboxId, 1_000, bob)).rejects.toThrow(/not found/);
        expect(await Sandbox.kill(alices.sandboxId, bob)).toBe(false);
        expect(await alices.isRunning()).toBe(true);
        // Without a key, the control plane serves nothing.
        expect((await call("v2/sandboxes", {})).status).toBe(401);
        expect((await call("sandboxes", { method: "POST", body: JSON.stringify({ templateID: "base" }) })).status).toBe(
          401,
        );
      } finally {
        await alices.kill();
      }
    });

    test("naming another's sandbox in a request needs its token: neither a key nor another sandbox's token will do", async () => {
      const alices = await Sandbox.create(connection(ALICE));
      const bobs = await Sandbox.create(connection(BOB));
      try {
        await alices.files.write("/home/user/secret.txt", "alice's");
        const at = { "e2b-sandbox-id": alices.sandboxId };
        const tries: Record<string, string>[] = [
          {},
          { authorization: `Bearer ${BOB}` },
          { "x-api-key": BOB },
          { "x-access-token": "guessed" },
          // Bob's own sandbox's tokens, from its getInfo (envd's) and from creating it.
          { "x-access-token": (bobs as unknown as { envdAccessToken: string }).envdAccessToken },
          { "e2b-traffic-access-token": bobs.trafficAccessToken ?? "" },
        ];
        for (const headers of tries) {
          const read = await call("files?path=/home/user/secret.txt", { headers: { ...at, ...headers } });
          const run = await call("execute", {
            method: "POST",
            headers: { ...at, ...headers },
            body: JSON.stringify({ code: "open('/home/user/secret.txt').read()" }),
          });
          const contexts = await call("contexts", { headers: { ...at, ...headers } });
          expect([read.status, run.status, contexts.status], JSON.stringify(headers)).toEqual([401, 401, 401]);
        }
        // Alice's own token opens it; her key alone does too (the owner, as in debug mode).
        const token = (alices as unknown as { envdAccessToken: string }).envdAccessToken;
        expect(
          (await call("files?path=/home/user/secret.txt", { headers: { ...at, "x-access-token": token } })).body,
        ).toBe("alice's");
        expect((await call("files?path=/home/user/secret.txt", { headers: { ...at, "x-api-key": ALICE } })).body).toBe(
          "alice's",
        );
        // A signed URL names no sandbox: the one whose token signed it is the one it opens. Bob's, signed with his
        // sandbox's token, reads his sandbox (no such file there), never alice's; a made-up signature opens none.
        const bobsUrl = new URL(await bobs.downloadUrl("/home/user/secret.txt"));
        expect((await fetch(bobsUrl)).status).toBe(404);
        bobsUrl.searchParams.set("signature", `v1_${"A".repeat(43)}`);
        expect((await fetch(bobsUrl)).status).toBe(401);

        // A sandbox's token is for that sandbox, not for the control plane: without a key, nothing is served there.
        for (const path of ["v2/sandboxes", `sandboxes/${alices.sandboxId}`]) {
          expect((await call(path, { headers: { ...at, "x-access-token": token } })).status).toBe(401);
        }
        const created = await call("sandboxes", {
          method: "POST",
          headers: { ...at, "x-access-token": token },
          body: JSON.stringify({ templateID: "base" }),
        });
        expect(created.status).toBe(401);

        // Once killed, its token opens nothing: the sandbox is gone (502, as E2B's proxy says).
        await alices.kill();
        const after = await call("files?path=/home/user/secret.txt", { headers: { ...at, "x-access-token": token } });
        expect(after.status).toBe(502);
      } finally {
        await alices.kill();
        await bobs.kill();
      }
    });

    test("a client holds at most its limit of sandboxes; a killed one frees its place", async () => {
      const first = await Sandbox.create(connection(ALICE));
      const second = await Sandbox.create(connection(ALICE));
      try {
        await expect(Sandbox.create(connection(ALICE))).rejects.toThrow(
          /2 sandboxes of yours are running \(at most 2 at once\): kill one first/,
        );
        // Nor one that never ends (timeout 0), which would outlive every client that forgot it.
        const immortal = await call("sandboxes", {
          method: "POST",
          headers: { "x-api-key": BOB },
          body: JSON.stringify({ templateID: "base", timeout: 0 }),
        });
        expect([immortal.status, JSON.parse(immortal.body).code]).toEqual([400, 400]);
        // Bob's place is his own.
        const bobs = await Sandbox.create(connection(BOB));
        await bobs.kill();
        await first.kill();
        const third = await Sandbox.create(connection(ALICE));
        await third.kill();
      } finally {
        await first.kill();
        await second.kill();
      }
    });
  },
);
