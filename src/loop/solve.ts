import { randomUUID } from "node:crypto";
import { allOrAbort } from "../concurrency.ts";
import { isLitmusError, LitmusError, messageOf } from "../errors.ts";
import type { Generation, ResponseCache, RetryPolicy, TextModel } from "../models/index.ts";
import type { ExecutionJson, SandboxOptions } from "../sandbox/index.ts";
import type { RunStore } from "../store/index.ts";
import { inSpan } from "../telemetry/index.ts";
import { type Diagnosis, noCodeDiagnosis } from "./diagnose.ts";
import { draftCode } from "./draft.ts";
import {
  type BuiltPrompt,
  type BulletSource,
  buildPrompt,
  citedBullets,
  type PreviousAttempt,
  type PromptBullet,
} from "./prompt.ts";
import { checkCode } from "./run-attempt.ts";
import type { Task } from "./task.ts";
import { testSourceOf } from "./test-source.ts";

/** Tokens and money an attempt (or a run) spent. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** `null` when the model's price is unknown. */
  costUsd: number | null;
}

/** One generated candidate and how it fared. */
export interface Sample {
  code: string | null;
  /** Model calls it took (more than one when repeated code was drawn again). */
  generations: number;
  execution: ExecutionJson | null;
  diagnosis: Diagnosis;
  generation: {
    text: string;
    finishReason: string;
    durationMs: number;
    outputTokensPerSecond: number | null;
    cached: boolean;
  };
  usage: Usage;
}

/** One attempt: the best of its samples (a single one unless best-of-n). */
export interface Attempt {
  n: number;
  code: string | null;
  execution: ExecutionJson | null;
  diagnosis: Diagnosis;
  usage: Usage;
  durationMs: number;
  /** The playbook bullets shown in this attempt's prompt. */
  bullets: string[];
  /** The shown bullets the model says it applied (chat models, when they name them). */
  cited: string[];
  /** Model calls the attempt made: one per sample, plus the redraws of code that repeated an earlier attempt. */
  generations: number;
  /** Every sample, when more than one was drawn. */
  samples?: Sample[];
}

/** The result of `solve`: the `litmus solve --json` document (DESIGN contract). */
export interface Outcome {
  runId: string;
  taskId: string;
  model: string;
  /** The visible tests passed (or, without tests, the code ran without error). */
  success: boolean;
  /** False when there were no tests: success then only means the code ran. */
  verified: boolean;
  code: string | null;
  attempts: Attempt[];
  /** The final code against the hidden tests (scoring only; never shown to the model). */
  hidden: Diagnosis | null;
  playbook: { used: string[]; size: number };
  usage: Usage;
  durationMs: number;
}

/** Progress of a run, for progress displays and telemetry. */
export type SolveEvent =
  | { type: "attempt-start"; n: number; maxAttempts: number }
  | { type: "generation-start"; n: number; sample: number; samples: number }
  | { type: "generation-end"; n: number; sample: number; samples: number; generation: Generation }
  | { type: "execution-start"; n: number; sample: number }
  | { type: "attempt-end"; attempt: Attempt }
  /** A repair whose prompt (the task, the failure, the code) is longer than the model's context: no more attempts. */
  | { type: "repairs-stopped"; n: number; reason: string }
  | { type: "hidden-tests-end"; diagnosis: Diagnosis };

