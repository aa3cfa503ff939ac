import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadTaskSuite } from "../../src/bench/index.ts";
import { loadTaskFile, parseTask, taskJsonSchema } from "../../src/loop/index.ts";

const directory = mkdtempSync(join(tmpdir(), "litmus-task-"));

function taskFile(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe("task files", () => {
  test("a YAML task with asserts, limits and a test file next to it", async () => {
    taskFile("hidden_test.py", "def test_big():\n    assert add(20, 22) == 42\n");
    const path = taskFile(
      "add.yaml",
      [
        "id: add",
        "prompt: Write add(a, b).",
        "entryPoint: add",
        "tests:",
        "  asserts: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0']",
        "hiddenTests:",
        "  file: hidden_test.py",
        "limits: { timeout: 2s, memory: 128M }",
      ].join("\n"),
    );
    expect(await loadTaskFile(path)).toEqual({
      id: "add",
      prompt: "Write add(a, b).",
      language: "python",
      entryPoint: "add",
      signature: null,
      starter: null,
      solution: null,
      tags: [],
      tests: { kind: "code", code: "assert add(1, 2) == 3\nassert add(0, 0) == 0\n" },
      hiddenTests: { kind: "code", code: "def test_big():\n    assert add(20, 22) == 42\n" },
      limits: { timeoutMs: 2000, memoryBytes: 128 * 1024 * 1024 },
    });
  });

  test("a JSON task with input/output examples", async () => {
    const path = taskFile(
      "max.json",
      JSON.stringify({
        prompt: "Write biggest(xs).",
        language: "javascript",
        entryPoint: "biggest",
        tests: { examples: [{ input: [[1, 3, 2]], output: 3 }] },
      }),
    );
    const task = await loadTaskFile(path);
    expect(task.tests).toEqual({ kind: "examples", examples: [{ input: [[1, 3, 2]], output: 3 }] });
    expect(task.language).toBe("javascript");
  });

  test.each([
    [{}, "the task: prompt: Invalid input: expected string, received undefined"],
    [
      { prompt: "x", tests: { asserts: ["assert f()"], code: "assert f()" } },
      "the task: tests: give exactly one of asserts, code, file or examples",
    ],
    [{ prompt: "x", limits: { timeout: "soon" } }, "the task: limits.timeout: must be a duration like 10s or 500ms"],
    [
      { prompt: "x", language: "cobol" },
      'the task: language: Invalid option: expected one of "python"|"javascript"|"typescript"',
    ],
    [{ prompt: "x", entryPoint: "not a name" }, "the task: entryPoint: must be an identifier like is_palindrome"],
    [{ prompt: "x", test: {} }, 'the task: the top level: Unrecognized key: "test"'],
    [
      { prompt: "x", hiddenTests: { examples: [{ input: [1], output: 1 }] } },
      "the task: entryPoint: input/output examples call the entry point: name it",
    ],
    [
      { prompt: "x", tests: { file: "/etc/passwd" } },
      "the task: tests.file: only task files can name test files; give the tests inline",
    ],
  ])("an invalid task names the field: %j", async (data, message) => {
    await expect(parseTask(data, { source: "the task" })).rejects.toMatchObject({ code: "BAD_INPUT", message });
  });

  test("a file that is not YAML, and a missing test file, are BAD_INPUT errors that name the file", async () => {
    const broken = taskFile("broken.yaml", "prompt: [unclosed\n");
    await expect(loadTaskFile(broken)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringMatching(/^the task file .*broken\.yaml cannot be parsed: /),
    });
    const missing = taskFile("missing.yaml", "prompt: x\ntests:\n  file: nowhere.py\n");
    await expect(loadTaskFile(missing)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: `cannot read the tests file ${join(directory, "nowhere.py")}: ENOENT`,
    });
  });

  test("the published JSON Schema is the one the loader enforces (run `npm run schemas` after changing it)", () => {
    const published = JSON.parse(readFileSync(new URL("../../schemas/task.schema.json", import.meta.url), "utf8"));
    expect(published).toEqual(taskJsonSchema());
  });

  test("the README's example task file loads", async () => {
    const task = await loadTaskFile(new URL("../../examples/add.task.yaml", import.meta.url).pathname);
    expect(task.tests).toEqual({
      kind: "examples",
      examples: [
        { input: [1, 2], output: 3 },
        { input: [-1, 1], output: 0 },
      ],
    });
    expect(task.limits).toEqual({ timeoutMs: 5000, memoryBytes: 256 * 1024 * 1024 });
  });

  test("every starter task loads, with visible and hidden tests", async () => {
    const tasks = await loadTaskSuite(new URL("../../tasks/starter", import.meta.url).pathname);
    expect(tasks.map((task) => task.id)).toEqual([
      "binary-search",
      "factorial",
      "fibonacci",
      "graph-traversal",
      "lru-cache",
      "merge-sort",
      "palindrome",
      "prime-sieve",
    ]);
    for (const task of tasks) {
      expect(task.tests?.kind).toBe("code");
      expect(task.hiddenTests?.kind).toBe("code");
    }
  });
});
