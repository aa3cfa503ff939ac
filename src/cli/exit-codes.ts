import { CommanderError } from "commander";
import { isLitmusError } from "../errors.ts";

/** The exit codes of every command (DESIGN.md): one place maps failures to them. */
export const EXIT = {
  ok: 0,
  /** The work failed: the code raised, tests failed, a snippet failed. */
  workFailed: 1,
  /** Bad usage or bad input. */
  usage: 2,
  /** Infrastructure failure: the sandbox or the model is unavailable. */
  infrastructure: 3,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isLitmusError(error)) {
    switch (error.code) {
      case "BAD_INPUT":
      case "NOT_FOUND":
        return EXIT.usage;
      case "SANDBOX_UNAVAILABLE":
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
  const message = error instanceof Error ? error.message : String(error);
  return message.replaceAll("\n", " ");
}
