import { LitmusError } from "../errors.ts";
import type { DoneEvent, SupervisorChannel } from "./local/supervisor-channel.ts";

/**
 * Waits for a request, or stops it when the signal aborts: the supervisor interrupts the work (then kills it
 * after the grace period) and the caller gets an ABORTED error at once.
 */
export function abortable(
  request: Promise<DoneEvent>,
  channel: SupervisorChannel,
  signal: AbortSignal | undefined,
): Promise<DoneEvent> {
  if (!signal) return request;
  const requestId = channel.lastRequestId();
  if (signal.aborted) channel.notify("cancel", { target: requestId });
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      channel.notify("cancel", { target: requestId });
      reject(new LitmusError("ABORTED", "the operation was aborted", { cause: signal.reason }));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    request.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
