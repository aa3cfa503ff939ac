import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import {
  type BenchTask,
  type Dataset,
  loadDataset,
  measureRepairLift,
  runModelBenchmark,
  type SampleDocument,
  selectTasks,
} from "../../src/bench/index.ts";
import { openModel } from "../../src/models/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { litmus, spawnLitmus, waitFor } from "../helpers/cli.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const missing = datasetsUnavailableReason() ?? sandboxUnavailableReason();
const groundTruthDir = mkdtempSync(join(tmpdir(), "litmus-ground-truth-"));
const fenced = (code: string) => `\`\`\`python\n${code}\n\`\`\``;

const SHARED_RIGHT = fenced(
  "def similar_elements(test_tup1, test_tup2):\n    return tuple(set(test_tup1) & set(test_tup2))",
);
const SHARED_WRONG = fenced("def similar_elements(test_tup1, test_tup2):\n    return ()");
// Passes the one visible assert (is_not_prime(2) == False) and no hidden one that expects True.
const NOT_PRIME_LAZY = fenced("def is_not_prime(n):\n    return False");

describe.skipIf(missing)(`litmus bench run (${missing ?? "real sandboxes"})`, { timeout: 300_000 }, () => {
  let mbpp: Dataset;
  let tasks: BenchTask[];
  beforeAll(async () => {
    mbpp = await loadDataset("mbpp", { datasetsDir: DATASETS_DIR, download: false });
    tasks = selectTasks(mbpp.tasks, { tasks: ["2", "3"] }, "mbpp");
  });

  test("repairs on the visible test, scores on the hidden ones, which never reach the model; resumes", async () => {
    using store = RunStore.open(":memory:");
    const settings = { dataset: mbpp, tasks, store, samplesPerTask: 2, maxAttempts: 2, workers: 1, groundTruthDir };
    // Attempt 1 of Mbpp/2 #0 fails its visible assert and is repaired; the model then falls over.
    const first = scripted([SHARED_WRONG, SHARED_RIGHT, new Error("the model server fell over")]);
    await expect(runModelBenchmark({ ...settings, model: first.model })).rejects.toThrow(
      "scripted:test failed: the model server fell over",
    );
    const run = store.bench.list()[0];
    expect([...store.bench.finishedKeys(run?.id ?? "")]).toEqual(["Mbpp/2#0"]);

    const second = scripted([SHARED_RIGHT, NOT_PRIME_LAZY, "I would rather not.", "Still no."]);
    const events: string[] = [];
    const { summary } = await runModelBenchmark({
      ...settings,
      model: second.model,
      onProgress: (event) =>
        events.push(
          event.type === "start"
            ? `start ${event.finished}/${event.total} resumed=${event.resumed}`
            : event.type === "sample"
              ? `${event.taskId}#${event.sample}`
              : `rescore ${event.total}`,
        ),
    });
    // Only the three unfinished samples were generated: four calls, none for Mbpp/2 #0.
    expect(second.fake.calls.length).toBe(4);
    expect(events).toEqual(["start 1/4 resumed=true", "Mbpp/2#1", "Mbpp/3#0", "Mbpp/3#1"]);
    expect(summary.passAtK).toEqual({ "pass@1": 0.5 });
    expect(summary.kinds).toEqual({ no_code: 1, test_failure: 1, ok: 2 });
    expect(summary.generation).toMatchObject({
      model: "scripted:test",
      samplesPerTask: 2,
      maxAttempts: 2,
      attemptsToSuccess: { "1": 1, "2": 1, failed: 2 },
      visiblePassed: 3,
      usage: { inputTokens: 60, outputTokens: 30 },
    });
    // The visible assert of each task is in the prompts; the hidden ones never are.
    const prompts = [...first.fake.calls, ...second.fake.calls].map(userText).join("\n");
    expect(prompts).toContain("similar_elements((3, 4, 5, 6),(5, 7, 4, 10))");
    for (const task of tasks) {
      const scoring =
        task.scoring.kind === "tests" && task.scoring.tests.kind === "code" ? task.scoring.tests.code : "";
      for (const hidden of scoring.split("\n").slice(1).filter(Boolean)) expect(prompts).not.toContain(hidden);
    }
    // Done: running it again changes nothing.
    const third = scripted([]);
    const again = await runModelBenchmark({ ...settings, model: third.model });
    expect([third.fake.calls.length, again.summary.passAtK]).toEqual([0, { "pass@1": 0.5 }]);

    // A sample an older scorer judged (wrongly, here) is scored again when the run is next opened, finished or
    // not, without asking the model; the others keep their verdicts.
    const runId = again.run.id;
    const passing = [...store.bench.samples(runId)].find((sample) => sample.passed);
    if (!passing) throw new Error("no passing sample");
    const { scorer, ...older } = passing.document as SampleDocument;
    expect(scorer).toMatch(/^[0-9a-f]{16}$/);
    const wrong = { ...older.verdict, passed: false, kind: "timeout" as const };
    store.bench.rescoreSample(runId, { ...passing, passed: false, document: { ...older, verdict: wrong } });
    const fourth = scripted([]);
    const rescoreEvents: string[] = [];
    const rescored = await runModelBenchmark({
      ...settings,
      model: fourth.model,
      onProgress: (event) => rescoreEvents.push(event.type === "rescore" ? `rescore ${event.total}` : event.type),
    });
    expect(fourth.fake.calls.length).toBe(0);
    expect(rescoreEvents).toEqual(["rescore 1", "start"]);
    expect(rescored.summary.passAtK).toEqual({ "pass@1": 0.5 });
    expect(rescored.summary.kinds).toEqual({ no_code: 1, test_failure: 1, ok: 2 });
    const after = [...store.bench.samples(runId)].find(
      (sample) => sample.taskId === passing.taskId && sample.sample === passing.sample,
    );
    expect(after?.document).toMatchObject({ scorer, verdict: { passed: true, kind: "ok" } });
    // Another scorer (other limits) judges every sample again.
    const strict = await runModelBenchmark({
      ...settings,
      model: scripted([]).model,
      timeLimits: { factor: 5 },
      onProgress: (event) => rescoreEvents.push(event.type === "rescore" ? `rescore ${event.total}` : event.type),
    });
    expect(rescoreEvents.slice(2)).toEqual(["rescore 4", "start"]);
    expect(strict.summary.passAtK).toEqual({ "pass@1": 0.5 });
  });

  test("bullets are shown and recorded per sample; plain retries show no failure", async () => {
    using store = RunStore.open(":memory:");
    const settings = { dataset: mbpp, tasks: tasks.slice(0, 1), store, maxAttempts: 2, workers: 1, groundTruthDir };
    const withBullets = scripted([SHARED_WRONG, SHARED_RIGHT]);
    const bullets = {
      identity: "test-playbook@1",
      sourceFor: () => ({
        size: 1,
        select: () => [{ id: "str-0001", content: "Return a tuple of the shared elements." }],
      }),
    };
    const { run } = await runModelBenchmark({ ...settings, model: withBullets.model, bullets });
    expect(run.config).toMatchObject({ bullets: "test-playbook@1" });
    expect(userText(withBullets.fake.calls[0])).toContain("[str-0001] Return a tuple of the shared elements.");
    const [sample] = [...store.bench.samples(run.id)];
    expect(sample?.document).toMatchObject({ bullets: ["str-0001"], verdict: { passed: true } });

    const retries = scripted([SHARED_WRONG, SHARED_RIGHT]);
    const plain = await runModelBenchmark({ ...settings, model: retries.model, feedback: false });
    expect(plain.run.config).toMatchObject({ feedback: false });
    expect(plain.run.id).not.toBe(run.id);
    expect(userText(retries.fake.calls[1])).toBe(userText(retries.fake.calls[0]));
    expect(userText(retries.fake.calls[1])).not.toContain("previous attempt failed");
  });

  test("repair lift: four arms on the same tasks, paired by task, each a resumable run", async () => {
    using store = RunStore.open(":memory:");
    const settings = { dataset: mbpp, tasks, store, workers: 1, groundTruthDir, attempts: 2 };
    // In task order (Mbpp/2, then Mbpp/3), arm by arm: first, repair, retries, best-of (two candidates).
    const otherWrong = fenced("def similar_elements(test_tup1, test_tup2):\n    return (1,)");
    const model = scripted([
      ...[SHARED_WRONG, NOT_PRIME_LAZY], // first: both fail the hidden tests
      ...[SHARED_WRONG, SHARED_RIGHT, NOT_PRIME_LAZY], // repair: Mbpp/2 repaired; Mbpp/3 passes its visible test only
      ...[SHARED_WRONG, SHARED_WRONG, otherWrong, NOT_PRIME_LAZY], // retries: a repeat is drawn again
      ...[SHARED_WRONG, SHARED_WRONG, NOT_PRIME_LAZY], // best-of: Mbpp/3 stops at its first candidate
    ]);
    const report = await measureRepairLift({ ...settings, model: model.model });
    expect(report.arms.map((arm) => [arm.arm, arm.passRate, arm.basePassRate, arm.generationsPerTask])).toEqual([
      ["first", 0, 0, 1],
      ["repair", 0.5, 0.5, 1.5],
      ["retries", 0, 0, 2], // the redraw of the repeat is counted
      ["best-of", 0, 0, 1.5],
    ]);
    expect(model.fake.calls).toHaveLength(12);
    expect(userText(model.fake.calls[3])).toContain("This previous attempt failed");
    // A retry never shows the failure; the repeated code was drawn again, hotter.
    expect(userText(model.fake.calls[6])).toBe(userText(model.fake.calls[5]));
    expect(userText(model.fake.calls[6])).not.toContain("previous attempt failed");
    expect(model.fake.calls[7]?.temperature).toBeGreaterThan(model.fake.calls[6]?.temperature ?? 1);
    expect(
      report.differences.map((difference) => [difference.versus, difference.plus.mean, difference.plus.aOnly]),
    ).toEqual([
      ["first", 0.5, 1],
      ["retries", 0.5, 1],
      ["best-of", 0.5, 1],
    ]);
    // Measuring again finds every arm finished: no model call.
    const again = scripted([]);
    const repeated = await measureRepairLift({ ...settings, model: again.model });
    expect(repeated.arms.map((arm) => arm.runId)).toEqual(report.arms.map((arm) => arm.runId));
    expect(again.fake.calls).toEqual([]);
  });

  test("a task too long for the embedded model's context is a sample it failed, and the run goes on", async () => {
    using store = RunStore.open(":memory:");
    const [shared, notPrime] = tasks as [BenchTask, BenchTask];
    const tooLong = { ...shared, prompt: `${shared.prompt} ${"Take care of every case. ".repeat(400)}` };
    const model = await openModel("local");
    const { summary, run } = await runModelBenchmark({
      dataset: mbpp,
      tasks: [tooLong, notPrime],
      store,
      model,
      maxOutputTokens: 48,
      workers: 1,
      groundTruthDir,
    });
    expect(summary.samples).toBe(2);
    const documents = [...store.bench.samples(run.id)].map((sample) => sample.document as SampleDocument);
    const unasked = documents.find((document) => document.taskId === "Mbpp/2");
    expect(unasked).toMatchObject({
      code: null,
      solveRunId: null,
      verdict: { passed: false },
      attempts: [
        {
          n: 1,
          kind: "prompt_too_long",
          message: expect.stringMatching(
            /^the prompt \(\d+ tokens\) does not fit the local model's context of 2048 tokens/,
          ),
        },
      ],
    });
    // The other task was asked and answered.
    expect(documents.find((document) => document.taskId === "Mbpp/3")?.generation.outputTokens).toBeGreaterThan(0);
  });

  test("the embedded model end to end through the CLI, killed mid-run and resumed", async () => {
    const env = {
      ...process.env,
      LITMUS_DATASETS_DIR: DATASETS_DIR,
      LITMUS_DATA_DIR: mkdtempSync(join(tmpdir(), "litmus-data-")),
    };
    const args = [
      "bench",
      "run",
      "--dataset",
      "humaneval",
      "--tasks",
      "2,7,13",
      "--samples",
      "2",
      "--max-tokens",
      "64",
      "--no-cache",
    ];
    const dbPath = join(env.LITMUS_DATA_DIR, "runs.db");
    const first = spawnLitmus(args, env);
    // Killed the moment a first sample is committed, with the others still to do.
    await waitFor(() => existsSync(dbPath) && finishedSamples(dbPath).length >= 1, first.stderr);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("close", resolve));
    const before = finishedSamples(dbPath);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(6);

    const out = mkdtempSync(join(tmpdir(), "litmus-out-"));
    const second = await litmus([...args, "--out", out, "--json"], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(
      new RegExp(`resuming run [0-9a-f]{8}: ${before.length}/6 samples done \\(local on humaneval\\)`),
    );
    const summary = JSON.parse(second.stdout);
    expect([summary.samples, summary.tasks, summary.generation.model, Object.keys(summary.passAtK)]).toEqual([
      6,
      3,
      "local",
      ["pass@1"],
    ]);
    // The samples finished before the kill were kept as they were, not redone.
    const after = finishedSamples(dbPath);
    expect(after.length).toBe(6);
    for (const sample of before) expect(after).toContainEqual(sample);
    const lines = readFileSync(join(out, "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => `${line.taskId}#${line.sample}`).sort()).toEqual([
      "HumanEval/13#0",
      "HumanEval/13#1",
      "HumanEval/2#0",
      "HumanEval/2#1",
      "HumanEval/7#0",
      "HumanEval/7#1",
    ]);
    expect(lines[0]).toMatchObject({ verdict: { passed: expect.any(Boolean) }, generation: { attempts: 1 } });
  });
});

function finishedSamples(dbPath: string): string[] {
  using store = RunStore.open(dbPath);
  const run = store.bench.list()[0];
  return run
    ? [...store.bench.samples(run.id)].map(
        (sample) => `${sample.taskId}#${sample.sample}@${JSON.stringify(sample.document)}`,
      )
    : [];
}
