import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CellOrigins } from "../../src/check/docs/cell-origins.ts";
import { readSnippets } from "../../src/check/docs/check-docs.ts";
import { loadDocsConfig } from "../../src/check/docs/config.ts";
import { consoleCommands } from "../../src/check/docs/console.ts";
import { findDocuments } from "../../src/check/docs/find-documents.ts";
import { markdownSnippets } from "../../src/check/docs/markdown.ts";
import { notebookSnippets } from "../../src/check/docs/notebook.ts";
import { matchOutput } from "../../src/check/docs/output-match.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/docs");

describe("reading snippets from Markdown", () => {
  test("every runnable block in order, with its kind, first code line and expected output", async () => {
    const document = await readSnippets(join(FIXTURES, "passing.md"));
    const summary = document.snippets.map((snippet) => [
      snippet.language,
      snippet.kind,
      snippet.position.line,
      snippet.expectedOutput?.text ?? null,
    ]);
    expect(summary).toEqual([
      ["python", "code", 6, null],
      ["python", "code", 11, "Hello, docs!"],
      ["python", "doctest", 21, null],
      ["javascript", "code", 30, null],
      ["javascript", "code", 34, "12"],
      ["typescript", "code", 43, null],
      ["typescript", "code", 47, "12"],
      ["bash", "code", 58, null],
      ["bash", "console", 63, null],
      ["python", "code", 72, null],
      ["python", "code", 77, "object at 0x1234"],
      ["python", "code", 88, null],
      ["python", "code", 92, null],
      ["python", "code", 101, "False"],
    ]);
    const byLine = new Map(document.snippets.map((snippet) => [snippet.position.line, snippet.directives]));
    expect(byLine.get(72)).toEqual({ expectError: { name: "ValueError" } });
    expect(byLine.get(77)).toEqual({ match: "whitespace", normalize: [/0x[0-9a-f]+/g] });
    expect(byLine.get(88)).toEqual({ skip: "" });
    expect(byLine.get(92)).toEqual({ skip: "" });
    expect(byLine.get(101)).toEqual({ reset: true });
  });

  test("skip-rest skips every later block, naming where it was said", async () => {
    const document = await readSnippets(join(FIXTURES, "rest-skipped.md"));
    expect(document.snippets.map((snippet) => snippet.directives.skip)).toEqual([
      undefined,
      "skip-rest at line 7",
      "skip-rest at line 7",
    ]);
  });

  test("blocks in lists and quotes count; indented blocks and other languages do not", () => {
    const source = [
      "- step one:",
      "",
      "  ```python",
      "  x = 1",
      "  ```",
      "",
      "> ```bash",
      "> echo quoted",
      "> ```",
      "",
      "    indented = True",
      "",
      "```yaml",
      "a: 1",
      "```",
    ].join("\n");
    const { snippets } = markdownSnippets("list.md", source, "markdown");
    expect(snippets.map((snippet) => [snippet.language, snippet.position.line, snippet.code])).toEqual([
      ["python", 4, "x = 1"],
      ["bash", 8, "echo quoted"],
    ]);
  });

  test("a fence's own words: litmus's are read, other tools' are left alone", () => {
    const source = '```python title="demo.py" timeout=3s expect-error=KeyError {linenos}\n{}["k"]\n```\n';
    const [snippet] = markdownSnippets("fence.md", source, "markdown").snippets;
    expect(snippet?.directives).toEqual({ timeoutMs: 3000, expectError: { name: "KeyError" } });
  });

  test("bad directives name the file and line and say what is allowed", () => {
    expect(() => markdownSnippets("a.md", "\n<!-- litmus: skp -->\n```python\nx\n```\n", "markdown")).toThrow(
      'a.md:2: unknown litmus directive "skp"; known: skip, skip-rest, expect-error, timeout, reset, output, match, normalize',
    );
    expect(() => markdownSnippets("a.md", "<!-- litmus: timeout=soon -->\n", "markdown")).toThrow(
      "a.md:1: timeout=soon is not a duration; write it like 5s, 500ms or 2m",
    );
    expect(() => markdownSnippets("a.md", '<!-- litmus: normalize="(" -->\n', "markdown")).toThrow(
      /^a\.md:1: normalize="\(" is not a regular expression/,
    );
    expect(() => markdownSnippets("a.md", "Text.\n\n```output\n1\n```\n", "markdown")).toThrow(
      "a.md:3: an output block must come right after a code block",
    );
    expect(() => markdownSnippets("a.md", "```python\nx\n```\n\nProse.\n\n```output\n1\n```\n", "markdown")).toThrow(
      "a.md:7: an output block must come right after a code block",
    );
  });

  test("MDX: directives are JSX comments; broken MDX is reported with its line", async () => {
    const document = await readSnippets(join(FIXTURES, "component.mdx"));
    expect(document.snippets.map((snippet) => [snippet.position.line, snippet.directives.skip])).toEqual([
      [8, undefined],
      [17, ""],
    ]);
    expect(() => markdownSnippets("bad.mdx", "# Title\n\n<Broken\n", "mdx")).toThrow(/^bad\.mdx:\d+: not valid MDX/);
  });
});

