import type { Execution, ExecutionError, Result } from "./types.ts";

/** An Execution as a JSON document: the `litmus run --json` contract (README), also used inside other documents. */
export interface ExecutionJson {
  stdout: string;
  stderr: string;
  results: Result[];
  error: ExecutionError | null;
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
  oomKilled: boolean;
  truncated: boolean;
}

/** The JSON document of an execution: streams joined, duration rounded to microseconds. */
export function executionToJson(execution: Execution): ExecutionJson {
  return {
    stdout: execution.logs.stdout.join(""),
    stderr: execution.logs.stderr.join(""),
    results: execution.results,
    error: execution.error,
    exitCode: execution.exitCode,
    durationMs: Math.round(execution.durationMs * 1000) / 1000,
    timedOut: execution.timedOut,
    oomKilled: execution.oomKilled,
    truncated: execution.truncated,
  };
}

/** What the text of an execution is made of. */
type ExecutionOutcome = Pick<Execution, "logs" | "text" | "error" | "timedOut" | "oomKilled" | "truncated">;

/**
 * An execution as text for a model or an agent: the output, the value of a trailing expression, the error with
 * its traceback, and what ended the run early. Images are not in it (they go beside it as images).
 */
export function executionToText(execution: ExecutionOutcome): string {
  const stdout = execution.logs.stdout.join("");
  const stderr = execution.logs.stderr.join("");
  const { error } = execution;
  const parts = [
    stdout && `stdout:\n${stdout}`,
    stderr && `stderr:\n${stderr}`,
    execution.text !== undefined && `result: ${execution.text}`,
    error && `error: ${error.name}: ${error.value}\n${error.traceback}`,
    execution.timedOut && "timed out",
    execution.oomKilled && "ran out of memory",
    execution.truncated && "(output truncated)",
  ].filter(Boolean);
  return parts.join("\n") || "(no output)";
}
