import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, test } from "vitest";
import { createMcpServer } from "../../src/mcp/index.ts";
import { scripted } from "../helpers/scripted-model.ts";
import { serverForSuite } from "../helpers/server.ts";

/**
 * A 4 MB task in a review or an MCP solve stalled the whole server for about 3 s (tokenized on its event loop)
 * and made every review document, and so every review list, that big. Tasks from clients are bounded now.
 */
describe("tasks larger than any model reads", () => {
  const suite = serverForSuite();

  test("a review of a 3 MB task is refused at once, and none is created", async () => {
    const started = performance.now();
    const response = await fetch(new URL("api/reviews", suite.server.url), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${suite.server.token}` },
      body: JSON.stringify({ task: `write ${"a very long task ".repeat(180_000)}` }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("say it shorter");
    expect(performance.now() - started).toBeLessThan(5_000); // refused before any model reads it
    expect(suite.store.reviews.list()).toEqual([]);
  });

  // Reviews made before tasks were bounded (or with many long drafts) are still big: a list read 200 whole
  // documents (82 MB per /api/reviews once). It now carries what it shows: a title and a count of drafts.
  test("the review list does not carry the reviews' documents", async () => {
    const big = {
      task: { prompt: `sort the list\n${"details ".repeat(100_000)}` },
      drafts: [{ code: "x".repeat(1 << 20) }],
    };
    for (let i = 0; i < 20; i++) suite.store.reviews.create({ id: `big-${i}`, taskId: "t", model: "m", document: big });
    const headers = { authorization: `Bearer ${suite.server.token}` };
    const listed = await (await fetch(new URL("api/reviews", suite.server.url), { headers })).text();
    expect(listed.length).toBeLessThan(20 * 1024);
    const first = (JSON.parse(listed) as Array<{ id: string; title: string; drafts: number }>)[0];
    expect(first).toMatchObject({ title: expect.stringMatching(/^sort the list\ndetails /), drafts: 1 });
    const queue = await (await fetch(new URL("fragments/queue", suite.server.url), { headers })).text();
    expect(queue.length).toBeLessThan(20 * 1024);
    expect(queue).toContain("sort the list");
  });

  test("MCP solve refuses a task or tests over the bound before any model is asked", async () => {
    const { model, fake } = scripted([]);
    const { server: mcp } = createMcpServer({ model: async () => ({ model, modelTimeoutMs: 1_000 }) });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    const client = new Client({ name: "test", version: "1" });
    await client.connect(clientSide);
    const result = await client.callTool({ name: "solve", arguments: { task: "x".repeat(1_000_000) } });
    expect(result.isError).toBe(true);
    expect(fake.calls).toHaveLength(0);
  });
});
