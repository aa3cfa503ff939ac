import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { describe, expect, test } from "vitest";
import { DEFAULT_CLIENT_LIMITS } from "../../src/server/limits.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

/** Starts a request and waits for its headers, leaving its body unread (paused). */
function unread(url: URL, method = "GET", body?: string): Promise<{ sent: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers: { "content-type": "application/json" } }, (response) => {
      response.pause();
      resolve({ sent, response });
    });
    sent.once("error", reject);
    sent.end(body);
  });
}

/**
 * A client that asks and never reads made the server hold the answers: 50 unread 64 MiB downloads took it from
 * 0.5 to 3.2 GB, and 40 unread runs added 370 MiB. An answer now holds one of the client's places until it has
 * been read (or the client hung up), so a client can leave at most its concurrency's worth unread.
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("answers a client does not read", () => {
  const suite = serverForSuite({ limits: { ...DEFAULT_CLIENT_LIMITS, concurrent: 2 } });

  test("unread downloads and runs hold the client's places; read or dropped, they free them", async () => {
    const e2b = new URL(suite.server.e2bUrl as string);
    const made = await fetch(new URL("execute", e2b), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "open('big.bin', 'wb').write(bytes(32 * 1024 * 1024))" }),
    });
    expect(await made.text()).toContain("end_of_execution");
    const first = await unread(new URL("files?path=big.bin", e2b));
    const second = await unread(new URL("execute", e2b), "POST", JSON.stringify({ code: "'x' * 15_000_000" }));
    expect([first.response.statusCode, second.response.statusCode]).toEqual([200, 200]);
    const third = await fetch(new URL("files?path=big.bin", e2b));
    expect(third.status).toBe(429);
    expect(await third.text()).toContain("at most 2 at once");
    for (const { sent } of [first, second]) sent.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await fetch(new URL("files?path=big.bin", e2b));
    expect(again.status).toBe(200);
    expect((await again.arrayBuffer()).byteLength).toBe(32 * 1024 * 1024);
  });
});
