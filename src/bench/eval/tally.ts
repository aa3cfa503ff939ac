import { DIAGNOSIS_KINDS, type DiagnosisKind } from "../../loop/index.ts";
import type { BenchTask, Difficulty, Split } from "../datasets/bench-task.ts";
import { round } from "../stats.ts";
import type { SampleVerdict } from "./evaluator.ts";
import { meanPassAtK } from "./pass-at-k.ts";

/** Per task: how many samples, how many passed (and passed the base inputs). */
export interface TaskTally {
  taskId: string;
  n: number;
  c: number;
  cBase: number;
  difficulty: Difficulty | null;
  split: Split | null;
}

/** How a model produced a sample (bench run): the repair loop's attempts and what they cost. */
export interface SampleGeneration {
  attempts: number;
  /** Model calls: every candidate and every redraw of a repeated repair (absent in runs recorded before it was). */
  generations?: number;
  /** The final code passed the visible tests (or ran, when the task shows none). */
  visiblePassed: boolean;
  inputTokens: number;
  outputTokens: number;
  /** null when the model's price is unknown. */
  costUsd: number | null;
  /** Generation, repairs and the final scoring of this sample. */
  durationMs: number;
}

/** One scored sample, as the tally counts it. */
export interface ScoredSample {
  taskId: string;
  /** Line in the samples file (0 for samples made in memory). */
  line: number;
  verdict: SampleVerdict;
  generation?: SampleGeneration;
}

/** What a model run adds to the summary. */
export interface GenerationSummary {
  runId: string;
  model: string;
  samplesPerTask: number;
  maxAttempts: number;
  temperature: number;
  seed: number;
  /** Samples that passed the scoring tests, by the attempts the loop used ("1", "2", ...); "failed" the rest. */
  attemptsToSuccess: Record<string, number>;
  /** Samples whose final code passed the visible tests (the loop's own verdict). */
  visiblePassed: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  /** Time spent on the samples, added up (generation, repairs, scoring), over every session of the run. */
  sampleMs: number;
}

/** The summary of an evaluation or a model run: the `litmus bench eval|run --json` document. */
export interface EvalSummary {
  dataset: { name: string; format: string; sha256: string; tasks: number };
  samples: number;
  tasks: number;
  passAtK: Record<string, number>;
  /** EvalPlus's "base" scores (the original tests' inputs only), for datasets with plus inputs; else null. */
  basePassAtK: Record<string, number> | null;
  kinds: Partial<Record<DiagnosisKind, number>>;
  perTask: TaskTally[];
  /** The first failure of every task with a failing sample. */
  failures: Array<{ taskId: string; line: number; kind: DiagnosisKind; message: string }>;
  /** Selected tasks that had no sample. */
  missingTasks: string[];
  /** Reference solutions that failed their own tests (a dataset problem, reported, never hidden). */
  referenceFailures: Array<{ taskId: string; message: string }>;
  /** Samples of tasks whose reference failed: not scored, not counted in pass@k. */
  unscoredSamples: number;
  /** Model runs only; null for the evaluation of a samples file. */
  generation: GenerationSummary | null;
  workers: number;
  durationMs: number;
}

/**
 * Counts scored samples per task, whatever their number: only counts are kept (and one failure per task), so
 * the memory of an evaluation does not grow with its samples.
 */
export class Tally {
  private readonly perTask = new Map<string, TaskTally>();
  private readonly firstFailures = new Map<string, EvalSummary["failures"][number]>();
  private readonly kinds: Partial<Record<DiagnosisKind, number>> = {};
  private readonly attemptsToSuccess: Record<string, number> = {};
  private visiblePassed = 0;
  private readonly usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 as number | null };
  private sampleMs = 0;
  private readonly ks: readonly number[];
  private readonly hasPlus: boolean;
  samples = 0;
  passed = 0;
  unscored = 0;

  /** `ks`: the k of pass@k to report (default 1, 10, 100), where every task has at least k samples. */
  constructor(tasks: BenchTask[], ks: readonly number[] = [1, 10, 100]) {
    this.ks = ks;
    this.hasPlus = tasks.some((task) => task.scoring.kind === "io");
    for (const task of tasks) {
      this.perTask.set(task.id, {
        taskId: task.id,
        n: 0,
        c: 0,
        cBase: 0,
        difficulty: task.difficulty,
        split: task.split,
      });
    }
  }

  add({ taskId, line, verdict, generation }: ScoredSample): void {
    const tally = this.perTask.get(taskId);
    if (!tally) return;
    tally.n++;
    this.samples++;
    if (verdict.passed) {
      tally.c++;
      this.passed++;
    }
    if (verdict.basePassed) tally.cBase++;
    this.kinds[verdict.kind] = (this.kinds[verdict.kind] ?? 0) + 1;
    if (!verdict.passed && !this.firstFailures.has(taskId)) {
      this.firstFailures.set(taskId, { taskId, line, kind: verdict.kind, message: verdict.message });
    }
    if (generation) this.addGeneration(generation, verdict.passed);
  }

  private addGeneration(generation: SampleGeneration, passed: boolean): void {
    const bucket = passed ? String(generation.attempts) : "failed";
    this.attemptsToSuccess[bucket] = (this.attemptsToSuccess[bucket] ?? 0) + 1;
    if (generation.visiblePassed) this.visiblePassed++;
    this.usage.inputTokens += generation.inputTokens;
    this.usage.outputTokens += generation.outputTokens;
    this.usage.costUsd =
      this.usage.costUsd === null || generation.costUsd === null ? null : this.usage.costUsd + generation.costUsd;
    this.sampleMs += generation.durationMs;
  }

  summary(context: {
    dataset: { name: string; format: string; sha256: string; tasks: readonly unknown[] };
    referenceFailures: EvalSummary["referenceFailures"];
    workers: number;
    durationMs: number;
    generation: Omit<GenerationSummary, "attemptsToSuccess" | "visiblePassed" | "usage" | "sampleMs"> | null;
  }): EvalSummary {
    const sampled = [...this.perTask.values()].filter((task) => task.n > 0);
    const rounded = (scores: Record<string, number>) =>
      Object.fromEntries(Object.entries(scores).map(([k, value]) => [k, round(value, 4)]));
    const kinds: Partial<Record<DiagnosisKind, number>> = {};
    for (const kind of DIAGNOSIS_KINDS) if (this.kinds[kind]) kinds[kind] = this.kinds[kind];
    const { dataset } = context;
    return {
      dataset: { name: dataset.name, format: dataset.format, sha256: dataset.sha256, tasks: dataset.tasks.length },
      samples: this.samples,
      tasks: sampled.length,
      passAtK: rounded(meanPassAtK(sampled, this.ks)),
      basePassAtK: this.hasPlus
        ? rounded(
            meanPassAtK(
              sampled.map((task) => ({ n: task.n, c: task.cBase })),
              this.ks,
            ),
          )
        : null,
      kinds,
      perTask: sampled,
      failures: [...this.firstFailures.values()],
      missingTasks: [...this.perTask.values()].filter((task) => task.n === 0).map((task) => task.taskId),
      referenceFailures: context.referenceFailures,
      unscoredSamples: this.unscored,
      generation: context.generation && {
        ...context.generation,
        attemptsToSuccess: { ...this.attemptsToSuccess },
        visiblePassed: this.visiblePassed,
        usage: { ...this.usage, costUsd: this.usage.costUsd === null ? null : round(this.usage.costUsd, 6) },
        sampleMs: round(this.sampleMs, 0),
      },
      workers: context.workers,
      durationMs: round(context.durationMs, 0),
    };
  }
}
