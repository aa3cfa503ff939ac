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
