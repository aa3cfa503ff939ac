import { type Outcome, type SolveOptions, solve, type Task, testSourceOf } from "../loop/index.ts";
import type { TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import { inSpan } from "../telemetry/index.ts";
import { type CuratorOptions, curate, type RetirementOptions, retirements } from "./curate.ts";
import type { Delta, DeltaSource } from "./delta.ts";
import type { TaskFacts } from "./leakage.ts";
import { applyDeltas, bulletsWith, type Playbook } from "./playbook.ts";
import { readOrCreatePlaybook, updatePlaybook } from "./playbook-file.ts";
import { reflect } from "./reflect.ts";
import { reflectWithModel } from "./reflect-with-model.ts";
import type { Reflection } from "./reflection.ts";
import { type BulletSelection, bulletSelection, defaultBudgetTokens, playbookBullets } from "./select.ts";
import { lexical, type Similarity } from "./similarity.ts";

/** Admission trials per step, at most: each is a run of the task (and maybe of the replay set). */
const MAX_TRIALS = 2;

/** The solve settings a learner uses for its runs (and its admission re-runs). */
type LearnerSolveOptions = Omit<SolveOptions, "model" | "bullets" | "onEvent">;

/** The settings of a run that travel with it to a worker: plain data. */
export type RunSettings = Pick<LearnerSolveOptions, "maxAttempts" | "temperature" | "seed" | "maxOutputTokens">;

/** Runs a task with the bullets `bullets` chooses: here by default; `learn --queue` hands the run to a worker. */
export type Solver = (task: Task, bullets: BulletSelection, settings: RunSettings) => Promise<Outcome>;

export interface LearnerOptions {
  /** The playbook file, created when missing. */
  playbookPath: string;
  /** For a new playbook: the language and tags it is for. */
  environment?: Partial<Playbook["environment"]>;
  /** The generator. */
  model: TextModel;
  /** A model that adds lessons to the deterministic reflector's. */
  reflectorModel?: TextModel;
  solve?: LearnerSolveOptions;
  /** Where runs (and admission re-runs) are made. Default: here, with `solve`'s settings. */
  solver?: Solver;
  /** Default: sized to the model (see `defaultBudgetTokens`). */
  budgetTokens?: number;
  /** Admission re-runs: a candidate becomes active only when it fixes its task and keeps `replay` passing. */
  admission?: { enabled?: boolean; replay?: number };
  curator?: Omit<CuratorOptions, "similarity" | "admission">;
  retirement?: RetirementOptions;
  /** How bullets are compared for de-duplication. Default: lexical (see `bench/dedup-similarity.ts`). */
  similarity?: Similarity;
  /** Keeps the playbook's history and replay set; without one, admission replays nothing. */
  store?: RunStore;
  /** What the deltas are logged as coming from: `learn`, `solve`, `bench`. */
  sourceKind: string;
  onEvent?: (event: LearnEvent) => void;
}

export type LearnEvent =
  | { type: "solved"; step: string; outcome: Outcome }
  | { type: "trial"; step: string; bulletId: string; taskId: string; passed: boolean };

/** What one step (a task) did to the playbook. */
export interface LearnStep {
  step: string;
  taskId: string;
  solved: boolean;
  attempts: number;
  /** Bullets shown in the run's prompts. */
  shown: string[];
  reflection: Pick<Reflection, "failures" | "fix" | "marks">;
  added: string[];
  admitted: string[];
  retired: string[];
  rejected: { content: string; reason: string }[];
  /** Admission re-runs made (each a solve). */
  trialRuns: number;
  playbookVersion: number;
  activeBullets: number;
  durationMs: number;
}

/**
 * Generator, Reflector and Curator around one playbook file: `run` solves a task with the playbook's bullets
 * and learns from it; `learnFrom` learns from a run made elsewhere. Only visible tests are ever used: give it
 * tasks without hidden tests (a bench task through `loopTaskOf`), and it strips them from what it keeps.
 */
export class Learner {
  private readonly options: LearnerOptions;

  private readonly similarity: Similarity;

  constructor(options: LearnerOptions) {
    this.options = options;
    this.similarity = options.similarity ?? lexical;
  }

  get budgetTokens(): number {
    return this.options.budgetTokens ?? defaultBudgetTokens(this.options.model.spec);
  }

  /** The playbook as it is on disk now (empty when the file does not exist yet). */
  playbook(): Promise<Playbook> {
    return readOrCreatePlaybook(this.options.playbookPath, this.options.environment);
  }

  /** Solves `task` with the playbook's bullets, then learns from the run. */
  run(task: Task, step: string): Promise<LearnStep> {
    return traceStep(task, step, async () => {
      const started = performance.now();
      const outcome = await this.solveNow(task);
      this.options.onEvent?.({ type: "solved", step, outcome });
      return this.learnFromUntraced(task, outcome, step, started);
    });
  }

  /** Solves `task` with the bullets of the playbook as it is now (a step's run, before its learning). */
  async solveNow(task: Task): Promise<Outcome> {
    return this.solveWith(task, await this.playbook(), []);
  }

  /** Learns from a finished run of `task` (its attempts must have shown this playbook's bullets, if any). */
  learnFrom(task: Task, outcome: Outcome, step: string, started = performance.now()): Promise<LearnStep> {
    return traceStep(task, step, () => this.learnFromUntraced(task, outcome, step, started));
  }

  private async learnFromUntraced(task: Task, outcome: Outcome, step: string, started: number): Promise<LearnStep> {
    const visibleTask = withoutHiddenParts(task);
    const source: DeltaSource = { kind: this.options.sourceKind, step };
    // Reflecting (a model call, maybe) happens outside the playbook's lock; curating, against the playbook as
    // it is when the lock is held, inside it.
    const reflection = reflect(visibleTask, outcome, await this.playbook());
    if (this.options.reflectorModel) {
      const extra = await reflectWithModel(this.options.reflectorModel, visibleTask, outcome, reflection, {
        ...(this.options.solve?.signal ? { signal: this.options.solve.signal } : {}),
        ...(this.options.solve?.cache ? { cache: this.options.solve.cache } : {}),
      });
      reflection.insights.push(...extra);
    }
    let rejected: LearnStep["rejected"] = [];
    let matched: string[] = [];
    const curated = await this.update(async (playbook) => {
      const curation = await curate(
        playbook,
        reflection,
        factsOf(visibleTask),
        { run: outcome.runId, at: new Date() },
        {
          ...this.options.curator,
          admission: this.options.admission?.enabled !== false,
          similarity: this.similarity,
        },
      );
      rejected = curation.rejected;
      matched = curation.matched;
      return applyDeltas(playbook, curation.deltas, source);
    });
    const added = addedIn(curated, step);
    if (outcome.success) this.options.store?.learn.addReplayTask(curated.id, visibleTask.id, visibleTask);

    const admitted: string[] = [];
    let trialRuns = 0;
    if (this.options.admission?.enabled !== false) {
      for (const id of trialsOf(curated, added, outcome.success ? [] : matched)) {
        const trial = await this.admit(id, visibleTask, curated, step);
        trialRuns += trial.runs;
        if (trial.admitted) admitted.push(id);
      }
    }
    const final = await this.update((playbook) =>
      applyDeltas(playbook, retirements(playbook, this.options.retirement), source),
    );
    const retired = final.log
      .filter((entry) => entry.source.step === step && entry.delta.op === "UPDATE" && entry.delta.status === "retired")
      .map((entry) => (entry.delta as { id: string }).id);
    return {
      step,
      taskId: task.id,
      solved: outcome.success,
      attempts: outcome.attempts.length,
      shown: outcome.playbook.used,
      reflection: { failures: reflection.failures, fix: reflection.fix, marks: reflection.marks },
      added,
      admitted,
      retired,
      rejected,
      trialRuns,
      playbookVersion: final.version,
      activeBullets: bulletsWith(final, "active").length,
      durationMs: performance.now() - started,
    };
  }

  private solveWith(task: Task, playbook: Playbook, include: string[]): Promise<Outcome> {
    const selection = bulletSelection(playbook, { budgetTokens: this.budgetTokens, include });
    if (this.options.solver) {
      const { maxAttempts, temperature, seed, maxOutputTokens } = this.options.solve ?? {};
      const settings: RunSettings = {
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(temperature === undefined ? {} : { temperature }),
        ...(seed === undefined ? {} : { seed }),
        ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
      };
      return this.options.solver(task, selection, settings);
    }
    return solve(task, {
      ...this.options.solve,
      model: this.options.model,
      bullets: playbookBullets(selection.playbook, task, selection.options),
      ...(this.options.store ? { store: this.options.store } : {}),
    });
  }

  /**
   * Admission: the candidate is shown while its task is re-run; it becomes active when the task now passes
   * and the replay set (tasks this playbook solved before) still passes with it. Otherwise it is marked as
   * having failed a trial (retirement retires it after enough of them).
   */
  private async admit(
    id: string,
    task: Task,
    playbook: Playbook,
    step: string,
  ): Promise<{ admitted: boolean; runs: number }> {
    const source: DeltaSource = { kind: this.options.sourceKind, step };
    const trial = await this.solveWith(task, playbook, [id]);
    let runs = 1;
    this.options.onEvent?.({ type: "trial", step, bulletId: id, taskId: task.id, passed: trial.success });
    let failedOn: string | null = trial.success ? null : task.id;
    if (failedOn === null) {
      const replay = (
        this.options.store?.learn.replayTasks(playbook.id, (this.options.admission?.replay ?? 2) + 1) ?? []
      )
        .filter((entry) => entry.taskId !== task.id)
        .slice(0, this.options.admission?.replay ?? 2);
      for (const entry of replay) {
        const outcome = await this.solveWith(entry.task as Task, playbook, [id]);
        runs += 1;
        this.options.onEvent?.({ type: "trial", step, bulletId: id, taskId: entry.taskId, passed: outcome.success });
        if (!outcome.success) {
          failedOn = entry.taskId;
          break;
        }
      }
    }
    const delta: Delta =
      failedOn === null
        ? {
            op: "UPDATE",
            id,
            status: "active",
            reason: `admitted: ${task.id} passed with it, and the replay set still passed`,
          }
        : { op: "TAG", id, tag: "failed-trial", reason: `${failedOn} failed with it shown` };
    await this.update((current) =>
      current.bullets.some((bullet) => bullet.id === id) ? applyDeltas(current, [delta], source) : current,
    );
    return { admitted: failedOn === null, runs };
  }

  /** Changes the playbook file under its lock, and mirrors the new log entries into the store. */
  private async update(change: (playbook: Playbook) => Playbook | Promise<Playbook>): Promise<Playbook> {
    let before = 0;
    const next = await updatePlaybook(
      this.options.playbookPath,
      (playbook) => {
        before = playbook.version;
        return change(playbook);
      },
      this.options.environment,
    );
    this.options.store?.learn.recordDeltas(next.id, next.log.slice(before));
    return next;
  }
}

/**
 * The candidates a step puts on trial, at most `MAX_TRIALS`: the ones it added, then candidates it found again
 * for a failure it could not fix (a lesson proposed by several tasks gets more than one chance).
 */
function trialsOf(playbook: Playbook, added: string[], matched: string[]): string[] {
  const again = matched.filter((id) =>
    playbook.bullets.some((bullet) => bullet.id === id && bullet.status === "candidate"),
  );
  return [...new Set([...added, ...again])].slice(0, MAX_TRIALS);
}

/** Ids of the bullets a step added. */
function addedIn(playbook: Playbook, step: string): string[] {
  return playbook.log
    .filter((entry) => entry.source.step === step && entry.delta.op === "ADD" && entry.delta.status === "candidate")
    .map((entry) => (entry.delta as { id: string }).id)
    .filter((id) => playbook.bullets.some((bullet) => bullet.id === id));
}

/** A task as learning may keep it: no hidden tests, no reference solution. */
function withoutHiddenParts(task: Task): Task {
  return { ...task, hiddenTests: null, solution: null };
}

function factsOf(task: Task): TaskFacts & { language: Task["language"] } {
  return {
    id: task.id,
    prompt: task.prompt,
    entryPoint: task.entryPoint,
    starter: task.starter,
    tests: task.tests ? testSourceOf(task.tests, task.language, task.entryPoint) : null,
    language: task.language,
  };
}

/** A learning step as a span: the task, whether it was solved, what the playbook gained and lost. */
function traceStep(task: Task, step: string, work: () => Promise<LearnStep>): Promise<LearnStep> {
  return inSpan("litmus.learn.step", { "litmus.task.id": task.id, "litmus.learn.step": step }, async (span) => {
    const learned = await work();
    span.setAttributes({
      "litmus.learn.solved": learned.solved,
      "litmus.learn.added": learned.added.length,
      "litmus.learn.admitted": learned.admitted.length,
      "litmus.learn.retired": learned.retired.length,
      "litmus.playbook.version": learned.playbookVersion,
    });
    return learned;
  });
}