describe("reading a notebook", () => {
  test("code cells in order; tags and first-line comments are directives; magics become Python", async () => {
    const document = await readSnippets(join(FIXTURES, "notebook.ipynb"));
    const cells = document.snippets.map((snippet) => [snippet.position.cell, snippet.directives, snippet.code]);
    expect(cells).toEqual([
      [2, {}, "data = [3, 1, 2]\nordered = sorted(data)\n"],
      [3, {}, "assert ordered == [1, 2, 3]\nprint(ordered)\n"],
      [4, { expectError: {} }, "1 / 0\n"],
      [
        5,
        { skip: "tagged skip" },
        'raise RuntimeError("IPython magic %matplotlib cannot run outside IPython; tag the cell skip")\n',
      ],
      [6, {}, '__import__("subprocess").run("echo from the shell", shell=True, check=True)\n'],
      [7, { skip: "" }, "# litmus: skip\nimport this_module_does_not_exist\n"],
      [8, {}, "print(ordered[5])\n"],
    ]);
  });

  test("what is not a notebook says why", () => {
    expect(() => notebookSnippets("x.ipynb", "{")).toThrow(/^x\.ipynb is not a notebook: not JSON/);
    expect(() => notebookSnippets("x.ipynb", '{"cells": 3}')).toThrow(
      "x.ipynb is not an nbformat 4 notebook: cells: Invalid input: expected array, received number",
    );
    expect(() => notebookSnippets("r.ipynb", '{"cells": [], "metadata": {"kernelspec": {"language": "R"}}}')).toThrow(
      "r.ipynb: notebooks in R cannot run here; litmus runs python, javascript, typescript and bash",
    );
  });
});

test("console sessions: commands, continued lines and the output shown under each", () => {
  expect(consoleCommands("$ echo a\na\n$ echo b \\\n  c\nb c\n$ true\n")).toEqual([
    { command: "echo a", line: 0, output: "a" },
    { command: "echo b \\\n  c", line: 2, output: "b c" },
    { command: "true", line: 5, output: "" },
  ]);
});

describe("comparing output", () => {
  test("exact ignores trailing spaces and final newlines, and shows a diff otherwise", () => {
    expect(matchOutput("a\nb", "a  \nb\n\n", { mode: "exact", normalize: [] })).toEqual({ ok: true });
    expect(matchOutput("a\nb", "a\nc\n", { mode: "exact", normalize: [] })).toEqual({
      ok: false,
      diff: "--- expected\n+++ actual\n@@ -1,2 +1,2 @@\n a\n-b\n+c",
    });
  });

  test("whitespace mode and normalizers", () => {
    expect(matchOutput("a b\nc", "a   b c\n", { mode: "whitespace", normalize: [] }).ok).toBe(true);
    expect(matchOutput("a b", "ab", { mode: "whitespace", normalize: [] }).ok).toBe(false);
    const addresses = { mode: "exact" as const, normalize: [/0x[0-9a-f]+/g] };
    expect(matchOutput("<obj at 0x1>", "<obj at 0x7f3a2b>", addresses).ok).toBe(true);
    expect(matchOutput("<obj at 0x1>", "<thing at 0x7f3a2b>", addresses).ok).toBe(false);
  });

  test("a normalizer that backtracks without end is stopped after 2 s, and the block fails saying so", () => {
    const started = performance.now();
    const compared = matchOutput("a", `${"a".repeat(40)}!`, { mode: "exact", normalize: [/(a+)+$/g] });
    expect(compared).toEqual({
      ok: false,
      diff: 'normalize="(a+)+$" took more than 2 s on this output and was stopped: a pattern that backtracks catastrophically? Make it more specific',
    });
    expect(performance.now() - started).toBeLessThan(8000); // stopped, not left to run for minutes
    // The next comparison gets a fresh worker.
    expect(matchOutput("took 1 ms", "took 52 ms", { mode: "exact", normalize: [/\d+ ms/g] }).ok).toBe(true);
  });
});

