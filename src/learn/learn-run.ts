import { createHash, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { type BenchTask, type Dataset, loopTaskOf, runSubject } from "../bench/index.ts";
import { LitmusError } from "../errors.ts";
import type { Outcome } from "../loop/index.ts";
import type { ResponseCache, TextModel } from "../models/index.ts";
import { seededRandom, shuffled } from "../random.ts";
import type { LearnRunRecord, LearnStepRecord, RunStore } from "../store/index.ts";
import { type LearnEvent, Learner, type LearnStep, type Solver } from "./learner.ts";
import { bulletsWith, type Playbook, playbookAt } from "./playbook.ts";
import { updatePlaybook } from "./playbook-file.ts";
import { SELECTION_REVISION } from "./select.ts";
import type { Similarity } from "./similarity.ts";

export interface LearnRunOptions {
  dataset: Dataset;
  /** The training tasks (their visible tests only are used). */
  tasks: BenchTask[];
  model: TextModel;
  reflectorModel?: TextModel;
  playbookPath: string;
  store: RunStore;
  /** Passes over the tasks, each in a seeded order. Default 1. */
  epochs?: number;
  /** Attempts of the repair loop per task. Default 2. */
  maxAttempts?: number;
  /** Seeds the task order and sampling. Default 1. */
  seed?: number;
  temperature?: number;
  maxOutputTokens?: number;
  budgetTokens?: number;
  /** How lessons are compared for de-duplication (default lexical). */
  similarity?: Similarity;
  /** Admission re-runs (default on) and the replay set's size (default 2). */
  admission?: { enabled?: boolean; replay?: number };
  /** Start a new run even when one with the same settings exists. */
  fresh?: boolean;
  /**
   * The playbook must be empty unless this run's own earlier steps wrote it (a measurement that learns from
   * nothing): a playbook another run learned into is refused rather than learned on top of.
   */
  fromEmpty?: boolean;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  signal?: AbortSignal;
  /** Where runs are made: here by default; workers with `learn --queue`. */
  solver?: Solver;
  /**
   * Steps whose runs are started before the step being learned from (default 1: none ahead). With N, the
   * run of step i sees the playbook as it was after step i-N; learning still happens here, step by step.
   */
  ahead?: number;
  onProgress?: (event: LearnRunEvent) => void;
}

export type LearnRunEvent =
  | { type: "start"; runId: string; total: number; finished: number; resumed: boolean }
  | { type: "step"; step: LearnStep; done: number; total: number }
  | ({ type: "event" } & { event: LearnEvent });

/** What a learning run did: per epoch, how many training tasks passed; and the playbook it left. */
export interface LearnSummary {
  runId: string;
  playbook: string;
  dataset: string;
  model: string;
  reflectorModel: string | null;
  tasks: number;
  epochs: { epoch: number; solved: number; tasks: number }[];
  /** After every step: the playbook's version and active bullets (the learning curve's x-axis). */
  steps: { ordinal: number; taskId: string; solved: boolean; playbookVersion: number; activeBullets: number }[];
  bullets: { active: number; candidate: number; retired: number };
  trialRuns: number;
  durationMs: number;
}

/**
 * Learns a playbook offline from a dataset's training tasks: each task is solved with the playbook's bullets,
 * reflected on and curated, epoch after epoch. Every step is committed (the playbook file first, then the
 * run store), and rerunning the same command resumes: a step whose deltas are already in the playbook's log
 * is never applied twice.
 */
export async function runLearning(options: LearnRunOptions): Promise<{ run: LearnRunRecord; summary: LearnSummary }> {
  const started = performance.now();
  const playbookPath = resolve(options.playbookPath);
  const settings = settingsOf(options, playbookPath);
  const key = createHash("sha256").update(JSON.stringify(settings)).digest("hex");
  const environment = { language: options.tasks[0]?.language ?? null, tags: [options.dataset.name] };
  // A new playbook is written before the run is recorded, so the run is tied to the file's id.
  const playbook = await updatePlaybook(playbookPath, (current) => current, environment);
  const existing = options.fresh ? null : options.store.learn.latest(key);
  if (existing && existing.playbookId !== playbook.id) {
    throw new LitmusError(
      "BAD_INPUT",
      `${playbookPath} is not the playbook run ${existing.id.slice(0, 8)} was learning into (it was replaced); pass --fresh to start a new run`,
    );
  }
  if (options.fromEmpty && !existing && playbook.version > 0) {
    throw new LitmusError(
      "BAD_INPUT",
      `${playbookPath} already holds what another learning run learned (version ${playbook.version}), and this run learns from an empty playbook: use another output directory or playbook path`,
    );
  }
  const run =
    existing ??
    options.store.learn.create({ id: randomUUID(), key, playbookPath, playbookId: playbook.id, config: settings });
  const order = stepsOf(run.id, options.tasks, settings.epochs, settings.seed);
  if (run.status === "finished") {
    options.onProgress?.({ type: "start", runId: run.id, total: order.length, finished: order.length, resumed: true });
    return { run, summary: run.summary as LearnSummary };
  }
  const recorded = new Set(options.store.learn.steps(run.id).map((step) => step.step));
  recoverSteps(options.store, run.id, playbook, order, recorded);
  options.onProgress?.({
    type: "start",
    runId: run.id,
    total: order.length,
    finished: recorded.size,
    resumed: existing !== null,
  });

  const learner = new Learner({
    playbookPath,
    environment,
    model: options.model,
    ...(options.reflectorModel ? { reflectorModel: options.reflectorModel } : {}),
    sourceKind: "learn",
    store: options.store,
    ...(options.budgetTokens === undefined ? {} : { budgetTokens: options.budgetTokens }),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.similarity ? { similarity: options.similarity } : {}),
    solve: {
      maxAttempts: settings.maxAttempts,
      seed: settings.seed,
      ...(settings.temperature === null ? {} : { temperature: settings.temperature }),
      ...(settings.maxOutputTokens === null ? {} : { maxOutputTokens: settings.maxOutputTokens }),
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.modelTimeoutMs === undefined ? {} : { modelTimeoutMs: options.modelTimeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    ...(options.solver ? { solver: options.solver } : {}),
    onEvent: (event) => options.onProgress?.({ type: "event", event }),
  });
  let done = recorded.size;
  const remaining = order.filter(({ step }) => !recorded.has(step));
  const runs = new Map<string, Promise<{ outcome: Outcome; started: number }>>();
  const startRun = (task: BenchTask) => {
    const started = performance.now();
    const running = learner.solveNow(loopTaskOf(task)).then((outcome) => ({ outcome, started }));
    // A run started ahead whose step is never reached (an earlier step failed) must not go unhandled.
    running.catch(() => undefined);
    return running;
  };
  const ahead = Math.max(1, options.ahead ?? 1);
  for (const [index, { step, ordinal, task }] of remaining.entries()) {
    // The runs of this step and the next ones start now, with the playbook as the steps before left it.
    for (const next of remaining.slice(index, index + ahead)) {
      if (!runs.has(next.step)) runs.set(next.step, startRun(next.task));
    }
    const { outcome, started } = await (runs.get(step) as Promise<{ outcome: Outcome; started: number }>);
    runs.delete(step);
    options.onProgress?.({ type: "event", event: { type: "solved", step, outcome } });
    const result = await learner.learnFrom(loopTaskOf(task), outcome, step, started);
    options.store.learn.saveStep(run.id, {
      step,
      ordinal,
      taskId: task.id,
      solved: result.solved,
      playbookVersion: result.playbookVersion,
      activeBullets: result.activeBullets,
      document: result,
    });
    options.onProgress?.({ type: "step", step: result, done: ++done, total: order.length });
  }
  const summary = summarize(run, options, await learner.playbook(), performance.now() - started);
  options.store.learn.finish(run.id, summary);
  return { run: options.store.learn.get(run.id) as LearnRunRecord, summary };
}

function settingsOf(options: LearnRunOptions, playbookPath: string) {
  return {
    ...runSubject(options),
    reflectorModel: options.reflectorModel?.spec ?? null,
    playbookPath,
    epochs: options.epochs ?? 1,
    maxAttempts: options.maxAttempts ?? 2,
    seed: options.seed ?? 1,
    temperature: options.temperature ?? null,
    maxOutputTokens: options.maxOutputTokens ?? null,
    budgetTokens: options.budgetTokens ?? null,
    admission: { enabled: options.admission?.enabled !== false, replay: options.admission?.replay ?? 2 },
    similarity: options.similarity?.name ?? "lexical",
    // Only when runs start ahead: it changes which playbook each step sees (and keeps older runs' keys).
    ...((options.ahead ?? 1) > 1 ? { ahead: options.ahead } : {}),
    // Which bullets each step's runs are shown: a run stopped under one rule is not resumed under another.
    ...(SELECTION_REVISION > 1 ? { selection: SELECTION_REVISION } : {}),
  };
}

/** Every step of the run in order: each epoch visits the tasks in its own seeded order. */
function stepsOf(runId: string, tasks: BenchTask[], epochs: number, seed: number) {
  const steps: { step: string; ordinal: number; task: BenchTask }[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const task of shuffled(tasks, seededRandom(seed * 1000 + epoch))) {
      steps.push({ step: `${runId}/e${epoch}/${task.id}`, ordinal: steps.length, task });
    }
  }
  return steps;
}

/**
 * Steps whose deltas reached the playbook but whose record did not reach the store (the process died in
 * between) are recorded from the playbook's log, so they are not run and applied again.
 */
function recoverSteps(
  store: RunStore,
  runId: string,
  playbook: Playbook,
  order: ReturnType<typeof stepsOf>,
  recorded: Set<string>,
): void {
  for (const { step, ordinal, task } of order) {
    if (recorded.has(step)) continue;
    const entries = playbook.log.filter((entry) => entry.source.step === step);
    const observed = entries.find((entry) => entry.delta.op === "OBSERVE");
    if (!observed) continue;
    const version = entries.at(-1)?.version ?? playbook.version;
    const record: LearnStepRecord = {
      step,
      ordinal,
      taskId: task.id,
      solved: observed.delta.op === "OBSERVE" && observed.delta.passed,
      playbookVersion: version,
      activeBullets: bulletsWith(playbookAt(playbook, version), "active").length,
      document: { recovered: true, note: "recorded from the playbook's log after an interrupted run" },
    };
    store.learn.saveStep(runId, record);
    recorded.add(step);
  }
}

function summarize(
  run: LearnRunRecord,
  options: LearnRunOptions,
  playbook: Playbook,
  durationMs: number,
): LearnSummary {
  const steps = options.store.learn.steps(run.id);
  const epochs = new Map<number, { solved: number; tasks: number }>();
  for (const step of steps) {
    const epoch = Number(/\/e(\d+)\//.exec(step.step)?.[1] ?? 1);
    const entry = epochs.get(epoch) ?? { solved: 0, tasks: 0 };
    entry.tasks += 1;
    if (step.solved) entry.solved += 1;
    epochs.set(epoch, entry);
  }
  return {
    runId: run.id,
    playbook: run.playbookPath,
    dataset: options.dataset.name,
    model: options.model.spec,
    reflectorModel: options.reflectorModel?.spec ?? null,
    tasks: options.tasks.length,
    epochs: [...epochs].map(([epoch, counts]) => ({ epoch, ...counts })),
    steps: steps.map(({ ordinal, taskId, solved, playbookVersion, activeBullets }) => ({
      ordinal,
      taskId,
      solved,
      playbookVersion,
      activeBullets,
    })),
    bullets: {
      active: bulletsWith(playbook, "active").length,
      candidate: bulletsWith(playbook, "candidate").length,
      retired: bulletsWith(playbook, "retired").length,
    },
    trialRuns: steps.reduce((sum, step) => sum + ((step.document as Partial<LearnStep>).trialRuns ?? 0), 0),
    durationMs,
  };
}
