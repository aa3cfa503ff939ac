import { createHash, randomUUID } from "node:crypto";
import { forEachConcurrently } from "../../concurrency.ts";
import { isLitmusError, LitmusError } from "../../errors.ts";
import { type BulletSource, type Outcome, solve } from "../../loop/index.ts";
import type { ResponseCache, TextModel } from "../../models/index.ts";
import type { BenchRunRecord, RunStore } from "../../store/index.ts";
import type { BenchTask } from "../datasets/bench-task.ts";
import type { Dataset } from "../datasets/load-dataset.ts";
import { Evaluator, loopTaskOf, type SampleVerdict, type ScoringOptions, scorerIdentity } from "../eval/evaluator.ts";
import { type EvalSummary, type SampleGeneration, Tally } from "../eval/tally.ts";

export interface ModelRunOptions extends ScoringOptions {
  dataset: Dataset;
  tasks: BenchTask[];
  model: TextModel;
  /** Samples per task (default 1); pass@k needs k of them. */
  samplesPerTask?: number;
  /** Attempts of the repair loop per sample, repairing from the visible tests (default 1: plain generation). */
  maxAttempts?: number;
  /** Candidates drawn per attempt, the best on the visible tests kept: best-of-n (default 1). */
  candidates?: number;
  /** Default 0 (greedy) for one sample per task, 0.8 for several. */
  temperature?: number;
  /** Seeds sampling; sample i of a task uses seed + 100000 * i (default 1). */
  seed?: number;
  maxOutputTokens?: number;
  ks?: readonly number[];
  /** Where the run lives: a rerun of the same settings continues it. */
  store: RunStore;
  /** Start a new run even when one with the same settings exists. */
  fresh?: boolean;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  /** Playbook bullets for each sample's prompts; `identity` (the playbook's content) is part of the run's key. */
  bullets?: { identity: string; sourceFor(task: BenchTask): BulletSource };
  /** False: plain retries instead of repairs (see `SolveOptions.feedback`). Default true. */
  feedback?: boolean;
  /** Called with every finished sample before it is committed (online learning: `bench run --learn`). */
  afterSample?: (task: BenchTask, outcome: Outcome, sample: { runId: string; key: string }) => Promise<void>;
  /** Samples made elsewhere (`bench run --queue`: by workers) instead of here. */
  remote?: RemoteSampler;
  onProgress?: (event: ModelRunEvent) => void;
}

/** What a sample is made with besides its task: the part of a run's settings a worker needs. */
export interface SampleSettings {
  maxAttempts: number;
  temperature: number;
  seed: number;
  maxOutputTokens: number | null;
  /** False: plain retries (see `SolveOptions.feedback`). */
  feedback: boolean;
  /** Best-of-n: candidates per attempt (absent: 1). */
  candidates?: number;
}

/** Makes a run's samples elsewhere: `bench run --queue` hands each one to a worker (see queue/). */
export interface RemoteSampler {
  /** Samples asked for at once. */
  inFlight: number;
  sample(request: {
    runId: string;
    task: BenchTask;
    sample: number;
    settings: SampleSettings;
  }): Promise<SampleDocument>;
}

/** What making a sample here needs besides its task and settings. */
export interface SampleEnvironment {
  model: TextModel;
  evaluator: Evaluator;
  store: RunStore;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  signal?: AbortSignal;
  bullets?: BulletSource;
}

export type ModelRunEvent =
  /** Samples recorded under another scorer (an older litmus) are scored again before the run goes on. */
  | { type: "rescore"; runId: string; total: number }
  | { type: "start"; runId: string; total: number; finished: number; resumed: boolean }
  | { type: "sample"; taskId: string; sample: number; verdict: SampleVerdict; done: number; total: number };

/** What a bench run records about each sample. */
export interface SampleDocument {
  taskId: string;
  sample: number;
  code: string | null;
  verdict: SampleVerdict;
  /** The scorer that gave the verdict (scorerIdentity; absent in samples recorded before it was kept). */
  scorer?: string;
  generation: SampleGeneration;
  /**
   * The solve run (in the run store's runs) with every attempt's prompt answer, code and diagnosis; `null` when
   * the task was too long for the model to be asked at all.
   */
  solveRunId: string | null;
  attempts: Array<{ n: number; kind: string; message: string }>;
  /** Playbook bullets shown in any attempt. */
  bullets: string[];
}

/**
 * Runs a model on a benchmark: each sample is generated (with the repair loop on the visible tests when
 * maxAttempts > 1), then scored on the hidden tests in the sandbox; the hidden tests never reach the model.
 * Every sample is committed to the run store as it finishes; running the same settings again continues the
 * run and never redoes a finished sample.
 */
