import { LitmusError } from "../errors.ts";
import { type Execution, type ExecutionJson, executionToJson, Sandbox, type SandboxOptions } from "../sandbox/index.ts";
import { type Diagnosis, diagnose } from "./diagnose.ts";
import type { Task, TaskTests } from "./task.ts";
import { testCellOf, testReportOf } from "./test-harness.ts";

/** Code run against tests in a fresh sandbox: what happened and what it means. */
export interface CheckedCode {
  execution: ExecutionJson;
  diagnosis: Diagnosis;
}

/** Default per run of code or tests, when the task sets no limit. */
const DEFAULT_RUN_TIMEOUT_MS = 10_000;

/**
 * Runs `code`, then `tests` against it, in a fresh sandbox of its own (never reused: an attempt cannot leave
 * anything behind for the next), and diagnoses the result.
 */
export async function checkCode(
  code: string,
  task: Task,
  tests: TaskTests | null,
  options: { sandbox?: Partial<SandboxOptions>; signal?: AbortSignal } = {},
): Promise<CheckedCode> {
  const timeoutMs = task.limits.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  await using sandbox = await Sandbox.create({
    ...options.sandbox,
    language: task.language,
    limits: {
      ...options.sandbox?.limits,
      ...(task.limits.memoryBytes ? { memoryBytes: task.limits.memoryBytes } : {}),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const runOptions = { language: task.language, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const solution = await sandbox.runCode(code, runOptions);
  const solutionFailed = solution.error !== null || solution.timedOut || solution.oomKilled;
  if (tests === null || solutionFailed) {
    return { execution: executionToJson(solution), diagnosis: diagnose(solution, null, code) };
  }
  const testRun = await sandbox.runCode(testCellOf(tests, task.language, task.entryPoint), runOptions);
  const report = testReportOf(testRun, task.language);
  if (report?.invalid) throw new LitmusError("BAD_INPUT", `the task's tests are invalid: ${report.invalid}`);
  return {
    execution: mergedJson(solution, testRun),
    diagnosis: diagnose(solution, { execution: testRun, report }, code),
  };
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
