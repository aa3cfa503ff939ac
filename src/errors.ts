/**
 * The one error type litmus throws. `code` is stable and machine-readable; the message says what went wrong
 * and what to do next. The user's code failing is never a LitmusError: it is an Execution with an error.
 */
export type ErrorCode =
  /** Bad input from the user: a flag, a file, a request body. */
  | "BAD_INPUT"
  /** The sandbox cannot run on this machine (bubblewrap missing, user namespaces blocked, ...). */
  | "SANDBOX_UNAVAILABLE"
  /** A sandbox that was killed or crashed was asked to do more work. */
  | "SANDBOX_CLOSED"
  /** A prompt longer than the model's context: the task (with its visible tests) is too long for this model. */
  | "PROMPT_TOO_LONG"
  /** A model cannot be found, downloaded or loaded. */
  | "MODEL_UNAVAILABLE"
  /** The job queue (Redis) cannot be reached, or a queued job failed on every attempt. */
  | "QUEUE_UNAVAILABLE"
  /** A file or context that does not exist inside the sandbox. */
  | "NOT_FOUND"
  /** The operation was aborted through its AbortSignal or ran past its timeout. */
  | "ABORTED"
  /** A bug in litmus or a broken protocol. */
  | "INTERNAL";

export class LitmusError extends Error {
  override readonly name = "LitmusError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `error` is a LitmusError (of `code`, when given). */
export function isLitmusError(error: unknown, code?: ErrorCode): error is LitmusError {
  return error instanceof LitmusError && (code === undefined || error.code === code);
}

/** What `error` says: its message when it is an Error, else the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
