import { describe, expect, test } from "vitest";
import { markdownSnippets, runDocument } from "../../src/check/index.ts";
import { LANGUAGES, parseBytes } from "../../src/sandbox/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

/**
 * A document's author chooses each block's `timeout=`; a server running documents for others (MCP's
 * check_docs) caps it, as it caps run_code: a block asking for 100 hours got them before.
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("a block's own timeout under a server's cap", () => {
  test("timeout=100h is cut to the cap", async () => {
    const markdown = "```python timeout=100h\nimport time\ntime.sleep(30)\n```\n";
    const started = performance.now();
    const result = await runDocument(markdownSnippets("hostile.md", markdown, "markdown"), {
      timeoutMs: 10_000,
      maxTimeoutMs: 1_000,
      memoryBytes: parseBytes("256M"),
      languages: LANGUAGES,
      setup: {},
    });
    expect(result.snippets[0]?.failure?.kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
