import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, test } from "vitest";
import { createMcpServer } from "../../src/mcp/index.ts";
import { DEFAULT_CLIENT_LIMITS } from "../../src/server/limits.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

/** Starts a request and waits for its headers, leaving its body unread (paused). */
function unread(
  url: URL,
  method = "GET",
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ sent: ClientRequest; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers: { "content-type": "application/json", ...headers } }, (response) => {
      response.pause();
      resolve({ sent, response });
    });
    sent.once("error", reject);
    sent.end(body);
  });
}

/** A response's body length when it succeeded, its status otherwise. */
async function bytesOrStatus(answer: Promise<Response>): Promise<number> {
  const response = await answer;
  return response.ok ? (await response.arrayBuffer()).byteLength : response.status;
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
    await expect.poll(() => bytesOrStatus(fetch(new URL("files?path=big.bin", e2b)))).toBe(32 * 1024 * 1024);
  });

  // Over HTTP a tool's answer is the response body: read_file's place was freed when the file had been read into
  // memory, before the client read the answer, so unread reads piled up.
  test("unread MCP answers over HTTP hold the client's places until read", async () => {
    const mcp = new URL("mcp", suite.server.url);
    const headers = {
      authorization: `Bearer ${suite.server.token}`,
      accept: "application/json, text/event-stream",
    };
    let id = 0;
    const call = (name: string, args: Record<string, unknown>) =>
      JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args } });
    const post = async (body: string) =>
      (await fetch(mcp, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body })).text();
    const session = /session_id: ([0-9a-f-]{36})/.exec(await post(call("create_session", {})))?.[1] as string;
    expect(session).toBeTruthy();
    expect(
      await post(call("run_code", { session_id: session, code: "open('big.txt', 'w').write('x' * (8 << 20))" })),
    ).not.toContain('"isError":true');
    const read = call("read_file", { session_id: session, path: "big.txt" });
    const first = await unread(mcp, "POST", read, headers);
    const second = await unread(mcp, "POST", read, headers);
    expect(await post(read)).toContain("at most 2 at once");
    for (const { sent } of [first, second]) sent.destroy();
    await expect.poll(async () => (await post(read)).length).toBeGreaterThan(8 << 20);
    await post(call("close_session", { session_id: session }));
  });

  // The places came back as the connection closed, while the runs went on: hanging up right after asking let a
  // client run past its limit (600 runs a minute, each up to 600 s).
  test("runs a client hung up on keep its places until they end", async () => {
    const mcp = new URL("mcp", suite.server.url);
    const headers = {
      authorization: `Bearer ${suite.server.token}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
    };
    const run = (code: string) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "run_code", arguments: { code } },
      });
    const hungUp = await Promise.all(
      [1, 2].map(async () => {
        const sent = request(mcp, { method: "POST", headers });
        sent.on("error", () => {});
        sent.end(run("import time; time.sleep(4)"));
        await new Promise((resolve) => setTimeout(resolve, 800));
        sent.destroy();
      }),
    );
    expect(hungUp).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await (await fetch(mcp, { method: "POST", headers, body: run("1 + 1") })).text();
    expect(third).toContain("at most 2 at once");
    // Once the two runs have ended (4 s each, after a sandbox start that a loaded machine makes slow).
    const later = () =>
      fetch(mcp, { method: "POST", headers, body: run("print(1 + 1)") }).then((answer) => answer.text());
    await expect.poll(later, { timeout: 20_000, interval: 500 }).not.toContain("refused");
    expect(await later()).toContain("2");
  });

  test("unread artifact downloads hold the client's places until read", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "litmus-artifact-")), "review.tar.gz");
    writeFileSync(path, Buffer.alloc(32 << 20));
    const review = suite.store.reviews.create({
      id: randomUUID(),
      taskId: "t",
      model: "m",
      document: { artifact: { path } },
    });
    const url = new URL(`api/reviews/${review.id}/artifact`, suite.server.url);
    const headers = { authorization: `Bearer ${suite.server.token}` };
    const first = await unread(url, "GET", undefined, headers);
    const second = await unread(url, "GET", undefined, headers);
    expect([first.response.statusCode, second.response.statusCode]).toEqual([200, 200]);
    const third = await fetch(url, { headers });
    expect(third.status).toBe(429);
    for (const { sent } of [first, second]) sent.destroy();
    await expect.poll(() => bytesOrStatus(fetch(url, { headers }))).toBe(32 << 20);
  });
});

describe.skipIf(Boolean(sandboxUnavailableReason()))("MCP read_file", () => {
  test("each read holds one of the client's places while the file is in memory", async () => {
    let held = 0;
    let most = 0;
    const hold = () => {
      if (held >= 1) return { refused: "1 read of yours is in progress (at most 1 at once)" };
      held++;
      most = Math.max(most, held);
      return { release: () => void held-- };
    };
    const { server: mcp } = createMcpServer({ model: () => Promise.reject(new Error("no model")), hold });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    const client = new Client({ name: "test", version: "1" });
    await client.connect(clientSide);
    const created = await client.callTool({ name: "create_session", arguments: {} });
    const id = ((created.content as Array<{ text: string }>)[0]?.text ?? "").replace("session_id: ", "");
    await client.callTool({
      name: "run_code",
      arguments: { session_id: id, code: "open('big.bin', 'w').write('x' * (24 * 1024 * 1024))" },
    });
    const reads = await Promise.all(
      [1, 2].map(() => client.callTool({ name: "read_file", arguments: { session_id: id, path: "big.bin" } })),
    );
    expect(reads.map((read) => read.isError ?? false).sort()).toEqual([false, true]);
    expect(most).toBe(1);
    expect(held).toBe(0);
    await client.callTool({ name: "close_session", arguments: { session_id: id } });
  });
});
