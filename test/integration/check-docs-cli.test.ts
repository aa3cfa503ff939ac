import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { CheckDocsReport } from "../../src/check/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/docs");
const unavailable = sandboxUnavailableReason();

/** Runs `litmus check docs ARGS --json` in `cwd` and returns the exit code and the report. */
async function checkDocs(args: string[], cwd = FIXTURES, env: NodeJS.ProcessEnv = process.env) {
  const run = await litmus(["check", "docs", ...args, "--json"], { env, cwd });
  return { code: run.code, report: JSON.parse(run.stdout) as CheckDocsReport, stderr: run.stderr };
}

describe.skipIf(unavailable)(`litmus check docs (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  test("a guide whose examples all work: state carries over, outputs match, skips are reported", async () => {
    const { code, report } = await checkDocs(["passing.md"]);
    expect(code).toBe(0);
    const [document] = report.documents;
    expect([document?.passed, document?.failed, document?.skipped]).toEqual([12, 0, 2]);
    expect(
      document?.snippets.filter((snippet) => snippet.status === "skipped").map((snippet) => snippet.position.line),
    ).toEqual([88, 92]);
  });

  test("broken examples: each failure placed at its line, with the reason, and later blocks still run", async () => {
    const { code, report } = await checkDocs(["failing.md"]);
    expect(code).toBe(1);
    const snippets = report.documents[0]?.snippets ?? [];
    const failures = snippets.map((snippet) =>
      snippet.failure
        ? [snippet.failure.position.line, snippet.failure.message, snippet.failure.source ?? null]
        : snippet.status,
    );
    expect(failures).toEqual([
      "passed",
      [5, "IndexError: list index out of range", "    return items[len(items)]"],
      [20, "printed something other than the output block at line 20", null],
      [24, "printed something other than the session shows", ">>> 1 + 1"],
      [30, "exited with status 1", "false"],
      [36, "was expected to fail, but it succeeded", null],
      [41, "timed out after 1 s (give the block more: timeout=30s)", null],
      "passed",
      [53, "timed out after 1 s (give the block more: timeout=30s)", null],
    ]);
    expect(snippets.map((snippet) => snippet.failure?.kind ?? null)).toEqual([
      null,
      "error",
      "output",
      "output",
      "error",
      "expectation",
      "timeout",
      null,
      "timeout",
    ]);
    // The traceback is the document's: the call in the block, then the line of the function it defined earlier.
    expect(snippets[1]?.failure?.traceback).toBe(
      [
        "Traceback (most recent call last):",
        '  File "failing.md", line 12, in <module>',
        "    print(last(values))",
        "           ^^^^^^^^^^^^",
        '  File "failing.md", line 5, in last',
        "    return items[len(items)]",
        "            ~~~~~^^^^^^^^^^^^",
        "IndexError: list index out of range",
      ].join("\n"),
    );
    expect(snippets[2]?.failure?.diff).toBe("--- expected\n+++ actual\n@@ -1,1 +1,1 @@\n-7\n+6");
    expect(snippets[3]?.failure?.diff).toBe("--- expected\n+++ actual\n@@ -1,1 +1,1 @@\n-3\n+2");
    expect(snippets[4]?.stdout).toBe("start\n");
  });

  test("the human report shows each failure where it is, then the totals", async () => {
    const run = await litmus(["check", "docs", "failing.md", "rest-skipped.md"], { cwd: FIXTURES });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "✗ failing.md: 2 passed, 7 failed\n  FAIL failing.md:5 (python block 2): IndexError: list index out of range\n    5 |     return items[len(items)]\n",
    );
    expect(run.stdout).toContain("  FAIL failing.md:30 (bash block 5): exited with status 1\n    30 | false\n");
    expect(run.stdout).toContain("✓ rest-skipped.md: 1 passed, 2 skipped\n");
    expect(run.stdout).toMatch(/\ncheck docs: 2 documents, 12 blocks: 3 passed, 7 failed, 2 skipped \(\d+\.\d s\)\n$/);
  });

  test("a notebook and an MDX page, in parallel, each in its own sandbox", async () => {
    const { code, report } = await checkDocs(["notebook.ipynb", "component.mdx", "--jobs", "2"]);
    expect(code).toBe(1);
    const [mdx, notebook] = report.documents;
    expect([mdx?.path, mdx?.passed, mdx?.failed, mdx?.skipped]).toEqual(["component.mdx", 1, 0, 1]);
    expect(notebook?.snippets.map((snippet) => [snippet.position.cell, snippet.status])).toEqual([
      [2, "passed"],
      [3, "passed"],
      [4, "passed"],
      [5, "skipped"],
      [6, "passed"],
      [7, "skipped"],
      [8, "failed"],
    ]);
    expect(notebook?.snippets[4]?.stdout).toBe("from the shell\n");
    expect(notebook?.snippets[6]?.failure).toMatchObject({
      message: "IndexError: list index out of range",
      position: { cell: 8, line: 1 },
    });
  });

  test("documents never share state, even checked at the same time", async () => {
    const project = mkdtempSync(join(tmpdir(), "litmus-docs-isolated-"));
    const guide = (name: string) =>
      `\`\`\`python\nprint(sorted(k for k in globals() if k.startswith("doc_")))\ndoc_${name} = 1\n\`\`\`\n\n\`\`\`output\n[]\n\`\`\`\n`;
    for (const name of ["a", "b", "c", "d"]) writeFileSync(join(project, `${name}.md`), guide(name));
    const { code, report } = await checkDocs([".", "--jobs", "4"], project);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ documents: 4, passed: 4, failed: 0 });
  });

  test("an unreadable document is exit 2 with its reason; the others are still checked", async () => {
    const { code, report } = await checkDocs(["bad-directive.md", "rest-skipped.md"]);
    expect(code).toBe(2);
    expect(report.documents.map((document) => [document.path, document.error ?? null, document.passed])).toEqual([
      [
        "bad-directive.md",
        'bad-directive.md:3: unknown litmus directive "skp"; known: skip, skip-rest, expect-error, timeout, reset, output, match, normalize',
        0,
      ],
      ["rest-skipped.md", null, 1],
    ]);
    const missing = await litmus(["check", "docs", "no-such.md"], { cwd: FIXTURES });
    expect([missing.code, missing.stderr]).toEqual([2, "litmus: no-such.md: no such file or directory\n"]);
  });

  test("JUnit XML for CI systems: a suite per document, a case per block", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "litmus-junit-")), "docs.xml");
    await litmus(["check", "docs", "failing.md", "rest-skipped.md", "--junit", out], { cwd: FIXTURES });
    const xml = readFileSync(out, "utf8");
    expect(xml).toMatch(/<testsuites tests="12" failures="7" errors="0" skipped="2"/);
    expect(xml).toMatch(/<testsuite name="failing.md" time="\d+\.?\d*" tests="9" failures="7" errors="0" skipped="0">/);
    expect(xml).toMatch(
      /<testcase classname="failing.md" name="failing.md:11 \(python\)" file="failing.md" time="[\d.]+">\s*<failure message="IndexError: list index out of range"><!\[CDATA\[ {4}return items\[len\(items\)\]\n\nTraceback/,
    );
    expect(xml).toMatch(/name="rest-skipped.md:10 \(python\)" file="rest-skipped.md" time="0">\s*<skipped\/>/);
  });

  test("configuration: includes, languages and setup code come from package.json; the sandbox keeps secrets out", async () => {
    const project = mkdtempSync(join(tmpdir(), "litmus-docs-project-"));
    mkdirSync(join(project, "docs"));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        litmus: {
          checkDocs: { include: ["docs"], languages: ["python"], setup: { python: "import os\nGREETING = 'hi'" } },
        },
      }),
    );
    writeFileSync(
      join(project, "docs/guide.md"),
      [
        "```python",
        "print(GREETING, os.environ.get('LITMUS_HOST_SECRET'))",
        "```",
        "",
        "```output",
        "hi None",
        "```",
        "",
        "```python",
        "import urllib.request",
        "urllib.request.urlopen('http://example.com', timeout=2)",
        "```",
        "",
        "```bash",
        "echo not run: bash is not among the configured languages",
        "```",
      ].join("\n"),
    );
    const { code, report } = await checkDocs([], project, { ...process.env, LITMUS_HOST_SECRET: "s3cret" });
    expect(code).toBe(1);
    const snippets = report.documents[0]?.snippets ?? [];
    expect(snippets.map((snippet) => snippet.status)).toEqual(["passed", "failed", "skipped"]);
    expect(snippets[1]?.failure?.message).toMatch(/^URLError: <urlopen error/);
    expect(snippets[2]?.reason).toBe("bash is not among the checked languages");
  });
});
