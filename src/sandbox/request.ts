import { LitmusError } from "../errors.ts";
import type { DoneEvent, StreamEvent, SupervisorChannel } from "./local/supervisor-channel.ts";

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

/** How long past a request's own limit the host waits before it declares the sandbox hung. */
const UNRESPONSIVE_AFTER_MS = 5_000;

/**
 * Sends requests over `channel` (which handles abort) with a host-side deadline: a sandbox that has not
 * answered well after the request's own limit (timeout plus grace period) is broken, so `onUnresponsive`
 * kills it and the request rejects: nothing waits forever.
 */
export function createRequester(
  channel: SupervisorChannel,
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
