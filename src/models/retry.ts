import { APICallError } from "@ai-sdk/provider";
import { LitmusError } from "../errors.ts";

/** How often and how patiently a failed model call is retried. */
export interface RetryPolicy {
  /** Retries after the first try. Default 3. */
  maxRetries?: number;
  /** The first backoff ceiling; it doubles per retry. Default 1000 ms. */
  baseDelayMs?: number;
  /** No backoff (or server-requested wait) longer than this. Default 30 s. */
  maxDelayMs?: number;
}

/** Rate limits (429), timeouts (408), conflicts (409) and server errors (5xx): the AI SDK marks them retryable. */
function isRetryable(error: unknown): boolean {
  return APICallError.isInstance(error) && error.isRetryable;
}

/**
 * The wait before retry `attempt` (0-based): the server's `retry-after-ms` / `retry-after` when it sent one,
 * else "full jitter" (a random wait up to an exponentially growing ceiling), so many clients do not retry in step.
 */
export function backoffDelayMs(error: unknown, attempt: number, policy: RetryPolicy, random = Math.random): number {
  const maxDelayMs = policy.maxDelayMs ?? 30_000;
  const requested = APICallError.isInstance(error) ? requestedDelayMs(error.responseHeaders) : null;
  if (requested !== null) return Math.min(requested, maxDelayMs);
  const ceiling = Math.min(maxDelayMs, (policy.baseDelayMs ?? 1000) * 2 ** attempt);
  return Math.round(random() * ceiling);
}

function requestedDelayMs(headers: Record<string, string> | undefined): number | null {
  if (!headers) return null;
  const milliseconds = Number.parseFloat(headers["retry-after-ms"] ?? "");
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers["retry-after"];
  if (value === undefined) return null;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** Calls `call` until it succeeds, fails with a non-retryable error, or the retries are spent. */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: RetryPolicy & { signal?: AbortSignal; onRetry?: (error: unknown, delayMs: number) => void },
): Promise<{ value: T; retries: number }> {
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await call(), retries: attempt };
    } catch (error) {
      if (attempt >= maxRetries || !isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelayMs(error, attempt, options);
      options.onRetry?.(error, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

function sleep(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, delayMs);
    function done(): void {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new LitmusError("ABORTED", "the model call was aborted while waiting to retry"));
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