export interface SolveOptions {
  model: TextModel;
  /** Default 3. */
  maxAttempts?: number;
  /** Candidates per attempt (best-of-n). Default 1. */
  samples?: number;
  /**
   * Default 0 for one sample (greedy), 0.8 for several. Repairs sample at 0.8 or more: a greedy model repeats
   * its failure, and on the starter tasks the embedded model solved 1 of 8 within 3 attempts at 0.8, 0 at 0.4.
   */
  temperature?: number;
  /** Default: generate's (512). */
  maxOutputTokens?: number;
  /** Seeds sampling; with the response cache, a run can be repeated exactly. Default 1. */
  seed?: number;
  /** Playbook bullets for each attempt's prompt. */
  bullets?: BulletSource;
  /**
   * Show the failed attempt and its diagnosis to the next one (repair). False: plain retries, each attempt
   * from the task alone (the baseline that repair is measured against). Default true.
   */
  feedback?: boolean;
  sandbox?: Partial<SandboxOptions>;
  cache?: ResponseCache;
  retry?: RetryPolicy;
  modelTimeoutMs?: number;
  store?: RunStore;
  signal?: AbortSignal;
  /** For the whole run: generation, execution and hidden tests. Default: none (each step has its own limit). */
  timeoutMs?: number;
  onEvent?: (event: SolveEvent) => void;
}

const REPAIR_TEMPERATURE = 0.8;

/**
 * Solves a task: generate, extract the code, run it with the visible tests in a fresh sandbox, diagnose,
 * and repair from the diagnosis until the tests pass or `maxAttempts` are spent. The run is recorded in
 * `store` when one is given.
 */
export function solve(task: Task, solveOptions: SolveOptions): Promise<Outcome> {
  return inSpan(
    "litmus.solve",
    { "litmus.task.id": task.id, "litmus.task.language": task.language, "litmus.model": solveOptions.model.spec },
    async (span) => {
      const outcome = await solveUntraced(task, solveOptions);
      span.setAttributes({ "litmus.solve.success": outcome.success, "litmus.solve.attempts": outcome.attempts.length });
      return outcome;
    },
  );
}

async function solveUntraced(task: Task, solveOptions: SolveOptions): Promise<Outcome> {
  const started = performance.now();
  const options = withDeadline(solveOptions);
  const runId = randomUUID();
  const attempts: Attempt[] = [];
  const outcomeOf = (code: string | null, success: boolean, hidden: Diagnosis | null): Outcome => ({
    runId,
    taskId: task.id,
    model: options.model.spec,
    success,
    verified: task.tests !== null,
    code,
    attempts,
    hidden,
    playbook: {
      used: [...new Set(attempts.flatMap((attempt) => attempt.bullets))],
      size: options.bullets?.size ?? 0,
    },
    usage: sumUsage(attempts.map((attempt) => attempt.usage)),
    durationMs: performance.now() - started,
  });
  try {
    await attemptUntilSolved(task, options, attempts);
    const last = attempts.at(-1);
    const success = last?.diagnosis.kind === "ok";
    const code = success ? (last?.code ?? null) : lastCode(attempts);
    let hidden: Diagnosis | null = null;
    if (task.hiddenTests && code !== null) {
      hidden = (await checkCode(code, task, task.hiddenTests, checkOptions(options))).diagnosis;
      options.onEvent?.({ type: "hidden-tests-end", diagnosis: hidden });
    }
    const outcome = outcomeOf(code, success, hidden);
    record(options.store, task, outcome, null);
    return outcome;
  } catch (error) {
    // A run cut short (the model gave up, an abort) keeps the attempts it finished.
    record(options.store, task, outcomeOf(lastCode(attempts), false, null), error);
    throw error;
  }
}

/** The options with `timeoutMs` folded into the one signal every step receives. */
function withDeadline(options: SolveOptions): SolveOptions {
  if (options.timeoutMs === undefined) return options;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  return { ...options, signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline };
}

