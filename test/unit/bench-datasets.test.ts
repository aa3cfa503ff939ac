import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { doctestAsserts, mbppSplit } from "../../src/bench/datasets/formats.ts";
import { withRawFields } from "../../src/bench/datasets/raw-json-fields.ts";
import { type Dataset, loadDataset, locateDataset, selectTasks } from "../../src/bench/index.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";

const missing = datasetsUnavailableReason();

describe.skipIf(missing)(`the shared datasets (${missing ?? DATASETS_DIR})`, () => {
  const datasets = new Map<string, Dataset>();
  beforeAll(async () => {
    for (const name of ["humaneval", "humaneval+", "humaneval+mini", "mbpp", "mbpp-sanitized", "mbpp+"]) {
      datasets.set(name, await loadDataset(name, { datasetsDir: DATASETS_DIR, download: false }));
    }
  });
  const get = (name: string) => datasets.get(name) as Dataset;

  test("each known dataset loads whole, in its format, verified against its checksum", () => {
    const shape = [...datasets.values()].map((dataset) => [dataset.name, dataset.format, dataset.tasks.length]);
    expect(shape).toEqual([
      ["humaneval", "humaneval", 164],
      ["humaneval+", "humaneval+", 164],
      ["humaneval+mini", "humaneval+", 164],
      ["mbpp", "mbpp", 974],
      ["mbpp-sanitized", "mbpp-sanitized", 427],
      ["mbpp+", "mbpp+", 378],
    ]);
    expect(get("humaneval").sha256).toBe("b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef");
  });

  test("HumanEval: the prompt is the starter a sample continues; the docstring's examples are visible tests", () => {
    const task = get("humaneval").tasks[0];
    expect(task?.id).toBe("HumanEval/0");
    expect(task?.entryPoint).toBe("has_close_elements");
    expect(task?.starter?.startsWith("from typing import List\n\n\ndef has_close_elements(")).toBe(true);
    expect(task?.canonicalSolution?.startsWith(task?.starter ?? "-")).toBe(true);
    expect(task?.visibleTests).toEqual({
      kind: "code",
      code: "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False\nassert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True\n",
    });
    expect(task?.scoring).toEqual({
      kind: "tests",
      tests: { kind: "code", code: expect.stringContaining("def test_check():\n    check(has_close_elements)\n") },
    });
  });

  test("MBPP: the official splits by task id, the first assert shown, all asserts scoring", () => {
    const splits: Record<string, number> = {};
    for (const task of get("mbpp").tasks) splits[task.split ?? "none"] = (splits[task.split ?? "none"] ?? 0) + 1;
    expect(splits).toEqual({ prompt: 10, test: 500, validation: 90, train: 374 });
    const task = get("mbpp").tasks.find((candidate) => candidate.id === "Mbpp/2");
    expect(task?.entryPoint).toBe("similar_elements");
    expect(task?.signature).toBe("def similar_elements(test_tup1, test_tup2):");
    expect(task?.visibleTests).toEqual({
      kind: "code",
      code: "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n",
    });
    expect([mbppSplit(10), mbppSplit(11), mbppSplit(510), mbppSplit(511), mbppSplit(600), mbppSplit(601)]).toEqual([
      "prompt",
      "test",
      "test",
      "validation",
      "validation",
      "train",
    ]);
  });

  test("MBPP+: the prompt's assert is the visible test, with the import its float check needs", () => {
    const tasks = get("mbpp+").tasks;
    expect(tasks.find((task) => task.id === "Mbpp/2")?.visibleTests).toEqual({
      kind: "code",
      code: "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\n",
    });
    expect(tasks.find((task) => task.id === "Mbpp/300")?.visibleTests).toEqual({
      kind: "code",
      code: "import math\nassert math.isclose(count_binary_seq(1), 2.0, rel_tol=0.001)\n",
    });
  });

  test("EvalPlus inputs stay the dataset's JSON text: big integers, floats like 1.0 and Infinity intact", () => {
    const bigInts = get("humaneval+").tasks.find((task) => task.id === "HumanEval/53")?.scoring;
    expect(bigInts?.kind === "io" && /\d{17,}/.test(bigInts.plusInputsJson)).toBe(true);
    const infinity = get("mbpp+").tasks.find((task) => task.id === "Mbpp/404")?.scoring;
    expect(infinity?.kind === "io" && /\bInfinity\b/.test(infinity.plusInputsJson)).toBe(true);
    const floats = get("humaneval+").tasks[0]?.scoring;
    expect(floats?.kind === "io" && floats.baseInputsJson.startsWith("[[[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3]")).toBe(
      true,
    );
  });

  test("difficulty thirds are stable: they depend on the whole dataset, not the subset", () => {
    const counts = { easy: 0, medium: 0, hard: 0 };
    for (const task of get("humaneval").tasks) counts[task.difficulty ?? "easy"]++;
    expect(counts.easy + counts.medium + counts.hard).toBe(164);
    expect(Math.min(counts.easy, counts.medium, counts.hard)).toBeGreaterThan(30);
  });

  test("subsets by id (numbers work for MBPP), by split, by count; bad choices say what exists", () => {
    const mbpp = get("mbpp+").tasks;
    expect(selectTasks(mbpp, { tasks: ["2", "Mbpp/3"] }, "mbpp+").map((task) => task.id)).toEqual(["Mbpp/2", "Mbpp/3"]);
    expect(selectTasks(mbpp, { split: "validation", limit: 2 }, "mbpp+").map((task) => task.split)).toEqual([
      "validation",
      "validation",
    ]);
    expect(() => selectTasks(mbpp, { tasks: ["9999"] }, "mbpp+")).toThrow(
      '--tasks: mbpp+ has no task "9999" (its ids look like Mbpp/2, Mbpp/3, Mbpp/4)',
    );
    expect(() => selectTasks(mbpp, { split: "dev" }, "mbpp+")).toThrow(
      'unknown split "dev"; use one of: prompt, test, validation, train',
    );
    expect(() => selectTasks(get("humaneval").tasks, { split: "test" }, "humaneval")).toThrow(
      "humaneval has no splits; --split applies to MBPP, sanitized MBPP and MBPP+",
    );
  });
});

