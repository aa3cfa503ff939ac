import { DIFFICULTIES, type Difficulty } from "../datasets/bench-task.ts";
import { meanPassAtK } from "../eval/pass-at-k.ts";
import type { EvalSummary } from "../eval/tally.ts";
import { round } from "../stats.ts";

/** One run (an evaluation or a model run) as the report shows it. */
export interface ReportRun {
  label: string;
  /** The bench run id in the run store, or the summary file it came from. */
  source: string;
  dataset: string;
  model: string | null;
  samples: number;
  tasks: number;
  passAtK: Record<string, number>;
  basePassAtK: Record<string, number> | null;
  /** pass@k of the tasks of each difficulty (and how many tasks that is). */
  byDifficulty: Array<{ difficulty: Difficulty; tasks: number; passAtK: Record<string, number> }>;
  kinds: Record<string, number>;
  attemptsToSuccess: Record<string, number> | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null } | null;
  durationMs: number;
  /** Mean time per sample (generation, repairs and scoring for model runs). */
  sampleMs: number | null;
  perTask: Array<{ taskId: string; n: number; c: number; difficulty: Difficulty | null }>;
}

/** The report of one or more runs: the JSON summary `litmus bench report` writes beside its HTML page. */
export interface BenchReport {
  generatedAt: string;
  runs: ReportRun[];
}

/** Builds the report data of runs given as their summaries. */
export function buildReport(runs: Array<{ source: string; summary: EvalSummary }>): BenchReport {
  return { generatedAt: new Date().toISOString(), runs: runs.map(({ source, summary }) => reportRun(source, summary)) };
}

function reportRun(source: string, summary: EvalSummary): ReportRun {
  const generation = summary.generation;
  const ks = Object.keys(summary.passAtK).map((key) => Number(key.slice("pass@".length)));
  const model = generation?.model ?? null;
  const byDifficulty = DIFFICULTIES.map((difficulty) => {
    const tasks = summary.perTask.filter((task) => task.difficulty === difficulty && task.n > 0);
    return { difficulty, tasks: tasks.length, passAtK: rounded(meanPassAtK(tasks, ks)) };
  }).filter((entry) => entry.tasks > 0);
  return {
    label: [
      model ?? "samples",
      summary.dataset.name,
      generation ? generation.runId.slice(0, 8) : shortSource(source),
    ].join(" · "),
    source,
    dataset: summary.dataset.name,
    model,
    samples: summary.samples,
    tasks: summary.tasks,
    passAtK: summary.passAtK,
    basePassAtK: summary.basePassAtK,
    byDifficulty,
    kinds: { ...summary.kinds },
    attemptsToSuccess: generation?.attemptsToSuccess ?? null,
    usage: generation?.usage ?? null,
    durationMs: summary.durationMs,
    sampleMs: generation && summary.samples > 0 ? round(generation.sampleMs / summary.samples, 0) : null,
    perTask: summary.perTask.map(({ taskId, n, c, difficulty }) => ({ taskId, n, c, difficulty })),
  };
}

function rounded(scores: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(scores).map(([k, value]) => [k, round(value, 4)]));
}

function shortSource(source: string): string {
  return source.split("/").at(-1) ?? source;
}