/** Attempts, repairing from each diagnosis, until one passes or `maxAttempts` are spent; fills `attempts`. */
async function attemptUntilSolved(task: Task, options: SolveOptions, attempts: Attempt[]): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const samples = options.samples ?? 1;
  const visibleTests = task.tests ? testSourceOf(task.tests, task.language, task.entryPoint) : null;
  let previous: PreviousAttempt | undefined;
  // Every code drawn so far: a repair that repeats one is drawn again, so attempts explore.
  const tried = new Set<string>();
  for (let n = 1; n <= maxAttempts; n++) {
    if (options.signal?.aborted) {
      throw new LitmusError("ABORTED", `the run was stopped (aborted, or out of time) before attempt ${n}`, {
        cause: options.signal.reason,
      });
    }
    let attempt: Attempt;
    try {
      attempt = await inSpan("litmus.attempt", { "litmus.attempt.n": n }, async (span) => {
        const made = await makeAttempt(task, options, { n, maxAttempts, samples, visibleTests, previous, tried });
        span.setAttribute("litmus.diagnosis.kind", made.diagnosis.kind);
        return made;
      });
    } catch (error) {
      // The first prompt not fitting is the task's problem (the caller hears it); a repair's, the loop's limit.
      if (n === 1 || !isLitmusError(error, "PROMPT_TOO_LONG")) throw error;
      options.onEvent?.({ type: "repairs-stopped", n, reason: error.message });
      return;
    }
    attempts.push(attempt);
    options.onEvent?.({ type: "attempt-end", attempt });
    if (attempt.diagnosis.kind === "ok") return;
    previous = { code: attempt.code, diagnosis: attempt.diagnosis };
  }
}

/** One attempt: a prompt (with the playbook's bullets and the previous failure), samples drawn, the best kept. */
async function makeAttempt(
  task: Task,
  options: SolveOptions,
  step: {
    n: number;
    maxAttempts: number;
    samples: number;
    visibleTests: string | null;
    previous: PreviousAttempt | undefined;
    tried: Set<string>;
  },
): Promise<Attempt> {
  const { n, maxAttempts, samples, visibleTests, previous, tried } = step;
  options.onEvent?.({ type: "attempt-start", n, maxAttempts });
  const attemptStarted = performance.now();
  const bullets: PromptBullet[] = options.bullets?.select(previous ?? null) ?? [];
  const promptWith = (shown: PreviousAttempt | undefined) =>
    buildPrompt(task, {
      style: options.model.promptStyle,
      prefill: options.model.prefill,
      visibleTests,
      bullets,
      ...(shown && options.feedback !== false ? { previous: shown } : {}),
    });
  // A redraw of repeated code is told the failure but not shown the code it would copy again.
  const prompts = { first: promptWith(previous), redraw: promptWith(previous && { ...previous, showCode: false }) };
  const drawn: Sample[] = [];
  // A local model decodes its sequences together: draw that many samples at once, stopping at a pass.
  const wave = Math.max(1, options.model.parallel ?? 1);
  for (let first = 1; first <= samples && !drawn.some(passed); first += wave) {
    const numbers = Array.from({ length: Math.min(wave, samples - first + 1) }, (_, index) => first + index);
    const temperature = temperatureOf(options.temperature, samples, n);
    drawn.push(
      ...(await allOrAbort(numbers, options.signal, (sample, signal) =>
        drawSample(task, prompts, { ...options, signal, n, sample, samples, temperature, tried }),
      )),
    );
  }
  for (const sample of drawn) if (sample.code !== null) tried.add(normalized(sample.code));
  const best = bestOf(drawn);
  const attempt: Attempt = {
    n,
    code: best.code,
    execution: best.execution,
    diagnosis: best.diagnosis,
    usage: sumUsage(drawn.map((sample) => sample.usage)),
    durationMs: performance.now() - attemptStarted,
    bullets: bullets.map((bullet) => bullet.id),
    cited: citedBullets(best.generation.text, bullets),
    generations: drawn.reduce((sum, sample) => sum + sample.generations, 0),
    ...(samples > 1 ? { samples: drawn } : {}),
  };
  return attempt;
}

/** Records a run (finished, or cut short by `error`) in the store, when there is one. */
function record(store: RunStore | undefined, task: Task, outcome: Outcome, error: unknown): void {
  store?.save({
    id: outcome.runId,
    kind: "solve",
    taskId: task.id,
    model: outcome.model,
    success: outcome.success,
    verified: outcome.verified,
    attempts: outcome.attempts.length,
    costUsd: outcome.usage.costUsd,
    durationMs: outcome.durationMs,
    attemptDocuments: outcome.attempts.map((attempt) => ({
      n: attempt.n,
      diagnosisKind: attempt.diagnosis.kind,
      document: attempt,
    })),
    document: { task, outcome, error: error === null ? null : messageOf(error) },
  });
}