describe.skipIf(missing)("finding a dataset", () => {
  let server: Server;
  let baseUrl: string;
  const served = new Map<string, Buffer>();
  beforeAll(async () => {
    server = createServer((request, response) => {
      const body = served.get(request.url ?? "");
      response.writeHead(body ? 200 : 404).end(body ?? "not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("a known dataset missing locally is downloaded into the cache and verified", async () => {
    served.set("/HumanEval.jsonl.gz", readFileSync(join(DATASETS_DIR, "humaneval/HumanEval.jsonl.gz")));
    const cacheDir = mkdtempSync(join(tmpdir(), "litmus-datasets-"));
    const lines: string[] = [];
    const located = await locateDataset("humaneval", {
      datasetsDir: join(cacheDir, "nothing-here"),
      cacheDir,
      sourceUrl: () => `${baseUrl}/HumanEval.jsonl.gz`,
      onProgress: (line) => lines.push(line),
    });
    expect(located.path).toBe(join(cacheDir, "HumanEval.jsonl.gz"));
    expect(lines).toEqual([`downloading humaneval from ${baseUrl}/HumanEval.jsonl.gz`]);
    // Found in the cache the next time, without a server.
    expect((await locateDataset("humaneval", { cacheDir, download: false })).path).toBe(located.path);
  });

  test("a download that is not the published file is refused and removed", async () => {
    served.set("/wrong.jsonl.gz", Buffer.from("not the dataset"));
    const cacheDir = mkdtempSync(join(tmpdir(), "litmus-datasets-"));
    await expect(
      locateDataset("humaneval", { cacheDir, sourceUrl: () => `${baseUrl}/wrong.jsonl.gz` }),
    ).rejects.toThrow(/is not the published humaneval dataset: its sha256 is [0-9a-f]{64}, expected b796127e/);
    expect(existsSync(join(cacheDir, "HumanEval.jsonl.gz"))).toBe(false);
  });

  test("a damaged local copy is refused with both checksums; a path is taken as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-datasets-"));
    const copy = join(dir, "HumanEval.jsonl.gz");
    copyFileSync(join(DATASETS_DIR, "humaneval/HumanEval.jsonl.gz"), copy);
    writeFileSync(copy, Buffer.concat([readFileSync(copy), Buffer.from([0])]));
    await expect(locateDataset("humaneval", { datasetsDir: dir, download: false })).rejects.toThrow(
      "(a different version or a damaged file; to use it anyway, pass its path instead of the name)",
    );
    await expect(locateDataset(join(dir, "nope.jsonl"))).rejects.toThrow(
      `no dataset "${join(dir, "nope.jsonl")}": give a file or a folder of task files, or one of humaneval, humaneval+, humaneval+mini, mbpp, mbpp-sanitized, mbpp+`,
    );
  });

  test("without a download, the error names the places looked in and the fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-datasets-"));
    await expect(locateDataset("mbpp+", { datasetsDir: dir, cacheDir: dir, download: false })).rejects.toThrow(
      "set --datasets-dir (or LITMUS_DATASETS_DIR) to a folder holding mbppplus/MbppPlus.jsonl.gz",
    );
  });
});

describe("dataset text", () => {
  test("raw fields are cut out unparsed, strings and nesting respected", () => {
    const text =
      '{"task_id": "T/1", "prompt": "say \\"base_input\\": [", "base_input": [[1.0, Infinity], [{"a": "]"}]], "plus_input": [], "atol": 0}';
    expect(withRawFields(text, ["base_input", "plus_input"])).toEqual({
      record: { task_id: "T/1", prompt: 'say "base_input": [', base_input: null, plus_input: null, atol: 0 },
      raw: { base_input: '[[1.0, Infinity], [{"a": "]"}]]', plus_input: "[]" },
    });
  });

  test("doctest examples become asserts; multi-line results and printed output are left out", () => {
    const prompt = [
      "def f(x):",
      '    """Twice x.',
      "    >>> f(2)",
      "    4",
      "    >>> f('a')",
      "    'aa'",
      "    >>> print(f(1))",
      "    2",
      "    >>> f(3)",
      "    6",
      "    more text",
      '    """',
    ].join("\n");
    expect(doctestAsserts(prompt)).toBe("assert f(2) == 4\nassert f('a') == 'aa'\n");
    expect(doctestAsserts("def g():\n    pass\n")).toBeNull();
  });
});
