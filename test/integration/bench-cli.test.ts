import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { templateCacheDir } from "../../src/cache-dirs.ts";
import { litmus } from "../helpers/cli.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const missing = datasetsUnavailableReason() ?? sandboxUnavailableReason();
const env = {
  ...process.env,
  LITMUS_DATASETS_DIR: DATASETS_DIR,
  LITMUS_CACHE_DIR: mkdtempSync(join(tmpdir(), "litmus-cache-")),
  // The templates setup.sh built (a fresh cache would build them here, in a directory sandboxes cannot read).
  LITMUS_TEMPLATES_DIR: templateCacheDir(),
  LITMUS_DATA_DIR: mkdtempSync(join(tmpdir(), "litmus-data-")),
};

function samplesFile(lines: unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "litmus-samples-")), "samples.jsonl");
  writeFileSync(path, `${lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n")}\n`);
  return path;
}

describe.skipIf(missing)(`litmus bench eval (${missing ?? "the real CLI"})`, { timeout: 120_000 }, () => {
  test("scores a samples file: the summary on stdout, per-sample results and the summary next to it", async () => {
    const path = samplesFile([
      { task_id: "HumanEval/2", completion: "    return number % 1.0\n", model: "by hand" },
      { task_id: "HumanEval/2", completion: "    return number\n" },
      { task_id: "HumanEval/3", completion: "    return False\n" },
      {
        task_id: "HumanEval/3",
        solution:
          "def below_zero(operations):\n    total = 0\n    for op in operations:\n        total += op\n        if total < 0:\n            return True\n    return False\n",
      },
    ]);
    const run = await litmus(["bench", "eval", path, "--dataset", "humaneval", "--tasks", "2,3,4", "--json"], { env });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect([summary.samples, summary.tasks, summary.passAtK, summary.kinds, summary.missingTasks]).toEqual([
      4,
      2,
      { "pass@1": 0.5 },
      { test_failure: 2, ok: 2 },
      ["HumanEval/4"],
    ]);
    expect(summary.files).toEqual({
      results: path.replace(/\.jsonl$/, ".results.jsonl"),
      summary: path.replace(/\.jsonl$/, ".summary.json"),
    });
    const results = readFileSync(summary.files.results, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(results.map((result) => [result.task_id, result.passed, result.kind])).toEqual([
      ["HumanEval/2", true, "ok"],
      ["HumanEval/2", false, "test_failure"],
      ["HumanEval/3", false, "test_failure"],
      ["HumanEval/3", true, "ok"],
    ]);
    expect(results[0]).toMatchObject({ model: "by hand", result: "passed", completion: "    return number % 1.0\n" });
    expect(results[1].result).toMatch(/^failed: assert /);
    expect(JSON.parse(readFileSync(summary.files.summary, "utf8")).passAtK).toEqual({ "pass@1": 0.5 });
  });

  test("bad samples are refused with the line and what a sample looks like; no partial results are left", async () => {
    const unknown = samplesFile([
      { task_id: "HumanEval/0", completion: "    return 1\n" },
      { task_id: "HumanEval/999", completion: "" },
    ]);
    const run = await litmus(["bench", "eval", unknown, "--dataset", "humaneval"], { env });
    expect([run.code, run.stderr.trim().split("\n").at(-1)]).toEqual([
      2,
      `litmus: ${unknown}:2: task_id "HumanEval/999" is not a task of humaneval`,
    ]);
    expect(existsSync(unknown.replace(/\.jsonl$/, ".results.jsonl"))).toBe(false);
    expect(existsSync(`${unknown.replace(/\.jsonl$/, ".results.jsonl")}.part`)).toBe(false);

    const noCode = samplesFile([{ task_id: "HumanEval/0", text: "def f(): pass" }]);
    const second = await litmus(["bench", "eval", noCode, "--dataset", "humaneval"], { env });
    expect([second.code, second.stderr.trim().split("\n").at(-1)]).toEqual([
      2,
      `litmus: ${noCode}:1: a sample needs "completion" or "solution"`,
    ]);

    const notJson = samplesFile(["{oops"]);
    const third = await litmus(["bench", "eval", notJson, "--dataset", "humaneval"], { env });
    expect(third.code).toBe(2);
    expect(third.stderr).toContain(`${notJson}:1: not a JSON line`);
  });

  test("usage errors: samples and --self-check together, an unknown dataset, a split where there is none", async () => {
    const both = await litmus(["bench", "eval", "x.jsonl", "--dataset", "humaneval", "--self-check"], { env });
    expect([both.code, both.stderr.trim()]).toEqual([
      2,
      "litmus: give a samples file, or --self-check to score the reference solutions",
    ]);
    const unknown = await litmus(["bench", "eval", "--dataset", "humaneval-xl", "--self-check"], { env });
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      2,
      'litmus: no dataset "humaneval-xl": give a file or a folder of task files, or one of humaneval, humaneval+, humaneval+mini, mbpp, mbpp-sanitized, mbpp+',
    ]);
    const split = await litmus(["bench", "eval", "--dataset", "humaneval", "--self-check", "--split", "test"], { env });
    expect(split.code).toBe(2);
    expect(split.stderr).toContain("humaneval has no splits");
  });

  test("--self-check passes on a subset, on a JavaScript task file and on the starter suite's solutions", async () => {
    const run = await litmus(
      ["bench", "eval", "--dataset", "mbpp", "--split", "test", "--limit", "5", "--self-check"],
      {
        env,
      },
    );
    expect([run.code, run.stdout.split("\n")[0]]).toEqual([
      0,
      expect.stringMatching(/^mbpp: 5\/5 reference solutions pass \(\d+ workers, [\d.]+ s\)$/),
    ]);
    const javascript = await litmus(
      ["bench", "eval", "--dataset", "test/fixtures/js-suite", "--self-check", "--json"],
      { env },
    );
    expect(JSON.parse(javascript.stdout).perTask).toEqual([
      { taskId: "clamp", n: 1, c: 1, cBase: 1, difficulty: "easy", split: null },
    ]);
    const starter = await litmus(["bench", "eval", "--dataset", "tasks/starter", "--self-check"], { env });
    expect([starter.code, starter.stdout.split("\n")[0]]).toEqual([
      0,
      expect.stringMatching(/^tasks\/starter: 8\/8 reference solutions pass/),
    ]);
  });
});