/** Draws of a repair that repeats earlier code before it is kept anyway (each hotter than the one before). */
const MAX_REDRAWS = 3;

async function drawSample(
  task: Task,
  prompts: { first: BuiltPrompt; redraw: BuiltPrompt },
  options: SolveOptions & { n: number; sample: number; samples: number; temperature: number; tried: Set<string> },
): Promise<Sample> {
  const { n, sample } = options;
  options.onEvent?.({ type: "generation-start", n, sample, samples: options.samples });
  const draws: Generation[] = [];
  let code: string | null = null;
  for (let redraw = 0; redraw <= MAX_REDRAWS; redraw++) {
    const drafted = await draftCode(task, redraw === 0 ? prompts.first : prompts.redraw, {
      ...options,
      temperature: options.temperature + 0.2 * redraw,
      seed: (options.seed ?? 1) + (n - 1) * 1000 + (sample - 1) + 100 * redraw,
    });
    draws.push(drafted.generation);
    code = drafted.code;
    // Running code already run teaches nothing: a repair must try something new.
    if (code === null || !options.tried.has(normalized(code))) break;
  }
  const generation = draws.at(-1) as Generation;
  options.onEvent?.({ type: "generation-end", n, sample, samples: options.samples, generation });
  const usage = sumUsage(draws.map((draw) => ({ ...draw.usage, costUsd: draw.costUsd })));
  const summary = {
    text: generation.text,
    finishReason: generation.finishReason,
    durationMs: generation.timing.durationMs,
    outputTokensPerSecond: generation.timing.outputTokensPerSecond,
    cached: generation.cached,
  };
  const generations = draws.length;
  if (code === null) {
    return { code, generations, execution: null, diagnosis: noCodeDiagnosis(), generation: summary, usage };
  }
  options.onEvent?.({ type: "execution-start", n, sample });
  const checked = await checkCode(code, task, task.tests, checkOptions(options));
  return { code, generations, execution: checked.execution, diagnosis: checked.diagnosis, generation: summary, usage };
}

function checkOptions(options: SolveOptions): Parameters<typeof checkCode>[3] {
  return {
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function temperatureOf(requested: number | undefined, samples: number, n: number): number {
  const base = requested ?? (samples > 1 ? 0.8 : 0);
  return n === 1 ? base : Math.max(base, REPAIR_TEMPERATURE);
}

/** The passing sample, else the one that got furthest (fewest failed tests; the earliest on a tie). */
function bestOf(samples: Sample[]): Sample {
  const rank = (sample: Sample): number =>
    sample.diagnosis.kind === "ok"
      ? -1
      : sample.code === null
        ? Number.MAX_SAFE_INTEGER
        : (sample.diagnosis.tests?.failed ?? 1_000_000);
  let best = samples[0];
  for (const sample of samples) if (best === undefined || rank(sample) < rank(best)) best = sample;
  if (best === undefined) throw new Error("an attempt draws at least one sample");
  return best;
}

function passed(sample: Sample): boolean {
  return sample.diagnosis.kind === "ok";
}

/** Code as compared for repeats: trailing spaces and blank lines do not make it new. */
function normalized(code: string): string {
  return code
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .join("\n");
}

function lastCode(attempts: Attempt[]): string | null {
  return attempts.findLast((attempt) => attempt.code !== null)?.code ?? null;
}

function sumUsage(usages: Usage[]): Usage {
  return {
    inputTokens: usages.reduce((sum, usage) => sum + usage.inputTokens, 0),
    outputTokens: usages.reduce((sum, usage) => sum + usage.outputTokens, 0),
    costUsd: usages.some((usage) => usage.costUsd === null)
      ? null
      : usages.reduce((sum, usage) => sum + (usage.costUsd ?? 0), 0),
  };
}