export async function runModelBenchmark(
  options: ModelRunOptions,
): Promise<{ run: BenchRunRecord; summary: EvalSummary }> {
  if (options.remote && options.afterSample) {
    throw new LitmusError(
      "BAD_INPUT",
      "learning after each sample needs the samples made here: use litmus learn --queue to learn with workers",
    );
  }
  const started = performance.now();
  const settings = settingsOf(options);
  const key = createHash("sha256").update(JSON.stringify(settings)).digest("hex");
  const existing = options.fresh ? null : options.store.bench.latest(key);
  const total = options.tasks.length * settings.samplesPerTask;
  const scorer = scorerIdentity(options);
  const stale = existing ? staleSamples(options.store, existing.id, scorer) : [];
  if (existing?.status === "finished" && stale.length === 0) {
    options.onProgress?.({ type: "start", runId: existing.id, total, finished: total, resumed: true });
    return { run: existing, summary: existing.summary as EvalSummary };
  }
  const run =
    existing ??
    options.store.bench.create({
      id: randomUUID(),
      key,
      dataset: options.dataset.name,
      model: options.model.spec,
      config: settings,
    });
  // Scoring happens where samples are made: a run whose samples are made by workers needs no sandboxes here
  // (an evaluator starts none until it scores), unless older samples are to be scored again.
  await using evaluator = new Evaluator(options);
  if (stale.length > 0) {
    options.onProgress?.({ type: "rescore", runId: run.id, total: stale.length });
    await rescore(stale, options, evaluator, run.id);
  }
  const tally = new Tally(options.tasks, options.ks);
  const finished = options.store.bench.finishedKeys(run.id);
  for (const record of options.store.bench.samples(run.id)) {
    const document = record.document as SampleDocument;
    tally.add({ taskId: document.taskId, line: 0, verdict: document.verdict, generation: document.generation });
  }
  options.onProgress?.({ type: "start", runId: run.id, total, finished: finished.size, resumed: existing !== null });

  const workers = options.remote?.inFlight ?? evaluator.workers;
  const jobs = options.tasks.flatMap((task) =>
    Array.from({ length: settings.samplesPerTask }, (_, sample) => ({ task, sample })).filter(
      ({ sample }) => !finished.has(`${task.id}#${sample}`),
    ),
  );
  let done = finished.size;
  const sampleSettings: SampleSettings = {
    maxAttempts: settings.maxAttempts,
    temperature: settings.temperature,
    seed: settings.seed,
    maxOutputTokens: settings.maxOutputTokens,
    feedback: settings.feedback !== false,
    ...(settings.candidates ? { candidates: settings.candidates } : {}),
  };
  const makeOne = async (task: BenchTask, sample: number): Promise<SampleDocument> => {
    if (options.remote) return options.remote.sample({ runId: run.id, task, sample, settings: sampleSettings });
    const made = await makeSample(task, sample, sampleSettings, {
      model: options.model,
      evaluator,
      store: options.store,
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.modelTimeoutMs === undefined ? {} : { modelTimeoutMs: options.modelTimeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.bullets ? { bullets: options.bullets.sourceFor(task) } : {}),
    });
    // Nothing to learn from a task the model could not be asked.
    if (made.outcome) await options.afterSample?.(task, made.outcome, { runId: run.id, key: `${task.id}#${sample}` });
    return made.document;
  };
  // A local model decodes as many answers at once as it has sequences, and a call waiting for a sequence would
  // count against its timeout: that many samples at a time then (their scoring is short next to generation).
  // Best-of-n candidates of one sample are drawn at once too: fewer samples at once then.
  const concurrency = options.remote
    ? workers
    : options.model.parallel === null
      ? workers
      : Math.max(1, Math.floor(options.model.parallel / Math.min(options.candidates ?? 1, options.model.parallel)));
  await forEachConcurrently(jobs, concurrency, async ({ task, sample }) => {
    const document = await makeOne(task, sample);
    options.store.bench.saveSample(run.id, {
      taskId: task.id,
      sample,
      passed: document.verdict.passed,
      document,
    });
    tally.add({ taskId: task.id, line: 0, verdict: document.verdict, generation: document.generation });
    options.onProgress?.({ type: "sample", taskId: task.id, sample, verdict: document.verdict, done: ++done, total });
  });
  const summary = tally.summary({
    dataset: options.dataset,
    referenceFailures: [],
    workers,
    durationMs: performance.now() - started,
    generation: {
      runId: run.id,
      model: options.model.spec,
      samplesPerTask: settings.samplesPerTask,
      maxAttempts: settings.maxAttempts,
      temperature: settings.temperature,
      seed: settings.seed,
    },
  });
  options.store.bench.finish(run.id, summary);
  return { run: options.store.bench.get(run.id) as BenchRunRecord, summary };
}

/** The recorded samples of a run that another scorer judged. */
function staleSamples(store: RunStore, runId: string, scorer: string): SampleDocument[] {
  return [...store.bench.samples(runId)]
    .map((record) => record.document as SampleDocument)
    .filter((document) => document.scorer !== scorer);
}

/** Scores recorded samples again, with this run's scorer, and records the new verdicts in place. */
async function rescore(
  documents: SampleDocument[],
  options: ModelRunOptions,
  evaluator: Evaluator,
  runId: string,
): Promise<void> {
  const tasks = new Map(options.tasks.map((task) => [task.id, task]));
  await forEachConcurrently(documents, evaluator.workers, async (document) => {
    const task = tasks.get(document.taskId);
    if (!task)
      throw new LitmusError("INTERNAL", `run ${runId} has a sample of ${document.taskId}, not one of its tasks`);
    const verdict = await evaluator.evaluate(task, document.code);
    options.store.bench.rescoreSample(runId, {
      taskId: document.taskId,
      sample: document.sample,
      passed: verdict.passed,
      document: { ...document, verdict, scorer: evaluator.scorer },
    });
  });
}

