import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, test } from "vitest";
import { createMcpServer, Sessions } from "../../src/mcp/index.ts";
import { startServer } from "../../src/server/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { hostProcessesWith, sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted } from "../helpers/scripted-model.ts";

const unavailable = sandboxUnavailableReason();
const BIN = join(import.meta.dirname, "../../bin/litmus.js");

/** A client of the SDK's own, connected in memory to a litmus MCP server (the model scripted: a test double). */
async function connected(answers: string[] = [], sessions = new Sessions()) {
  const { model } = scripted(answers);
  const { server } = createMcpServer({ model: async () => ({ model, modelTimeoutMs: 10_000 }), sessions });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "1" });
  await client.connect(clientSide);
  return { client, server, sessions };
}

function textOf(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

describe.skipIf(unavailable)(`the MCP server (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  test("tools are listed; run_code runs once, or in a session whose state and files persist", async () => {
    const { client, sessions } = await connected();
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual([
      "check_docs",
      "close_session",
      "create_session",
      "list_files",
      "read_file",
      "run_code",
      "solve",
      "write_file",
    ]);
    const once = await client.callTool({ name: "run_code", arguments: { code: "print(6 * 7)" } });
    expect([textOf(once), once.isError]).toEqual(["stdout:\n42\n", false]);
    const failing = await client.callTool({ name: "run_code", arguments: { code: "1 / 0" } });
    expect([failing.isError, textOf(failing)]).toEqual([
      true,
      expect.stringContaining("error: ZeroDivisionError: division by zero"),
    ]);

    const created = textOf(await client.callTool({ name: "create_session", arguments: {} }));
    const id = /session_id: (\S+)/.exec(created)?.[1] ?? "";
    await client.callTool({ name: "run_code", arguments: { session_id: id, code: "total = 40" } });
    const next = await client.callTool({ name: "run_code", arguments: { session_id: id, code: "total + 2" } });
    expect(textOf(next)).toBe("result: 42");
    await client.callTool({ name: "write_file", arguments: { session_id: id, path: "notes.txt", content: "hello" } });
    expect(textOf(await client.callTool({ name: "read_file", arguments: { session_id: id, path: "notes.txt" } }))).toBe(
      "hello",
    );
    expect(textOf(await client.callTool({ name: "list_files", arguments: { session_id: id } }))).toContain(
      "/home/user/notes.txt",
    );
    const chart = await client.callTool({
      name: "run_code",
      arguments: {
        session_id: id,
        code: "class Pixel:\n    def _repr_png_(self):\n        import base64\n        return base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==')\nPixel()",
      },
    });
    expect((chart.content as CallToolResult["content"])[1]).toMatchObject({ type: "image", mimeType: "image/png" });

    await client.callTool({ name: "close_session", arguments: { session_id: id } });
    const gone = await client.callTool({ name: "run_code", arguments: { session_id: id, code: "1" } });
    expect([gone.isError, textOf(gone)]).toEqual([
      true,
      `litmus: no session ${id}: it was closed, timed out or never existed (create_session)`,
    ]);
    expect(sessions.size).toBe(0);
  });

  test("sessions time out and their sandboxes go with them", async () => {
    const { client, sessions } = await connected([], new Sessions({ idleMs: 300 }));
    const id = /session_id: (\S+)/.exec(textOf(await client.callTool({ name: "create_session", arguments: {} })))?.[1];
    await client.callTool({
      name: "run_code",
      arguments: { session_id: id, code: "import time\nmarker = 'mcp-idle-session'" },
    });
    await expect.poll(() => sessions.size).toBe(0);
    await expect.poll(() => hostProcessesWith(id ?? "")).toEqual([]);
  });

  test("solve and check_docs", async () => {
    const { client } = await connected(["```python\ndef add(a, b):\n    return a + b\n```"]);
    const solved = await client.callTool({
      name: "solve",
      arguments: { task: "Write add(a, b).", tests: "assert add(2, 3) == 5" },
    });
    expect([solved.isError, solved.structuredContent]).toEqual([
      false,
      { success: true, code: "def add(a, b):\n    return a + b\n", attempts: 1 },
    ]);
    const checked = await client.callTool({
      name: "check_docs",
      arguments: { markdown: "```python\nx = 1\n```\n\n```python\nprint(x[0])\n```\n" },
    });
    expect([checked.isError, checked.structuredContent]).toEqual([true, { passed: 1, failed: 1, skipped: 0 }]);
    expect(textOf(checked)).toContain("line 6: TypeError: 'int' object is not subscriptable");
  });

  test("MCP over streamable HTTP under the web app, with the SDK's HTTP client", async () => {
    using store = RunStore.open(":memory:");
    const { model } = scripted([]);
    const server = await startServer({
      store,
      artifactsDir: join(tmpdir(), "litmus-mcp-artifacts"),
      model: async () => ({ model, modelTimeoutMs: 10_000 }),
      port: 0,
      e2bPort: null,
    });
    try {
      const client = new Client({ name: "test", version: "1" });
      // The web app (and its MCP endpoint) wants the token even on loopback.
      const headers = { authorization: `Bearer ${server.token}` };
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}mcp`), { requestInit: { headers } }),
      );
      const id = /session_id: (\S+)/.exec(
        textOf(await client.callTool({ name: "create_session", arguments: {} })),
      )?.[1];
      await client.callTool({ name: "run_code", arguments: { session_id: id, code: "kept = 'across requests'" } });
      const again = await client.callTool({ name: "run_code", arguments: { session_id: id, code: "kept" } });
      expect(textOf(again)).toBe("result: 'across requests'");
      await client.callTool({ name: "close_session", arguments: { session_id: id } });
      await client.close();
    } finally {
      await server.close();
    }
  });

  test("litmus mcp over stdio, with the SDK's stdio client", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, "mcp"], stderr: "pipe" });
    const client = new Client({ name: "test", version: "1" });
    await client.connect(transport);
    const result = await client.callTool({
      name: "run_code",
      arguments: { code: "console.log(1 + 1)", language: "javascript" },
    });
    expect(textOf(result)).toBe("stdout:\n2\n");
    await client.close();
  });
});
