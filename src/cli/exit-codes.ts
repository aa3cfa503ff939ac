import { CommanderError } from "commander";
import { isLitmusError, messageOf } from "../errors.ts";
import type { Execution } from "../sandbox/index.ts";

/** The exit codes of every command (a documented contract: README): one place maps outcomes to them. */
const EXIT = {
  ok: 0,
  /** The work failed: the code raised, tests failed, a snippet failed. */
  workFailed: 1,
  /** Bad usage or bad input. */
  usage: 2,
  /** Infrastructure failure: the sandbox or the model is unavailable. */
  infrastructure: 3,
} as const;

/** The exit code of a run: 1 when the code raised, timed out or ran out of memory. */
export function exitCodeForExecution(execution: Execution): number {
  return execution.error !== null || execution.timedOut || execution.oomKilled ? EXIT.workFailed : EXIT.ok;
}

/** The exit code of work judged by tests (solve, and later check): 1 when it did not pass. */
export function exitCodeForOutcome(success: boolean): number {
  return success ? EXIT.ok : EXIT.workFailed;
}

/** The exit code for an error that stopped a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isLitmusError(error)) {
    switch (error.code) {
      case "BAD_INPUT":
      case "PROMPT_TOO_LONG":
      case "NOT_FOUND":
        return EXIT.usage;
      case "SANDBOX_UNAVAILABLE":
      case "MODEL_UNAVAILABLE":
      case "QUEUE_UNAVAILABLE":
      case "SANDBOX_CLOSED":
      case "ABORTED":
      case "INTERNAL":
        return EXIT.infrastructure;
      default:
        error.code satisfies never;
    }
  }
  return EXIT.infrastructure;
}

/** The one-line reason printed on stderr. */
export function reasonFor(error: unknown): string {
  const message = messageOf(error);
  return message.replaceAll("\n", " ");
}
