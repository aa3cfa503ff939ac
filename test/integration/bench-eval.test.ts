import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import {
  type BenchSample,
  type BenchTask,
  type Dataset,
  type EvaluateSamplesOptions,
  evaluateSamples,
  loadDataset,
  type SampleResult,
  selectTasks,
} from "../../src/bench/index.ts";
import { DATASETS_DIR, datasetsUnavailableReason, OUTPUT_CHECK_TIME_LIMITS } from "../helpers/datasets.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const missing = datasetsUnavailableReason() ?? sandboxUnavailableReason();
const groundTruthDir = mkdtempSync(join(tmpdir(), "litmus-ground-truth-"));

/** A completion-style sample of `task` (appended to its prompt, as human-eval does). */
function completion(task: BenchTask, text: string, line = 1): BenchSample {
  return { line, record: { task_id: task.id, completion: text }, task, program: task.samplePrefix + text };
}

/** A whole-program sample of `task`. */
function solution(task: BenchTask, program: string, line = 1): BenchSample {
  return { line, record: { task_id: task.id, solution: program }, task, program };
}

async function evaluate(
  dataset: Dataset,
  samples: BenchSample[],
  options: Partial<EvaluateSamplesOptions> = {},
): Promise<{ results: SampleResult[]; summary: Awaited<ReturnType<typeof evaluateSamples>> }> {
  const results: SampleResult[] = [];
  const tasks = [...new Map(samples.map((sample) => [sample.task.id, sample.task])).values()];
  const summary = await evaluateSamples({
    dataset,
    tasks,
    samples: (async function* () {
      yield* samples;
    })(),
    workers: 2,
    groundTruthDir,
    onResult: (result) => {
      results.push(result);
    },
    ...options,
  });
  return { results, summary };
}

const verdicts = (results: SampleResult[]) =>
  results.map(({ verdict }) => [verdict.kind, verdict.passed, verdict.basePassed]);