describe.skipIf(missing)(`litmus bench report (${missing ?? "the real CLI"})`, { timeout: 120_000 }, () => {
  test("one self-contained page comparing runs, and its JSON summary beside it", async () => {
    const good = samplesFile([
      { task_id: "HumanEval/2", completion: "    return number % 1.0\n" },
      { task_id: "HumanEval/3", completion: "    return False\n" },
    ]);
    const bad = samplesFile([
      { task_id: "HumanEval/2", completion: "    return (\n" },
      { task_id: "HumanEval/3", completion: "    while True:\n        pass\n" },
    ]);
    for (const path of [good, bad]) {
      const run = await litmus(["bench", "eval", path, "--dataset", "humaneval", "--min-time-limit", "500ms"], { env });
      expect(run.code).toBe(0);
    }
    const out = join(mkdtempSync(join(tmpdir(), "litmus-report-")), "report.html");
    const goodSummary = good.replace(/\.jsonl$/, ".summary.json");
    const badSummary = bad.replace(/\.jsonl$/, ".summary.json");
    const report = await litmus(["bench", "report", goodSummary, badSummary, "--out", out, "--json"], { env });
    expect(report.code).toBe(0);
    const json = JSON.parse(report.stdout);
    expect(json.runs.map((run: { passAtK: unknown; kinds: unknown }) => [run.passAtK, run.kinds])).toEqual([
      [{ "pass@1": 0.5 }, { test_failure: 1, ok: 1 }],
      [{ "pass@1": 0 }, { syntax: 1, timeout: 1 }],
    ]);
    expect(JSON.parse(readFileSync(out.replace(/\.html$/, ".json"), "utf8")).runs).toHaveLength(2);
    const html = readFileSync(out, "utf8");
    for (const title of ["pass@k by difficulty", "Outcomes and failure classes", "Tasks"])
      expect(html).toContain(title);
    expect(html.match(/<svg /g)?.length).toBe(2);
    // Self-contained: no script, no stylesheet or image to fetch.
    expect(html).not.toMatch(/<script|<link|<img|\bsrc=|url\((?!#)/i);
  });

  test("a summary file that is not one, and a run that does not exist, are refused", async () => {
    const notSummary = samplesFile([{ task_id: "HumanEval/0", completion: "" }]);
    const first = await litmus(["bench", "report", notSummary], { env });
    expect(first.code).toBe(2);
    expect(first.stderr.trim()).toBe(
      `litmus: ${notSummary} is not a litmus bench summary: dataset: Invalid input: expected object, received undefined`,
    );
    const second = await litmus(["bench", "report", "deadbeef"], { env });
    expect([second.code, second.stderr.trim()]).toEqual([
      2,
      `litmus: "deadbeef" is neither a summary file nor a benchmark run in ${join(env.LITMUS_DATA_DIR, "runs.db")} (see litmus bench list)`,
    ]);
  });
});

test("bench model refuses levels of parallelism it cannot measure, and models it does not measure, before loading anything", async () => {
  for (const [args, message] of [
    [["--parallel", "0"], '--parallel takes whole numbers from 1 to 64, comma-separated, like 4,8 (got "0")'],
    [["--parallel", "4,x"], '--parallel takes whole numbers from 1 to 64, comma-separated, like 4,8 (got "4,x")'],
    [["openai:gpt-4o-mini"], 'bench model measures local models, not "openai:gpt-4o-mini"'],
  ] as const) {
    const run = await litmus(["bench", "model", ...args]);
    expect(run).toEqual({ code: 2, stdout: "", stderr: `litmus: ${message}\n` });
  }
});
