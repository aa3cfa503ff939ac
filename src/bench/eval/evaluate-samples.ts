import { availableParallelism } from "node:os";
import { groundTruthCacheDir } from "../../cache-dirs.ts";
import type { BenchTask } from "../datasets/bench-task.ts";
import type { Dataset } from "../datasets/load-dataset.ts";
import { Evaluator, type SampleVerdict, type TimeLimits } from "./evaluator.ts";
import type { BenchSample } from "./samples.ts";
import { type EvalSummary, Tally } from "./tally.ts";

export interface EvaluateSamplesOptions {
  dataset: Dataset;
  /** The tasks to evaluate (a subset of the dataset's, or all of them). */
  tasks: BenchTask[];
  /** The samples, in order; or "self-check" to evaluate each task's reference solution. */
  samples: AsyncIterable<BenchSample> | "self-check";
  /** Task ids that have samples, when known in advance: ground truth is computed for those only. */
  sampledTaskIds?: ReadonlySet<string>;
  /** pass@k reported for these k (default 1, 10, 100), where every task has at least k samples. */
  ks?: readonly number[];
  workers?: number;
  timeLimits?: Partial<TimeLimits>;
  memoryBytes?: number;
  /** Where reference outputs are cached (default: litmus's cache); null keeps them in memory. */
  groundTruthDir?: string | null;
  /** Each result, in the order of the samples (results finishing early wait for those before them). */
  onResult?: (result: SampleResult) => void | Promise<void>;
  onProgress?: (progress: EvalProgress) => void;
  signal?: AbortSignal;
}

export interface SampleResult {
  sample: BenchSample;
  verdict: SampleVerdict;
}

export type EvalProgress =
  | { phase: "reference"; done: number; total: number }
  | { phase: "samples"; done: number; passed: number };

/**
 * Evaluates samples (or, for a self-check, the reference solutions) on a dataset's tasks in the sandbox:
 * reference outputs and times first (cached), then every sample under limits derived from them. Results stream
 * out in order through `onResult`; only per-task counts are kept, so memory does not grow with the samples.
 */
export async function evaluateSamples(options: EvaluateSamplesOptions): Promise<EvalSummary> {
  const started = performance.now();
  const workers = options.workers ?? availableParallelism();
  await using evaluator = new Evaluator({
    workers,
    groundTruthDir: options.groundTruthDir === undefined ? groundTruthCacheDir() : options.groundTruthDir,
    dataset: options.dataset,
    ...(options.timeLimits ? { timeLimits: options.timeLimits } : {}),
    ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const referenced = options.tasks.filter(
    (task) => task.canonicalSolution !== null && (options.sampledTaskIds?.has(task.id) ?? true),
  );
  const referenceFailures = await computeReferences(evaluator, referenced, options);
  const unscorable = new Set(referenceFailures.map((failure) => failure.taskId));
  const samples =
    options.samples === "self-check"
      ? await selfCheckSamples(
          evaluator,
          referenced.filter((task) => !unscorable.has(task.id)),
        )
      : options.samples;
  const tally = new Tally(options.tasks, options.ks);
  // A task whose reference solution failed cannot be scored: its samples are counted apart, never guessed.
  const score = (sample: BenchSample) =>
    unscorable.has(sample.task.id) ? Promise.resolve(null) : evaluator.evaluate(sample.task, sample.program);
  await runInOrder(samples, workers * 2, score, {
    ...(options.signal ? { signal: options.signal } : {}),
    onResult: async (sample, verdict) => {
      if (verdict === null) {
        tally.unscored++;
        return;
      }
      const result = { sample, verdict };
      tally.add({ taskId: sample.task.id, line: sample.line, verdict });
      options.onProgress?.({ phase: "samples", done: tally.samples + tally.unscored, passed: tally.passed });
      await options.onResult?.(result);
    },
  });
  return tally.summary({
    dataset: options.dataset,
    referenceFailures,
    workers,
    durationMs: performance.now() - started,
    generation: null,
  });
}

/** Computes the reference outputs of every task, the slowest-looking first (they decide the wall time). */
async function computeReferences(
  evaluator: Evaluator,
  tasks: BenchTask[],
  options: EvaluateSamplesOptions,
): Promise<Array<{ taskId: string; message: string }>> {
  const bySize = [...tasks].sort((a, b) => scoringSize(b) - scoringSize(a));
  let done = 0;
  const failures: Array<{ taskId: string; message: string }> = [];
  options.onProgress?.({ phase: "reference", done, total: tasks.length });
  await Promise.all(
    bySize.map(async (task) => {
      const truth = await evaluator.groundTruth(task);
      if (truth.failure) failures.push({ taskId: task.id, message: truth.failure });
      options.onProgress?.({ phase: "reference", done: ++done, total: tasks.length });
    }),
  );
  return failures.sort((a, b) => a.taskId.localeCompare(b.taskId, "en", { numeric: true }));
}

/** The reference solutions as samples, the slowest first (known now: their ground truth is timed). */
async function selfCheckSamples(evaluator: Evaluator, tasks: BenchTask[]): Promise<BenchSample[]> {
  const timed = await Promise.all(
    tasks.map(async (task) => ({ task, ms: referenceMs(await evaluator.groundTruth(task)) })),
  );
  return timed
    .sort((a, b) => b.ms - a.ms)
    .map(({ task }) => ({
      line: 0,
      record: { task_id: task.id, solution: task.canonicalSolution ?? "" },
      task,
      program: task.canonicalSolution ?? "",
    }));
}

function referenceMs(truth: { codeMs: number; testsMs: number | null }): number {
  return truth.codeMs + (truth.testsMs ?? 0);
}

function scoringSize(task: BenchTask): number {
  const { scoring } = task;
  return scoring.kind === "io" ? scoring.baseInputsJson.length + scoring.plusInputsJson.length : 0;
}

/**
 * Runs `work` on the items with at most `concurrency` at a time, pulling items only as room frees up (a file
 * of samples is never read ahead of the work), and hands results over in the items' order. Results that finish
 * before an earlier, slower one wait for it: as many as finish within one sample's time limit, whatever the
 * number of samples.
 */
async function runInOrder<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
  options: { onResult: (item: T, result: R) => Promise<void>; signal?: AbortSignal },
): Promise<void> {
  const pending = new Map<number, { item: T; result: R }>();
  const running = new Set<Promise<void>>();
  let next = 0;
  let delivered = 0;
  let failure: unknown;
  const deliver = async () => {
    for (let ready = pending.get(delivered); ready; ready = pending.get(delivered)) {
      pending.delete(delivered);
      delivered++;
      await options.onResult(ready.item, ready.result);
    }
  };
  let delivering = Promise.resolve();
  for await (const item of items) {
    options.signal?.throwIfAborted();
    if (failure) break;
    const index = next++;
    const job = work(item).then(
      (result) => {
        pending.set(index, { item, result });
        delivering = delivering.then(deliver).catch((error: unknown) => {
          failure ??= error;
        });
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    const tracked: Promise<void> = job.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
  await delivering;
  if (failure) throw failure;
}