describe.skipIf(missing)(
  `scoring samples in the sandbox (${missing ?? "real sandboxes"})`,
  { timeout: 180_000 },
  () => {
    let humaneval: Dataset;
    let humanevalPlus: Dataset;
    let mbppPlus: Dataset;
    const task = (dataset: Dataset, id: string) =>
      selectTasks(dataset.tasks, { tasks: [id] }, dataset.name)[0] as BenchTask;
    beforeAll(async () => {
      humaneval = await loadDataset("humaneval", { datasetsDir: DATASETS_DIR, download: false });
      humanevalPlus = await loadDataset("humaneval+", { datasetsDir: DATASETS_DIR, download: false });
      mbppPlus = await loadDataset("mbpp+", { datasetsDir: DATASETS_DIR, download: false });
    });

    test("HumanEval: every failure class, results in the samples' order, pass@k over tasks", async () => {
      const closeElements = task(humaneval, "HumanEval/0");
      const reference = closeElements.canonicalSolution?.slice(closeElements.starter?.length) ?? "";
      const { results, summary } = await evaluate(
        humaneval,
        [
          completion(closeElements, reference, 1),
          completion(closeElements, "    return False\n", 2),
          completion(closeElements, "    return (\n", 3),
          completion(closeElements, "    while True:\n        pass\n", 4),
          completion(closeElements, "    x = bytearray(8 * 1024 ** 3)\n    return x\n", 5),
          completion(closeElements, "    import sys\n    sys.exit(0)\n", 6),
          completion(closeElements, "", 7),
          // The right function, then an exit at the top level: the tests never run (EvalPlus fails it too).
          completion(closeElements, `${reference}\nimport sys\nsys.exit(0)\n`, 8),
        ],
        // Time enough to fill the memory on a busy machine: the allocation must end by memory, not by time.
        { timeLimits: { minMs: 2000, factor: 1 }, memoryBytes: 256 * 1024 * 1024, ks: [1, 5, 10] },
      );
      expect(results.map(({ sample }) => sample.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, false],
        ["syntax", false, false],
        ["timeout", false, false],
        ["memory", false, false],
        ["runtime", false, false],
        ["test_failure", false, false],
        ["runtime", false, false],
      ]);
      expect(results[7]?.verdict.message).toBe(
        "the code exited (SystemExit: sys.exit or exit at its top level) before it could be tested",
      );
      expect(results[1]?.verdict.message).toBe(
        "assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True: expected True, got False (1 of 1 tests failed)",
      );
      expect(summary.passAtK).toEqual({ "pass@1": 0.125, "pass@5": 0.625 });
      expect(summary.kinds).toEqual({ syntax: 1, test_failure: 2, runtime: 2, timeout: 1, memory: 1, ok: 1 });
      expect(summary.perTask).toEqual([
        { taskId: "HumanEval/0", n: 8, c: 1, cBase: 1, difficulty: closeElements.difficulty, split: null },
      ]);
      expect(summary.basePassAtK).toBeNull();
    });

    test("HumanEval+: outputs compared with the reference's; base and plus inputs told apart", async () => {
      const closeElements = task(humanevalPlus, "HumanEval/0");
      const body = closeElements.canonicalSolution?.slice(closeElements.starter?.length) ?? "";
      const { results, summary } = await evaluate(humanevalPlus, [
        completion(closeElements, body),
        // Right on the original tests' short lists, wrong on longer plus inputs.
        completion(closeElements, `    if len(numbers) > 6:\n        return False\n${body}`),
        completion(closeElements, "    return False\n"),
        // numpy is there, as under EvalPlus and human-eval (the bench template).
        completion(closeElements, `    import numpy\n${body}`),
      ]);
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, true],
        ["test_failure", false, false],
        ["ok", true, true],
      ]);
      expect(results[1]?.verdict.message).toMatch(
        /^plus input #\d+: has_close_elements\(\[.*\], [\d.]+\): expected True, got False \(1 of 1 tests failed\)$/,
      );
      expect(results[2]?.verdict.message).toMatch(/^base input #0: has_close_elements\(/);
      expect(summary.passAtK).toEqual({ "pass@1": 0.5 });
      expect(summary.basePassAtK).toEqual({ "pass@1": 0.75 });
    });

    test("phases as EvalPlus runs them: what goes wrong on plus inputs keeps the base verdict; one budget a phase", async () => {
      const closeElements = task(humanevalPlus, "HumanEval/0");
      const body = closeElements.canonicalSolution?.slice(closeElements.starter?.length) ?? "";
      // Only on plus inputs (the base ones have at most 6 numbers): an exit, and a hang a bare except keeps going.
      const onPlus = (code: string) => `    if len(numbers) > 6:\n${code}${body}`;
      const hang =
        "        while True:\n            try:\n                while True:\n                    pass\n            except:\n                pass\n";
      const { results } = await evaluate(
        humanevalPlus,
        [
          completion(closeElements, onPlus("        raise SystemExit\n")),
          completion(closeElements, onPlus(hang)),
          // Module-level work counts in each phase's budget, as in EvalPlus, not under a limit of its own.
          completion(closeElements, `${body}\nimport time\ntime.sleep(1.5)\n`),
          completion(closeElements, `${body}\nimport time\nwhile True:\n    time.sleep(1)\n`),
        ],
        { timeLimits: { minMs: 1000, factor: 1, phaseCapMs: 3000 } },
      );
      expect(verdicts(results)).toEqual([
        ["runtime", false, true],
        ["timeout", false, true],
        ["ok", true, true],
        ["timeout", false, false],
      ]);
      expect(results[0]?.verdict.message).toMatch(
        /^test_inputs raised SystemExit: the code called exit \(status None\)/,
      );
      // The hang is stopped at its input's limit, not at the phase's budget: the bare except cannot keep it going.
      expect(results[1]?.verdict.message).toMatch(
        /^test_inputs: plus input #\d+: has_close_elements\(.*\) ran past its 1\.0 s limit/,
      );
    });

    test("each phase's calls run in a process of their own, from the state the program left", async () => {
      const closeElements = task(humanevalPlus, "HumanEval/0");
      const body = closeElements.canonicalSolution?.slice(closeElements.starter?.length) ?? "";
      if (closeElements.scoring.kind !== "io") throw new Error("HumanEval+ tasks are scored by inputs");
      const plusInputs = (JSON.parse(closeElements.scoring.plusInputsJson) as unknown[]).length;
      expect(plusInputs).toBeGreaterThan(10);
      const counted = (limit: number) =>
        `    _calls.append(1)\n    if len(_calls) > ${limit}:\n        return None\n${body}\n_calls = []\n`;
      const onPlus = (code: string) => `    if len(numbers) > 6:\n${code}${body}`;
      const { results } = await evaluate(
        humanevalPlus,
        [
          // What base's calls change is gone when plus starts: as many calls as plus has inputs are fine ...
          completion(closeElements, counted(plusInputs)),
          // ... and one fewer is not (the count really is kept within a phase).
          completion(closeElements, counted(plusInputs - 1)),
          // A call that kills its process (a crash, an exit) fails that phase; base keeps its verdict.
          completion(
            closeElements,
            onPlus("        import os, signal\n        os.kill(os.getpid(), signal.SIGSEGV)\n"),
          ),
          completion(closeElements, onPlus("        import os\n        os._exit(3)\n")),
          // Catching the time limit and answering late does not pass: the limit is the call's, not a signal's.
          completion(
            closeElements,
            `    import time\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass\n${body}`,
          ),
          completion(closeElements, body),
        ],
        { workers: 1, timeLimits: { minMs: 1000, factor: 1, phaseCapMs: 3000 } },
      );
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, true],
        ["runtime", false, true],
        ["runtime", false, true],
        ["timeout", false, false],
        ["ok", true, true],
      ]);
      expect(results[2]?.verdict.message).toMatch(
        /^test_inputs raised ProcessDied: plus input #\d+: has_close_elements\(.*\): killed by signal SIGSEGV/,
      );
      expect(results[3]?.verdict.message).toMatch(/^test_inputs raised SystemExit: the code called exit \(status 3\)/);
    });

    test("floats for ints pass until numpy, which EvalPlus compares with, cannot hold the ints", async () => {
      const unique = task(humanevalPlus, "HumanEval/34");
      const { results } = await evaluate(humanevalPlus, [
        // Equal under == for small ints; then (a float output made the tolerance sticky) numpy.allclose on a
        // list of ints beyond int64 raises, which fails the input in EvalPlus.
        completion(
          unique,
          "    result = sorted(set(l))\n    if all(type(x) is int for x in result):\n        return [float(x) for x in result]\n    return result\n",
        ),
      ]);
      expect(verdicts(results)).toEqual([["test_failure", false, true]]);
    });

    test("a large output of the right value in a subclass passes, as under EvalPlus's ==", async () => {
      const sequence = task(humanevalPlus, "HumanEval/15");
      const { results } = await evaluate(humanevalPlus, [
        completion(
          sequence,
          "    class Text(str):\n        pass\n    return Text(' '.join(str(i) for i in range(n + 1)))\n",
        ),
        completion(
          sequence,
          "    class Text(str):\n        pass\n    return Text(' '.join(str(i) for i in range(n)))\n",
        ),
      ]);
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, false],
      ]);
    });

    test("HumanEval+ oracles: float tolerance, find_zero by its polynomial, per-input time limits", async () => {
      const truncate = task(humanevalPlus, "HumanEval/2");
      const findZero = task(humanevalPlus, "HumanEval/32");
      const closeElements = task(humanevalPlus, "HumanEval/0");
      const { results } = await evaluate(
        humanevalPlus,
        [
          completion(truncate, "    return number % 1.0 + 1e-9\n"),
          completion(truncate, "    return number % 1.0 + 1e-3\n"),
          completion(findZero, findZero.canonicalSolution?.slice(findZero.starter?.length) ?? ""),
          completion(findZero, "    return 0.0\n"),
          completion(closeElements, "    import time\n    time.sleep(5)\n"),
        ],
        { timeLimits: { minMs: 1000, factor: 4 } },
      );
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, false],
        ["ok", true, true],
        ["test_failure", false, false],
        ["timeout", false, false],
      ]);
      expect(results[4]?.verdict.message).toMatch(
        /^test_inputs: base input #0: has_close_elements\(\[1\.0, 2\.0, 3\.9, 4\.0, 5\.0, 2\.2\], 0\.3\) ran past its 1\.0 s limit/,
      );
    });

    test("large outputs: digests that keep == (ints equal floats), and recomputed references", async () => {
      const sequence = task(humanevalPlus, "HumanEval/15");
      const tribonacci = task(humanevalPlus, "HumanEval/130");
      const colors = task(mbppPlus, "Mbpp/255");
      // The reference returns floats for even indices (i / 2 + 1); these ints are equal under ==.
      const intTri = [
        "    if n == 0:",
        "        return [1]",
        "    seq = [1, 3]",
        "    for i in range(2, n + 1):",
        "        seq.append(i // 2 + 1 if i % 2 == 0 else seq[i - 1] + seq[i - 2] + (i + 3) // 2)",
        "    return seq",
        "",
      ].join("\n");
      // What is checked here is how large outputs compare, not time.
      const generous = { timeLimits: OUTPUT_CHECK_TIME_LIMITS };
      const { results } = await evaluate(
        humanevalPlus,
        [
          completion(sequence, "    return ' '.join(str(i) for i in range(n + 1))\n"),
          // Right until the outputs get too large to keep: then compared by digest.
          completion(sequence, "    return ' '.join(str(i) for i in range(n + 1 if n < 5000 else n))\n"),
          completion(tribonacci, intTri),
        ],
        generous,
      );
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, true],
        ["ok", true, true],
      ]);
      expect(results[1]?.verdict.message).toMatch(
        /^plus input #\d+: .* expected <the reference's output: \d+ bytes pickled, str sha256 /,
      );
      const colorsRun = await evaluate(
        mbppPlus,
        [
          solution(colors, colors.canonicalSolution ?? ""),
          solution(colors, "def combinations_colors(l, n):\n    return [tuple(l)] * n\n"),
        ],
        generous,
      );
      expect(verdicts(colorsRun.results)).toEqual([
        ["ok", true, true],
        ["test_failure", false, false],
      ]);
    });

    test("MBPP+: inputs deserialized as EvalPlus does (tuples), its set-equality oracle", async () => {
      const shared = task(mbppPlus, "Mbpp/2");
      const { results } = await evaluate(mbppPlus, [
        solution(shared, shared.canonicalSolution ?? ""),
        solution(
          shared,
          "def similar_elements(a, b):\n    assert isinstance(a, tuple)\n    return sorted(set(a) & set(b))\n",
        ),
        solution(shared, "def similar_elements(a, b):\n    return (a[0],)\n"),
      ]);
      expect(verdicts(results)).toEqual([
        ["ok", true, true],
        ["ok", true, true],
        ["test_failure", false, false],
      ]);
    });

    test("a self-check runs every reference solution", async () => {
      const tasks = humaneval.tasks.slice(0, 12);
      const summary = await evaluateSamples({
        dataset: humaneval,
        tasks,
        samples: "self-check",
        workers: 2,
        groundTruthDir,
      });
      expect([summary.samples, summary.passAtK, summary.failures, summary.referenceFailures]).toEqual([
        12,
        { "pass@1": 1 },
        [],
        [],
      ]);
    });
  },
);
