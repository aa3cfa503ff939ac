import {
  type BenchTask,
  type Dataset,
  type EvalSummary,
  loopTaskOf,
  type ModelRunEvent,
  type PairedDifference,
  pairedDifference,
  percent,
  runModelBenchmark,
  type ScoringOptions,
} from "../../bench/index.ts";
import type { ResponseCache, TextModel } from "../../models/index.ts";
import type { RunStore } from "../../store/index.ts";
import { type LearnSummary, runLearning } from "../learn-run.ts";
import { bulletsWith, type Playbook, playbookAt } from "../playbook.ts";
import { readPlaybook } from "../playbook-file.ts";
import { bulletsIdentity, defaultBudgetTokens, playbookBullets } from "../select.ts";
import type { Similarity } from "../similarity.ts";
import { placeboSource } from "./placebo.ts";

/** The arms compared on held-out tasks, all with the same attempt budget. */
export const ARMS = ["none", "learned", "placebo", "retries"] as const;
export type Arm = (typeof ARMS)[number];

const ARM_DESCRIPTIONS: Record<Arm, string> = {
  none: "no playbook; repairs from the failure",
  learned: "the learned playbook's bullets; repairs from the failure",
  placebo: "neutral statements of the same token count as the learned bullets; repairs from the failure",
  retries: "no playbook; plain retries (each attempt from the task alone, no failure shown)",
};

/** Tasks of a dataset, named for the report. */
export interface TaskSet {
  name: string;
  dataset: Dataset;
  tasks: BenchTask[];
}

export interface MeasureLearningOptions extends ScoringOptions {
  /** What the playbook learns from (visible tests only). */
  train: TaskSet;
  /** Held-out sets: in-domain first (the learning curve uses it), then transfer. */
  heldOut: TaskSet[];
  /** Held-out pass@1 after every `every` training steps, on the first `tasks` tasks of the first held-out set. */
  curve: { every: number; tasks: number };
  model: TextModel;
  reflectorModel?: TextModel;
  seeds: number[];
  /** The attempt budget of every arm. Default 2. */
  maxAttempts?: number;
  epochs?: number;
  budgetTokens?: number;
  admission?: { enabled?: boolean; replay?: number };
  similarity?: Similarity;
  playbookPath: string;
  store: RunStore;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  onProgress?: (event: MeasureProgress) => void;
}

export type MeasureProgress =
  | { type: "phase"; phase: "learn" | "held-out" | "curve"; total: number }
  | {
      type: "step";
      phase: "learn" | "held-out" | "curve";
      done: number;
      detail: string;
      /** `done` takes in work an earlier, interrupted measurement finished (a resumed run). */
      resumed?: boolean;
    };

/** Everything `learn eval` measured: the JSON beside the HTML report. */
export interface LearningMeasurement {
  generatedAt: string;
  model: string;
  reflectorModel: string | null;
  settings: {
    train: { dataset: string; tasks: string[] };
    heldOut: { name: string; dataset: string; tasks: string[] }[];
    seeds: number[];
    maxAttempts: number;
    epochs: number;
    budgetTokens: number;
    curve: { every: number; tasks: number };
  };
  arms: { arm: Arm; description: string }[];
  learning: LearnSummary;
  playbook: { path: string; id: string; version: number; active: number; candidate: number; retired: number };
  /** pass@1 (hidden tests) per held-out set, arm and seed, and the mean over seeds. */
  results: { set: string; arm: Arm; perSeed: { seed: number; passAt1: number; runId: string }[]; mean: number }[];
  /** Learned against each other arm, per held-out set: paired by task and seed. */
  differences: { set: string; versus: Exclude<Arm, "learned">; difference: PairedDifference }[];
  curve: { afterSteps: number; version: number; activeBullets: number; passAt1: number }[];
  /** The active bullets after every training step. */
  size: { step: number; activeBullets: number }[];
  /** Per bullet shown in the learned arm: pass@1 where it was shown, against the no-playbook arm on the same pairs. */
  bullets: { id: string; content: string; shown: number; passedLearned: number; passedNone: number; effect: number }[];
  durationMs: { learn: number; heldOut: number; curve: number };
}

/**
 * Measures whether learning helps: learns a playbook on the training tasks, then runs the held-out tasks in
 * four arms with the same attempt budget (no playbook, the learned playbook, a placebo of equal length, plain
 * retries) under several seeds, plus a learning curve from the playbook's earlier versions. Every run is a
 * resumable bench run in the store, so an interrupted measurement continues where it stopped.
 */
