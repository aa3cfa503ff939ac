import { LitmusError } from "../errors.ts";
import {
  type Context,
  type Execution,
  type ExecutionJson,
  executionToJson,
  type OutputMessage,
  Sandbox,
  type SandboxOptions,
} from "../sandbox/index.ts";
import { type Diagnosis, diagnose, exitedDiagnosis } from "./diagnose.ts";
import type { Task, TaskTests } from "./task.ts";
import { type TestReport, testCellOf, testReportOf } from "./test-harness.ts";

/** Code run against tests in a fresh sandbox: what happened and what it means. */
export interface CheckedCode {
  execution: ExecutionJson;
  diagnosis: Diagnosis;
  /** What the test harness reported, when the tests ran and reported. */
  report?: TestReport | null;
  /** How long the code and the tests ran, measured inside the sandbox (`testsMs` null when they did not run). */
  durations: { codeMs: number; testsMs: number | null };
}

/** Default per run of code or tests, when the task sets no limit. */
const DEFAULT_RUN_TIMEOUT_MS = 10_000;

/** Time limits of the two runs of a check; each defaults to the task's limit, else 10 s. */
export interface CheckTimeouts {
  codeMs?: number;
  testsMs?: number;
  /** Both runs together, as one budget: the tests get what the code left of it (EvalPlus's phase limit). */
  totalMs?: number;
}

/** The least the tests are given when the code spent nearly all of a shared budget: they still report. */
const MIN_TESTS_MS = 100;

/** What a check may be given besides the code and tests. */
export interface CheckOptions {
  signal?: AbortSignal;
  /** The output of the code and of the tests, as it comes (for a live view). */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

/**
 * Runs `code`, then `tests` against it, in a fresh sandbox of its own (never reused: an attempt cannot leave
 * anything behind for the next), and diagnoses the result.
 */
export async function checkCode(
  code: string,
  task: Task,
  tests: TaskTests | null,
  options: CheckOptions & { sandbox?: Partial<SandboxOptions> } = {},
): Promise<CheckedCode> {
  await using sandbox = await Sandbox.create({
    ...options.sandbox,
    language: task.language,
    limits: {
      ...options.sandbox?.limits,
      ...(task.limits.memoryBytes ? { memoryBytes: task.limits.memoryBytes } : {}),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // `return await`: the sandbox is disposed when the function returns, so the check must be done by then.
  return await checkCodeIn(sandbox, undefined, code, task, tests, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
}

/** How a check in a given sandbox runs: its time limits, and which harness the sandbox has. */
export interface CheckInOptions extends CheckOptions {
  timeouts?: CheckTimeouts;
  /** `preloaded` when the sandbox preloaded the Python harness (pythonHarnessModule). */
  harness?: "inline" | "preloaded";
}

/**
 * Like checkCode, in a context the caller provides (a fresh one: the code runs in it, then the tests, in the
 * same namespace); without one, in the sandbox's default context of the task's language.
 */
export async function checkCodeIn(
  sandbox: Sandbox,
  context: Context | undefined,
  code: string,
  task: Task,
  tests: TaskTests | null,
  options: CheckInOptions = {},
): Promise<CheckedCode> {
  const solution = await sandbox.runCode(code, runOptionsOf(context, task, options, options.timeouts?.codeMs));
  return checkTestsIn(sandbox, context, { code, solution }, task, tests, options);
}

/**
 * The second half of checkCodeIn: `tests` against code that already ran in `context` (`solution` is its run).
 * Tests run one after the other this way share the code's run, each with what `timeouts.totalMs` leaves after it.
 */
export async function checkTestsIn(
  sandbox: Sandbox,
  context: Context | undefined,
  { code, solution }: { code: string; solution: Execution },
  task: Task,
  tests: TaskTests | null,
  options: CheckInOptions = {},
): Promise<CheckedCode> {
  const solutionFailed = solution.error !== null || solution.timedOut || solution.oomKilled;
  // An exit fails only where tests were to run after the code: without them, the code ran as asked.
  const exitedBeforeTests = tests !== null && !solutionFailed && solution.exited === true;
  if (tests === null || solutionFailed || exitedBeforeTests) {
    return {
      execution: executionToJson(solution),
      diagnosis: exitedBeforeTests ? exitedDiagnosis() : diagnose(solution, null, code),
      durations: { codeMs: solution.durationMs, testsMs: null },
    };
  }
  const testRun = await sandbox.runCode(
    testCellOf(tests, task.language, task.entryPoint, options.harness ? { harness: options.harness } : {}),
    runOptionsOf(context, task, options, testsTimeoutMs(options.timeouts, solution.durationMs)),
  );
  const report = testReportOf(testRun, task.language);
  if (report?.invalid) throw new LitmusError("BAD_INPUT", `the task's tests are invalid: ${report.invalid}`);
  return {
    execution: mergedJson(solution, testRun),
    diagnosis: diagnose(solution, { execution: testRun, report }, code),
    report,
    durations: { codeMs: solution.durationMs, testsMs: testRun.durationMs },
  };
}

/** How one run of a check goes: in the context (else the task's language), under `timeoutMs` (else the task's). */
function runOptionsOf(
  context: Context | undefined,
  task: Task,
  options: CheckInOptions,
  timeoutMs: number | undefined,
) {
  const { onOutput } = options;
  return {
    ...(context ? { context } : { language: task.language }),
    timeoutMs: timeoutMs ?? task.limits.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onOutput
      ? {
          onStdout: ({ line }: OutputMessage) => onOutput("stdout", line),
          onStderr: ({ line }: OutputMessage) => onOutput("stderr", line),
        }
      : {}),
  };
}

/** The tests' time limit: their own, or what the code left of a shared budget, whichever is less. */
function testsTimeoutMs(timeouts: CheckTimeouts | undefined, codeMs: number): number | undefined {
  if (timeouts?.totalMs === undefined) return timeouts?.testsMs;
  const left = Math.max(MIN_TESTS_MS, timeouts.totalMs - codeMs);
  return timeouts.testsMs === undefined ? left : Math.min(timeouts.testsMs, left);
}

/** The code's run and the tests' run as one execution document: output in order, the first error. */
function mergedJson(solution: Execution, tests: Execution): ExecutionJson {
  const first = executionToJson(solution);
  const second = executionToJson(tests);
  return {
    stdout: first.stdout + second.stdout,
    stderr: first.stderr + second.stderr,
    results: second.results,
    error: first.error ?? second.error,
    exitCode: first.exitCode || second.exitCode,
    durationMs: first.durationMs + second.durationMs,
    timedOut: first.timedOut || second.timedOut,
    oomKilled: first.oomKilled || second.oomKilled,
    truncated: first.truncated || second.truncated,
  };
}