/** What a run is of: the dataset (by content), the tasks and the model. Part of every resumable run's key. */
export function runSubject(options: { dataset: Dataset; tasks: BenchTask[]; model: TextModel }) {
  return {
    dataset: options.dataset.name,
    datasetSha256: options.dataset.sha256,
    tasks: options.tasks.map((task) => task.id),
    model: options.model.spec,
    modelIdentity: options.model.cacheIdentity,
  };
}

/** Everything that makes two invocations the same run. */
function settingsOf(options: ModelRunOptions) {
  const samplesPerTask = options.samplesPerTask ?? 1;
  return {
    ...runSubject(options),
    samplesPerTask,
    maxAttempts: options.maxAttempts ?? 1,
    temperature: options.temperature ?? (samplesPerTask > 1 || (options.candidates ?? 1) > 1 ? 0.8 : 0),
    seed: options.seed ?? 1,
    maxOutputTokens: options.maxOutputTokens ?? null,
    // Only when set: the runs recorded before these options existed keep their keys (and resume).
    ...(options.bullets ? { bullets: options.bullets.identity } : {}),
    ...(options.feedback === false ? { feedback: false } : {}),
    ...(options.candidates && options.candidates > 1 ? { candidates: options.candidates } : {}),
  };
}

/**
 * Makes one sample here: generated (and repaired on the visible tests), then scored on the hidden ones. Also
 * what a worker runs for each job of `bench run --queue`.
 */
export async function makeSample(
  task: BenchTask,
  sample: number,
  settings: SampleSettings,
  environment: SampleEnvironment,
): Promise<{ document: SampleDocument; outcome: Outcome | null }> {
  const started = performance.now();
  const { evaluator } = environment;
  let outcome: Outcome;
  try {
    outcome = await solveSample(task, sample, settings, environment);
  } catch (error) {
    // A task too long for the model's context is a sample it failed, not the end of a run of hours.
    if (!isLitmusError(error, "PROMPT_TOO_LONG")) throw error;
    const verdict = await evaluator.evaluate(task, null);
    const document = { ...unaskedSample(task, sample, verdict, error.message, started), scorer: evaluator.scorer };
    return { document, outcome: null };
  }
  const verdict = await evaluator.evaluate(task, outcome.code);
  const document: SampleDocument = {
    taskId: task.id,
    sample,
    code: outcome.code,
    verdict,
    scorer: evaluator.scorer,
    generation: {
      attempts: outcome.attempts.length,
      generations: outcome.attempts.reduce((sum, attempt) => sum + attempt.generations, 0),
      visiblePassed: outcome.success,
      inputTokens: outcome.usage.inputTokens,
      outputTokens: outcome.usage.outputTokens,
      costUsd: outcome.usage.costUsd,
      durationMs: performance.now() - started,
    },
    solveRunId: outcome.runId,
    attempts: outcome.attempts.map((attempt) => ({
      n: attempt.n,
      kind: attempt.diagnosis.kind,
      message: attempt.diagnosis.message,
    })),
    bullets: outcome.playbook.used,
  };
  return { document, outcome };
}

/** The repair loop on the visible tests only: the loop task carries no hidden tests, and the scoring is ours. */
function solveSample(
  task: BenchTask,
  sample: number,
  settings: SampleSettings,
  environment: SampleEnvironment,
): Promise<Outcome> {
  return solve(loopTaskOf(task), {
    model: environment.model,
    maxAttempts: settings.maxAttempts,
    ...(settings.candidates ? { samples: settings.candidates } : {}),
    temperature: settings.temperature,
    seed: settings.seed + 100_000 * sample,
    store: environment.store,
    ...(settings.maxOutputTokens === null ? {} : { maxOutputTokens: settings.maxOutputTokens }),
    ...(environment.cache ? { cache: environment.cache } : {}),
    ...(environment.modelTimeoutMs === undefined ? {} : { modelTimeoutMs: environment.modelTimeoutMs }),
    ...(environment.signal ? { signal: environment.signal } : {}),
    ...(environment.bullets ? { bullets: environment.bullets } : {}),
    ...(settings.feedback ? {} : { feedback: false }),
  });
}

/** A sample whose first prompt the model could not take: no code, so it fails its tests. */
function unaskedSample(
  task: BenchTask,
  sample: number,
  verdict: SampleVerdict,
  reason: string,
  started: number,
): SampleDocument {
  return {
    taskId: task.id,
    sample,
    code: null,
    verdict,
    generation: {
      attempts: 0,
      generations: 0,
      visiblePassed: false,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      durationMs: performance.now() - started,
    },
    solveRunId: null,
    attempts: [{ n: 1, kind: "prompt_too_long", message: reason }],
    bullets: [],
  };
}