describe("placing tracebacks in the document", () => {
  const origins = new CellOrigins();
  origins.record(1, { position: { line: 10 }, code: "def last(items):\n    return items[len(items)]" });
  origins.record(2, { position: { line: 20 }, code: "print(last([1]))" });
  origins.record(3, { position: { line: 1 }, code: "import json", label: "setup" });

  test("python: cell frames point at the document; other frames are left out", () => {
    const traceback = [
      "Traceback (most recent call last):",
      '  File "<cell-2>", line 1, in <module>',
      "    print(last([1]))",
      '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads',
      "    return _default_decoder.decode(s)",
      '  File "<cell-1>", line 2, in last',
      "    return items[len(items)]",
      "IndexError: list index out of range",
    ].join("\n");
    expect(origins.placeTraceback(traceback, "guide.md", "python")).toEqual({
      traceback: [
        "Traceback (most recent call last):",
        '  File "guide.md", line 20, in <module>',
        "    print(last([1]))",
        '  File "guide.md", line 11, in last',
        "    return items[len(items)]",
        "IndexError: list index out of range",
      ].join("\n"),
      innermost: { position: { line: 11 }, source: "    return items[len(items)]" },
    });
  });

  test("javascript: stack frames of cells become path:line:column; the kernel's frames go", () => {
    const stack =
      "TypeError: boom\n    at last (cell-1.js:2:12)\n    at cell-2.js:1:7\n    at Script.runInThisContext (node:vm:135:14)";
    expect(origins.placeTraceback(stack, "guide.md", "javascript")).toEqual({
      traceback: "TypeError: boom\n    at last (guide.md:11:12)\n    at guide.md:20:7",
      innermost: { position: { line: 11 }, source: "    return items[len(items)]" },
    });
  });
});

describe("finding documents", () => {
  const root = mkdtempSync(join(tmpdir(), "litmus-docs-"));
  mkdirSync(join(root, "docs/deep"), { recursive: true });
  mkdirSync(join(root, "node_modules/pkg"), { recursive: true });
  for (const file of [
    "README.md",
    "docs/a.md",
    "docs/deep/b.mdx",
    "docs/c.ipynb",
    "docs/notes.txt",
    "node_modules/pkg/README.md",
  ]) {
    writeFileSync(join(root, file), "");
  }

  test("directories are searched (never node_modules), globs expanded, excludes applied", async () => {
    expect(await findDocuments(["."], { cwd: root })).toEqual([
      "README.md",
      "docs/a.md",
      "docs/c.ipynb",
      "docs/deep/b.mdx",
    ]);
    expect(await findDocuments(["docs/**/*.md*", "README.md"], { cwd: root })).toEqual([
      "README.md",
      "docs/a.md",
      "docs/deep/b.mdx",
    ]);
    expect(await findDocuments(["docs"], { cwd: root, exclude: ["docs/deep/**"] })).toEqual([
      "docs/a.md",
      "docs/c.ipynb",
    ]);
  });

  test("a path that names nothing is an error, never an empty success", async () => {
    await expect(findDocuments(["doc"], { cwd: root })).rejects.toThrow("doc: no such file or directory");
    await expect(findDocuments(["docs/notes.txt"], { cwd: root })).rejects.toThrow(
      "docs/notes.txt: litmus checks .md, .markdown, .mdx, .ipynb files",
    );
    await expect(findDocuments(["docs/*.rst"], { cwd: root })).rejects.toThrow(
      "docs/*.rst: no Markdown, MDX or notebook files there",
    );
  });
});

describe("configuration", () => {
  test("the litmus key of the nearest package.json, with defaults for what it leaves out", async () => {
    const root = mkdtempSync(join(tmpdir(), "litmus-config-"));
    mkdirSync(join(root, "docs"));
    writeFileSync(
      join(root, "package.json"),
      JSON.stringify({
        name: "x",
        litmus: { checkDocs: { include: ["docs"], timeout: "3s", setup: { python: "import os" } } },
      }),
    );
    expect(await loadDocsConfig(join(root, "docs"))).toEqual({
      source: join(root, "package.json"),
      root,
      include: ["docs"],
      exclude: [],
      languages: ["python", "javascript", "typescript", "bash"],
      timeoutMs: 3000,
      memoryBytes: 512 * 1024 * 1024,
      setup: { python: "import os" },
    });
  });

  test("a wrong field is named with its file", async () => {
    const root = mkdtempSync(join(tmpdir(), "litmus-config-"));
    writeFileSync(join(root, "litmus.config.json"), JSON.stringify({ checkDocs: { languages: ["ruby"] } }));
    await expect(loadDocsConfig(root)).rejects.toThrow(
      `${join(root, "litmus.config.json")}: litmus.checkDocs.languages.0: Invalid option: expected one of "python"|"javascript"|"typescript"|"bash"`,
    );
    writeFileSync(join(root, "litmus.config.json"), JSON.stringify({ checkDocs: { timeout: "forever" } }));
    await expect(loadDocsConfig(root)).rejects.toThrow(/litmus\.config\.json: litmus\.checkDocs\.timeout: /);
  });
});
