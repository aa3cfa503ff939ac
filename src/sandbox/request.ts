import { LitmusError } from "../errors.ts";
import type { DoneEvent, StreamEvent } from "./local/supervisor-channel.ts";
import type { IsolationReport } from "./types.ts";

interface RequestOptions {
  onEvent?: (event: StreamEvent) => void;
  signal?: AbortSignal | undefined;
  /** The work's own time limit; the supervisor enforces it. Default: the sandbox's execTimeoutMs. */
  timeoutMs?: number | undefined;
}

/** One request to a sandbox's supervisor, with abort and a host-side deadline. */
export type SandboxRequest = (
  op: string,
  payload: Record<string, unknown>,
  options?: RequestOptions,
) => Promise<DoneEvent>;

/**
 * Where requests go: the supervisor of a local sandbox speaks this protocol natively; the E2B backend
 * translates each request into calls of E2B's SDK. `signal` aborting rejects the request with ABORTED.
 */
export interface RequestChannel {
  readonly closed: boolean;
  request(
    op: string,
    payload: Record<string, unknown>,
    options?: { onEvent?: ((event: StreamEvent) => void) | undefined; signal?: AbortSignal | undefined },
  ): Promise<DoneEvent>;
}

/** What a Sandbox runs on: a local sandbox's supervisor, or an E2B cloud sandbox. */
export interface SandboxDriver {
  readonly channel: RequestChannel;
  /** The isolation in force, where litmus controls it (the local backend); null for a remote one. */
  readonly isolation: IsolationReport | null;
  /** Resolves when the sandbox is gone. */
  readonly exited: Promise<void>;
  /** How many times the sandbox's memory limit killed a process so far. */
  oomKills(): Promise<number>;
  kill(): Promise<void>;
}

/** How long past a request's own limit the host waits before it declares the sandbox hung. */
const UNRESPONSIVE_AFTER_MS = 5_000;

/**
 * Sends requests over `channel` (which handles abort) with a host-side deadline: a sandbox that has not
 * answered well after the request's own limit (timeout plus grace period) is broken, so `onUnresponsive`
 * kills it and the request rejects: nothing waits forever.
 */
export function createRequester(
  channel: RequestChannel,
  defaults: {
    timeoutMs: number;
    graceMs: number;
    sandboxId: string;
    onUnresponsive: () => void;
    unresponsiveAfterMs?: number;
  },
): SandboxRequest {
  const slackMs = defaults.unresponsiveAfterMs ?? UNRESPONSIVE_AFTER_MS;
  return (op, payload, options = {}) => {
    const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    const request = channel.request(op, { ...payload, timeoutMs }, options);
    const limitMs = timeoutMs + defaults.graceMs + slackMs;
    return new Promise<DoneEvent>((resolve, reject) => {
      const deadline = setTimeout(() => {
        defaults.onUnresponsive();
        reject(
          new LitmusError(
            "SANDBOX_CLOSED",
            `sandbox ${defaults.sandboxId} stopped responding (no answer ${limitMs} ms after "${op}" was sent) and was killed`,
          ),
        );
      }, limitMs);
      deadline.unref();
      request.then(resolve, reject).finally(() => clearTimeout(deadline));
    });
  };
}
