import type { ResponseCache, TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import type { BenchTask } from "./datasets/bench-task.ts";
import type { Dataset } from "./datasets/load-dataset.ts";
import type { ScoringOptions } from "./eval/evaluator.ts";
import { type PairedDifference, pairedDifference } from "./paired.ts";
import { type ModelRunEvent, runModelBenchmark, type SampleDocument } from "./run/model-run.ts";

/** The ways of spending a budget of attempts that repair is compared with, each a resumable bench run. */
export const REPAIR_ARMS = ["first", "repair", "retries", "best-of"] as const;
export type RepairArm = (typeof REPAIR_ARMS)[number];

export interface RepairLiftOptions extends ScoringOptions {
  dataset: Dataset;
  tasks: BenchTask[];
  model: TextModel;
  store: RunStore;
  /**
   * The budget of the repair, retries and best-of arms: attempts, or candidates. Default 3. A repair or retry
   * that repeats earlier code is drawn again (see solve), so those arms may make more model calls: the report
   * counts them.
   */
  attempts?: number;
  seed?: number;
  maxOutputTokens?: number;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  onProgress?: (arm: RepairArm, event: ModelRunEvent) => void;
}

/** One arm's results: hidden-test pass rates (the dataset's base tests, and its plus tests where it has them). */
export interface ArmResult {
  arm: RepairArm;
  description: string;
  runId: string;
  passRate: number;
  basePassRate: number;
  /** Model calls and output tokens per task, redraws of repeated code included: what the arm spent. */
  generationsPerTask: number;
  outputTokensPerTask: number;
  durationMs: number;
}

export interface RepairLiftReport {
  model: string;
  dataset: string;
  tasks: number;
  attempts: number;
  arms: ArmResult[];
  /** Repair against each other arm, paired by task (95% bootstrap intervals over tasks). */
  differences: { versus: Exclude<RepairArm, "repair">; plus: PairedDifference; base: PairedDifference }[];
}

/**
 * Measures what repairing from execution feedback is worth for a model: the same tasks in four arms, each
 * scored on the hidden tests (never shown to the model): the first greedy attempt alone; up to `attempts`
 * attempts repairing from the visible tests' failures; the same number of plain retries (no failure shown);
 * and best-of-`attempts` (candidates sampled at once, the best on the visible tests kept).
 */
export async function measureRepairLift(options: RepairLiftOptions): Promise<RepairLiftReport> {
  const attempts = options.attempts ?? 3;
  const arms: Record<
    RepairArm,
    { description: string; settings: { maxAttempts: number; feedback?: false; candidates?: number } }
  > = {
    first: { description: "one greedy attempt", settings: { maxAttempts: 1 } },
    repair: {
      description: `up to ${attempts} attempts, each repairing the last from its failure on the visible tests`,
      settings: { maxAttempts: attempts },
    },
    retries: {
      description: `up to ${attempts} attempts from the task alone (no failure shown), until the visible tests pass`,
      settings: { maxAttempts: attempts, feedback: false },
    },
    "best-of": {
      description: `${attempts} candidates sampled at 0.8, the best on the visible tests kept`,
      settings: { maxAttempts: 1, candidates: attempts },
    },
  };
  const results: ArmResult[] = [];
  const verdicts = new Map<RepairArm, Map<string, { plus: number; base: number }>>();
  for (const arm of REPAIR_ARMS) {
    const { onProgress, ...common } = options;
    const { run, summary } = await runModelBenchmark({
      ...common,
      ...arms[arm].settings,
      ...(onProgress ? { onProgress: (event: ModelRunEvent) => onProgress(arm, event) } : {}),
    });
    const documents = [...options.store.bench.samples(run.id)].map((record) => record.document as SampleDocument);
    verdicts.set(
      arm,
      new Map(
        documents.map((document) => [
          document.taskId,
          { plus: Number(document.verdict.passed), base: Number(document.verdict.basePassed) },
        ]),
      ),
    );
    const perTask = (value: (document: SampleDocument) => number) =>
      documents.reduce((sum, document) => sum + value(document), 0) / Math.max(1, documents.length);
    results.push({
      arm,
      description: arms[arm].description,
      runId: run.id,
      passRate: perTask((document) => Number(document.verdict.passed)),
      basePassRate: perTask((document) => Number(document.verdict.basePassed)),
      generationsPerTask: perTask((document) => document.generation.generations ?? document.generation.attempts),
      outputTokensPerTask: perTask((document) => document.generation.outputTokens),
      durationMs: summary.durationMs,
    });
  }
  const repair = verdicts.get("repair") ?? new Map();
  const differences = (["first", "retries", "best-of"] as const).map((versus) => {
    const other = verdicts.get(versus) ?? new Map();
    const pairs = (score: "plus" | "base") =>
      options.tasks.map((task) => ({
        taskId: task.id,
        seed: options.seed ?? 1,
        a: repair.get(task.id)?.[score] ?? 0,
        b: other.get(task.id)?.[score] ?? 0,
      }));
    return { versus, plus: pairedDifference(pairs("plus")), base: pairedDifference(pairs("base")) };
  });
  return {
    model: options.model.spec,
    dataset: options.dataset.name,
    tasks: options.tasks.length,
    attempts,
    arms: results,
    differences,
  };
}
