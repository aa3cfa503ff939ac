import { gzipSync } from "node:zlib";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Sessions } from "../../src/mcp/index.ts";
import { Sandbox } from "../../src/sandbox/index.ts";
import type { RunningServer } from "../../src/server/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { startTestServer } from "../helpers/server.ts";

const unavailable = sandboxUnavailableReason();
const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdefgh";
/** Why alice, past her 3 runs of the minute, is refused. */
const ALICE_REFUSED = /^3 runs started in the last minute \(at most 3\): try again in \d+ s$/;
/** A client with a limit of its own, lower than the server's. */
const CARL = "carl-token-0123456789abcdefg";
// Dora's runs are the envd test's alone.
const DORA = "dora-token-0123456789abcdefg";

/** An MCP client of the SDK's own, over HTTP, presenting `token`. */
async function mcpClient(server: RunningServer, token: string): Promise<Client> {
  const client = new Client({ name: "security-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("mcp", server.url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe.skipIf(unavailable)(
  `tokens and per-client limits (${unavailable ?? "real sandboxes"})`,
  { timeout: 60_000 },
  () => {
    let server: RunningServer;
    const store = RunStore.open(":memory:");
    beforeAll(async () => {
      server = await startTestServer(store, {
        clients: [
          { name: "alice", token: ALICE },
          { name: "bob", token: BOB },
          { name: "carl", token: CARL, limits: { perMinute: 1 } },
          { name: "dora", token: DORA },
        ],
        limits: {
          concurrent: 1,
          perMinute: 3,
          bodyBytes: 1024 * 1024,
          sessions: 1,
          contexts: 2,
          sandboxes: 8,
          sandboxIdleMs: 60_000,
        },
      });
    });
    afterAll(async () => {
      await server?.close();
      store.close();
    });

    /** A run on the E2B API, read to its end (a run holds its place in the limits while it streams). */
    const execute = async (token: string | null, code = "1 + 1") => {
      const response = await fetch(new URL("execute", server.e2bUrl as string), {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ code }),
      });
      return { status: response.status, body: await response.text() };
    };

    test("without a known token nothing is served, and the answer says what to send", async () => {
      const page = await fetch(server.url);
      const pageAnswer = { status: page.status, body: await page.text() };
      for (const response of [await execute(null), await execute("not-a-token-of-anyone"), pageAnswer]) {
        expect(response.status).toBe(401);
        expect(response.body).toContain("send Authorization: Bearer TOKEN");
      }
      // A token in the address opens the page once: it becomes a cookie and leaves the address.
      const opened = await fetch(`${server.url}?token=${BOB}&x=1`, { redirect: "manual" });
      expect([opened.status, opened.headers.get("location")]).toEqual([303, "/?x=1"]);
      const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      expect(cookie).toMatch(/^litmus_token=/);
      expect((await fetch(`${server.url}?x=1`, { headers: { cookie } })).status).toBe(200);
      // An API call with the token in its query string is refused: tokens go in headers.
      const queried = await fetch(new URL(`execute?token=${BOB}`, server.e2bUrl as string), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "1" }),
      });
      expect(queried.status).toBe(401);
    });

    test("each token has its own limits: alice running out leaves bob untouched", async () => {
      const alice = [await execute(ALICE), await execute(ALICE), await execute(ALICE)];
      expect(alice.map((response) => response.status)).toEqual([200, 200, 200]);
      const refused = await execute(ALICE);
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toEqual({ error: expect.stringMatching(ALICE_REFUSED) });
      expect((await execute(BOB)).status).toBe(200);
      // Carl's own limit is lower than the server's.
      expect((await execute(CARL)).status).toBe(200);
      const carl = await execute(CARL);
      expect([carl.status, JSON.parse(carl.body)]).toEqual([
        429,
        { error: expect.stringMatching(/^1 runs started in the last minute \(at most 1\): try again in \d+ s$/) },
      ]);
    });

    test("MCP: sessions belong to their client, each may hold its limit, runs count against it", async () => {
      const bob = await mcpClient(server, BOB);
      const created = textOf(await bob.callTool({ name: "create_session", arguments: {} }));
      const sessionId = created.replace("session_id: ", "");
      const second = await bob.callTool({ name: "create_session", arguments: {} });
      expect([second.isError, textOf(second)]).toEqual([
        true,
        "litmus: 1 sessions of yours are open: close one (close_session) first",
      ]);
      expect(
        textOf(await bob.callTool({ name: "run_code", arguments: { code: "x = 5", session_id: sessionId } })),
      ).toBe("(no output)");

      // Alice cannot see bob's session, let alone run in it or close it; and her own runs are used up above.
      const alice = await mcpClient(server, ALICE);
      const intruding = await alice.callTool({ name: "read_file", arguments: { session_id: sessionId, path: "x" } });
      expect(textOf(intruding)).toContain(`no session ${sessionId}`);
      expect(textOf(await alice.callTool({ name: "close_session", arguments: { session_id: sessionId } }))).toBe(
        `no session ${sessionId}`,
      );
      const limited = await alice.callTool({ name: "run_code", arguments: { code: "1" } });
      expect([limited.isError, textOf(limited)]).toEqual([
        true,
        expect.stringMatching(`^refused: ${ALICE_REFUSED.source.slice(1)}`),
      ]);
      expect(
        textOf(await bob.callTool({ name: "run_code", arguments: { code: "x * 2", session_id: sessionId } })),
      ).toContain("10");
      await Promise.all([alice.close(), bob.close()]);
    });

    test("E2B API: each client has its own sandbox, contexts and files; commands count against its limits", async () => {
      const call = async (
        token: string,
        path: string,
        body?: unknown,
        method = body === undefined ? "GET" : "POST",
      ) => {
        const response = await fetch(new URL(path, server.e2bUrl as string), {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: await response.text() };
      };
      const created = await call(BOB, "contexts", { language: "python" });
      const context = JSON.parse(created.body) as { id: string };
      // After the sandbox's default contexts (python, javascript), each client's own.
      const ids = async (token: string) =>
        (JSON.parse((await call(token, "contexts")).body) as Array<{ id: string }>).map((listed) => listed.id);
      expect((await ids(BOB)).slice(2)).toEqual([context.id]);
      expect(await ids(ALICE)).toHaveLength(2);
      expect(await ids(ALICE)).not.toContain(context.id);
      expect((await call(ALICE, "execute", { code: "1", context_id: context.id })).status).toBe(404);
      expect((await call(ALICE, `contexts/${context.id}`, undefined, "DELETE")).status).toBe(404);
      // Bob's file is not in alice's sandbox.
      expect((await call(BOB, "files?path=secret.txt", "bob's")).status).toBe(200);
      expect((await call(BOB, "files?path=secret.txt")).body).toBe('"bob\'s"');
      expect((await call(ALICE, "files?path=secret.txt")).status).toBe(404);
      // Alice used her runs of the minute above: a command through envd's Process/Start is refused too.
      const request = Buffer.from(JSON.stringify({ process: { cmd: "/bin/bash", args: ["-l", "-c", "echo hi"] } }));
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), request]);
      framed.writeUInt32BE(request.length, 1);
      const command = await fetch(new URL("process.Process/Start", server.e2bUrl as string), {
        method: "POST",
        headers: { authorization: `Bearer ${ALICE}`, "content-type": "application/connect+json" },
        body: framed,
      });
      const answer = Buffer.from(await command.arrayBuffer());
      expect(answer[0]).toBe(2);
      expect(JSON.parse(answer.subarray(5).toString())).toEqual({
        error: {
          code: "resource_exhausted",
          message: expect.stringMatching(ALICE_REFUSED),
        },
      });
    });

    test("envd: one client's processes are not another's to list, follow, feed or kill; a gzip bomb is refused", async () => {
      const rpc = (token: string, method: string, body: unknown) =>
        fetch(new URL(`process.Process/${method}`, server.e2bUrl as string), {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const framed = (message: unknown) => {
        const json = Buffer.from(JSON.stringify(message));
        const frame = Buffer.concat([Buffer.alloc(5), json]);
        frame.writeUInt32BE(json.length, 1);
        return frame;
      };
      // Dora starts a process in the background and hangs up once it runs: it goes on running.
      const hangUp = new AbortController();
      const started = await fetch(new URL("process.Process/Start", server.e2bUrl as string), {
        method: "POST",
        headers: { authorization: `Bearer ${DORA}`, "content-type": "application/connect+json" },
        body: framed({ process: { cmd: "/bin/bash", args: ["-l", "-c", "sleep 30"] }, tag: "doras" }),
        signal: hangUp.signal,
      });
      const reader = (started.body as ReadableStream<Uint8Array>).getReader();
      const first = Buffer.from((await reader.read()).value ?? []);
      const pid = (JSON.parse(first.subarray(5).toString()) as { event: { start: { pid: number } } }).event.start.pid;
      hangUp.abort();
      const listed = async (token: string) =>
        ((await (await rpc(token, "List", {})).json()) as { processes: Array<{ pid: number; tag?: string }> })
          .processes;
      expect(await listed(ALICE)).toEqual([]);
      expect((await rpc(ALICE, "SendSignal", { process: { pid }, signal: "SIGNAL_SIGKILL" })).status).toBe(404);
      expect((await rpc(ALICE, "SendInput", { process: { tag: "doras" }, input: { stdin: "eA==" } })).status).toBe(404);
      const followed = await fetch(new URL("process.Process/Connect", server.e2bUrl as string), {
        method: "POST",
        headers: { authorization: `Bearer ${ALICE}`, "content-type": "application/connect+json" },
        body: framed({ process: { pid } }),
      });
      expect(
        Buffer.from(await followed.arrayBuffer())
          .subarray(5)
          .toString(),
      ).toContain("not_found");
      expect(await listed(DORA)).toMatchObject([{ pid, tag: "doras" }]);
      expect((await rpc(DORA, "SendSignal", { process: { pid }, signal: "SIGNAL_SIGKILL" })).status).toBe(200);
      // Gone within milliseconds as a rule (a process caught in uninterruptible I/O dies when it leaves it).
      await expect.poll(() => listed(DORA)).toEqual([]);
      // 64 MiB and more of zeros, compressed to a few hundred KiB: refused, not written or held in memory.
      const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024));
      const upload = await fetch(new URL("files?path=bomb.txt", server.e2bUrl as string), {
        method: "POST",
        headers: { authorization: `Bearer ${ALICE}`, "content-encoding": "gzip" },
        body: bomb,
      });
      expect(upload.status).toBe(400);
      expect(await upload.text()).toContain("gzip upload could not be read");
    });

    test("MCP sessions asked for at once cannot pass the limit; one still starting when the server stops is killed", async () => {
      const mcpSandboxes = () => Sandbox.list().filter((info) => info.metadata.purpose === "mcp session");
      const before = mcpSandboxes().length;
      const sessions = new Sessions({ perClient: 2 });
      const asked = await Promise.allSettled(Array.from({ length: 5 }, () => sessions.create("python", "eager")));
      expect(asked.filter((result) => result.status === "fulfilled")).toHaveLength(2);
      expect(asked.find((result) => result.status === "rejected")?.reason.message).toBe(
        "2 sessions of yours are open: close one (close_session) first",
      );
      const late = sessions.create("python", "late");
      await sessions.closeAll();
      await expect(late).rejects.toThrow("the server is stopping: no new sessions");
      expect(mcpSandboxes()).toHaveLength(before);
    });

    test("stopping the server ends every MCP session: no sandbox outlives it", async () => {
      const carol = await startTestServer(store, { e2bPort: null, token: "carol-token-0123456789abcdef" });
      const client = await mcpClient(carol, "carol-token-0123456789abcdef");
      const created = textOf(await client.callTool({ name: "create_session", arguments: {} }));
      const sessions = () => Sandbox.list().filter((info) => info.metadata.purpose === "mcp session");
      expect(sessions().map((info) => info.metadata.session)).toContain(created.replace("session_id: ", ""));
      await client.close();
      const before = sessions().length;
      await carol.close();
      expect(sessions().length).toBe(before - 1);
    });
  },
);