export async function measureLearning(options: MeasureLearningOptions): Promise<LearningMeasurement> {
  const maxAttempts = options.maxAttempts ?? 2;
  const budgetTokens = options.budgetTokens ?? defaultBudgetTokens(options.model.spec);
  const progress = options.onProgress ?? (() => {});

  let started = performance.now();
  progress({ type: "phase", phase: "learn", total: options.train.tasks.length * (options.epochs ?? 1) });
  const { summary: learning } = await runLearning({
    dataset: options.train.dataset,
    tasks: options.train.tasks,
    model: options.model,
    playbookPath: options.playbookPath,
    // What is measured is learning from nothing: never on top of a playbook another run learned into.
    fromEmpty: true,
    store: options.store,
    maxAttempts,
    budgetTokens,
    ...(options.reflectorModel ? { reflectorModel: options.reflectorModel } : {}),
    ...(options.epochs ? { epochs: options.epochs } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.similarity ? { similarity: options.similarity } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.modelTimeoutMs === undefined ? {} : { modelTimeoutMs: options.modelTimeoutMs }),
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (event) => {
      // Steps a resumed run finished before count as done, but not toward the rate the ETA comes from.
      if (event.type === "start")
        progress({
          type: "step",
          phase: "learn",
          done: event.finished,
          detail: `${event.finished} steps learned before`,
          resumed: true,
        });
      else if (event.type === "step")
        progress({
          type: "step",
          phase: "learn",
          done: event.done,
          detail: `${event.step.taskId}: ${event.step.solved ? "solved" : "failed"}, ${event.step.activeBullets} active`,
        });
    },
  });
  const learnMs = performance.now() - started;
  const playbook = await readPlaybook(options.playbookPath);

  /** One arm's bench run; `onSamples` hears how many of its samples are done (resumed ones included). */
  const run = async (
    set: TaskSet,
    tasks: BenchTask[],
    arm: Arm,
    seed: number,
    snapshot: Playbook,
    onSamples: (done: number, detail: string, resumed: boolean) => void,
  ) => {
    const base = {
      ...scoringOf(options),
      dataset: set.dataset,
      tasks,
      model: options.model,
      store: options.store,
      maxAttempts,
      seed,
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.modelTimeoutMs === undefined ? {} : { modelTimeoutMs: options.modelTimeoutMs }),
      onProgress: (event: ModelRunEvent) => {
        if (event.type === "rescore")
          onSamples(0, `${set.name} seed ${seed} ${arm}: scoring ${event.total} again`, false);
        else if (event.type === "start") onSamples(event.finished, `${set.name} seed ${seed} ${arm}`, true);
        else onSamples(event.done, `${set.name} seed ${seed} ${arm}: ${event.taskId} ${event.verdict.kind}`, false);
      },
    };
    const bulletsOf = (task: BenchTask) => playbookBullets(snapshot, loopTaskOf(task), { budgetTokens });
    const armOptions =
      arm === "learned"
        ? { bullets: { identity: `playbook:${bulletsIdentity(snapshot, budgetTokens)}`, sourceFor: bulletsOf } }
        : arm === "placebo"
          ? {
              bullets: {
                identity: `placebo:${bulletsIdentity(snapshot, budgetTokens)}`,
                sourceFor: (task: BenchTask) => placeboSource(bulletsOf(task), task.id, seed),
              },
            }
          : arm === "retries"
            ? { feedback: false }
            : {};
    return runModelBenchmark({ ...base, ...armOptions });
  };

  started = performance.now();
  const heldOutTotal =
    options.heldOut.reduce((sum, set) => sum + set.tasks.length, 0) * options.seeds.length * ARMS.length;
  progress({ type: "phase", phase: "held-out", total: heldOutTotal });
  let done = 0;
  const outcomes: { set: string; arm: Arm; seed: number; runId: string; summary: EvalSummary }[] = [];
  for (const set of options.heldOut) {
    for (const seed of options.seeds) {
      for (const arm of ARMS) {
        const { run: record, summary } = await run(set, set.tasks, arm, seed, playbook, (samples, detail, resumed) =>
          progress({ type: "step", phase: "held-out", done: done + samples, detail, resumed }),
        );
        done += set.tasks.length;
        outcomes.push({ set: set.name, arm, seed, runId: record.id, summary });
        progress({
          type: "step",
          phase: "held-out",
          done,
          detail: `${set.name} seed ${seed} ${arm}: pass@1 ${percent(passAt1(summary))}`,
        });
      }
    }
  }
  const heldOutMs = performance.now() - started;

  started = performance.now();
  const curveSet = options.heldOut[0];
  const curve: LearningMeasurement["curve"] = [];
  if (curveSet && options.curve.tasks > 0) {
    const tasks = curveSet.tasks.slice(0, options.curve.tasks);
    const points = curvePoints(learning, options.curve.every);
    progress({ type: "phase", phase: "curve", total: points.length * tasks.length });
    let curveDone = 0;
    for (const point of points) {
      const snapshot = playbookAt(playbook, point.version);
      const { summary } = await run(
        curveSet,
        tasks,
        "learned",
        options.seeds[0] ?? 1,
        snapshot,
        (samples, detail, resumed) =>
          progress({ type: "step", phase: "curve", done: curveDone + samples, detail, resumed }),
      );
      curve.push({ ...point, activeBullets: bulletsWith(snapshot, "active").length, passAt1: passAt1(summary) });
      curveDone += tasks.length;
      progress({
        type: "step",
        phase: "curve",
        done: curveDone,
        detail: `after ${point.afterSteps} steps: pass@1 ${percent(passAt1(summary))}`,
      });
    }
  }
  const curveMs = performance.now() - started;

  const samplesOf = (runId: string) =>
    [...options.store.bench.samples(runId)].map((sample) => ({
      taskId: sample.taskId,
      passed: sample.passed ? 1 : 0,
      bullets: ((sample.document as { bullets?: string[] }).bullets ?? []) as string[],
    }));
  const differences: LearningMeasurement["differences"] = [];
  const bulletEffects = new Map<string, { shown: number; passedLearned: number; passedNone: number }>();
  for (const set of options.heldOut) {
    const armSamples = (arm: Arm) =>
      outcomes
        .filter((outcome) => outcome.set === set.name && outcome.arm === arm)
        .flatMap((outcome) => samplesOf(outcome.runId).map((sample) => ({ ...sample, seed: outcome.seed })));
    const learned = armSamples("learned");
    for (const versus of ["none", "placebo", "retries"] as const) {
      const other = new Map(armSamples(versus).map((sample) => [`${sample.taskId}#${sample.seed}`, sample.passed]));
      const pairs = learned.flatMap((sample) => {
        const b = other.get(`${sample.taskId}#${sample.seed}`);
        return b === undefined ? [] : [{ taskId: sample.taskId, seed: sample.seed, a: sample.passed, b }];
      });
      differences.push({ set: set.name, versus, difference: pairedDifference(pairs) });
      if (versus !== "none") continue;
      for (const sample of learned) {
        const none = other.get(`${sample.taskId}#${sample.seed}`) ?? 0;
        for (const id of sample.bullets) {
          const effect = bulletEffects.get(id) ?? { shown: 0, passedLearned: 0, passedNone: 0 };
          effect.shown += 1;
          effect.passedLearned += sample.passed;
          effect.passedNone += none;
          bulletEffects.set(id, effect);
        }
      }
    }
  }

  const results: LearningMeasurement["results"] = [];
  for (const set of options.heldOut) {
    for (const arm of ARMS) {
      const perSeed = outcomes
        .filter((outcome) => outcome.set === set.name && outcome.arm === arm)
        .map((outcome) => ({ seed: outcome.seed, passAt1: passAt1(outcome.summary), runId: outcome.runId }));
      results.push({
        set: set.name,
        arm,
        perSeed,
        mean: perSeed.reduce((sum, entry) => sum + entry.passAt1, 0) / Math.max(1, perSeed.length),
      });
    }
  }

  return {
    generatedAt: new Date().toISOString(),
    model: options.model.spec,
    reflectorModel: options.reflectorModel?.spec ?? null,
    settings: {
      train: { dataset: options.train.name, tasks: options.train.tasks.map((task) => task.id) },
      heldOut: options.heldOut.map((set) => ({
        name: set.name,
        dataset: set.dataset.name,
        tasks: set.tasks.map((task) => task.id),
      })),
      seeds: options.seeds,
      maxAttempts,
      epochs: options.epochs ?? 1,
      budgetTokens,
      curve: options.curve,
    },
    arms: ARMS.map((arm) => ({ arm, description: ARM_DESCRIPTIONS[arm] })),
    learning,
    playbook: {
      path: options.playbookPath,
      id: playbook.id,
      version: playbook.version,
      active: bulletsWith(playbook, "active").length,
      candidate: bulletsWith(playbook, "candidate").length,
      retired: bulletsWith(playbook, "retired").length,
    },
    results,
    differences,
    curve,
    size: learning.steps.map((step) => ({ step: step.ordinal + 1, activeBullets: step.activeBullets })),
    bullets: [...bulletEffects]
      .map(([id, effect]) => ({
        id,
        content: playbook.bullets.find((bullet) => bullet.id === id)?.content ?? "",
        ...effect,
        effect: (effect.passedLearned - effect.passedNone) / effect.shown,
      }))
      .sort((a, b) => b.shown - a.shown),
    durationMs: { learn: learnMs, heldOut: heldOutMs, curve: curveMs },
  };
}

/** The playbook versions the curve measures: empty, after every `every` steps, and the final one. */
function curvePoints(learning: LearnSummary, every: number): { afterSteps: number; version: number }[] {
  const points = [{ afterSteps: 0, version: 0 }];
  learning.steps.forEach((step, index) => {
    const count = index + 1;
    if (count % every === 0 || count === learning.steps.length)
      points.push({ afterSteps: count, version: step.playbookVersion });
  });
  return points;
}

function scoringOf(options: ScoringOptions): ScoringOptions {
  const { workers, timeLimits, memoryBytes, groundTruthDir, signal } = options;
  return {
    ...(workers === undefined ? {} : { workers }),
    ...(timeLimits === undefined ? {} : { timeLimits }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(groundTruthDir === undefined ? {} : { groundTruthDir }),
    ...(signal === undefined ? {} : { signal }),
  };
}

function passAt1(summary: EvalSummary): number {
  return summary.passAtK["pass@1"] ?? 0;
}
