import type { BenchTask } from "../datasets/bench-task.ts";
import type { Dataset } from "../datasets/load-dataset.ts";
import { Evaluator, type SampleVerdict, type ScoringOptions } from "./evaluator.ts";
import type { GroundTruth } from "./ground-truth.ts";
import type { BenchSample } from "./samples.ts";
import { type EvalSummary, Tally } from "./tally.ts";

export interface EvaluateSamplesOptions extends ScoringOptions {
  dataset: Dataset;
  /** The tasks to evaluate (a subset of the dataset's, or all of them). */
  tasks: BenchTask[];
  /** The samples, in order; or "self-check" to evaluate each task's reference solution. */
  samples: AsyncIterable<BenchSample> | "self-check";
  /** Task ids that have samples, when known in advance: ground truth is computed for those only. */
  sampledTaskIds?: ReadonlySet<string>;
  /** pass@k reported for these k (default 1, 10, 100), where every task has at least k samples. */
  ks?: readonly number[];
  /** Each result, in the order of the samples (results finishing early wait for those before them). */
  onResult?: (result: SampleResult) => void | Promise<void>;
  onProgress?: (progress: EvalProgress) => void;
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
  await using evaluator = new Evaluator(options);
  const { workers } = evaluator;
  const referenced = options.tasks.filter(
    (task) => task.canonicalSolution !== null && (options.sampledTaskIds?.has(task.id) ?? true),
  );
  const references = startReferences(evaluator, referenced, options);
  let unscorable = new Set<string>();
  let samples: AsyncIterable<BenchSample>;
  if (options.samples === "self-check") {
    samples = selfCheckSamples(evaluator, referenced, references.truths);
  } else {
    // Samples come in the file's order: every reference first, so none waits for its task's reference.
    unscorable = new Set((await references.failures).map((failure) => failure.taskId));
    samples = options.samples;
  }
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
    referenceFailures: await references.failures,
    workers,
    durationMs: performance.now() - started,
    generation: null,
  });
}

/**
 * Starts computing the reference outputs of every task (cached ones load at once), the slowest-looking first:
 * they decide the wall time. Returns each task's promise and, once all are done, the references that failed.
 */
function startReferences(
  evaluator: Evaluator,
  tasks: BenchTask[],
  options: EvaluateSamplesOptions,
): { truths: Map<string, Promise<GroundTruth>>; failures: Promise<Array<{ taskId: string; message: string }>> } {
  const bySize = [...tasks].sort((a, b) => scoringSize(b) - scoringSize(a));
  let done = 0;
  options.onProgress?.({ phase: "reference", done, total: tasks.length });
  const truths = new Map(
    bySize.map((task) => {
      const truth = evaluator.groundTruth(task);
      // A failure is reported by whoever awaits the truth; this progress line must not be a second, unheard one.
      void truth.then(
        () => options.onProgress?.({ phase: "reference", done: ++done, total: tasks.length }),
        () => {},
      );
      return [task.id, truth] as const;
    }),
  );
  const failures = Promise.all(
    bySize.map(async (task) => ({ taskId: task.id, message: (await truths.get(task.id))?.failure ?? null })),
  ).then((all) =>
    all
      .filter((entry): entry is { taskId: string; message: string } => entry.message !== null)
      .sort((a, b) => a.taskId.localeCompare(b.taskId, "en", { numeric: true })),
  );
  // Awaited at the end; when the run stops early on the same error, nobody will, and it must not crash the process.
  failures.catch(() => {});
  return { truths, failures };
}

/**
 * The reference solutions as samples: those whose reference was cached first, the slowest first (their time is
 * known); then each of the others as soon as its reference is computed, so checks and references overlap.
 * A reference that failed is not a sample: it is reported with the failures.
 */
async function* selfCheckSamples(
  evaluator: Evaluator,
  tasks: BenchTask[],
  truths: Map<string, Promise<GroundTruth>>,
): AsyncGenerator<BenchSample> {
  const cached = await Promise.all(
    tasks.map(async (task) => ({ task, truth: await evaluator.cachedGroundTruth(task) })),
  );
  const known = cached.filter((entry) => entry.truth !== undefined) as Array<{ task: BenchTask; truth: GroundTruth }>;
  for (const { task, truth } of known.sort((a, b) => referenceMs(b.truth) - referenceMs(a.truth))) {
    if (truth.failure === null) yield selfCheckSample(task);
  }
  const rest = tasks.filter((task) => !known.some((entry) => entry.task === task));
  for await (const { item, value } of inCompletionOrder(rest, (task) => truths.get(task.id) as Promise<GroundTruth>)) {
    if (value.failure === null) yield selfCheckSample(item);
  }
}

function selfCheckSample(task: BenchTask): BenchSample {
  const program = task.canonicalSolution ?? "";
  return { line: 0, record: { task_id: task.id, solution: program }, task, program };
}

/** `items` with their settled values, in the order the values settle. */
async function* inCompletionOrder<T, V>(
  items: T[],
  settle: (item: T) => Promise<V>,
): AsyncGenerator<{ item: T; value: V }> {
  const settled: Array<{ item: T; value: V } | { error: unknown }> = [];
  let wake: (() => void) | undefined;
  for (const item of items) {
    void settle(item)
      .then(
        (value) => settled.push({ item, value }),
        (error: unknown) => settled.push({ error }),
      )
      .finally(() => wake?.());
  }
  for (let count = 0; count < items.length; count++) {
    while (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const next = settled.shift() as { item: T; value: V } | { error: unknown };
    if ("error" in next) throw next.error;
    yield next;
  }
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
