import { LitmusError } from "./errors.ts";

/** Runs `work` on every item, `concurrency` at a time; the first error stops new work and is thrown. */
export async function forEachConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure instanceof Error ? failure : new LitmusError("INTERNAL", String(failure));
}

/** `work`, or a rejection with `message` when it has not settled after `ms` (the timer keeps no process alive). */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** At most `limit` holders at once; the others wait in order. */
export class Semaphore {
  private holders = 0;
  private readonly waiting: Array<() => void> = [];
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Runs `task` once a place is free, and frees it when `task` settles. An abort while waiting leaves the line. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.holders >= this.limit) await this.wait(signal);
    else this.holders++;
    try {
      return await task();
    } finally {
      // The place passes straight to the next in line, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.holders--;
    }
  }

  private wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(signal?.reason);
      };
      const turn = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.waiting.push(turn);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * `work` on every item at once; the first failure aborts the others (through the signal each receives) and is
 * thrown, so no work is left running unwatched.
 */
export async function allOrAbort<T, R>(
  items: readonly T[],
  signal: AbortSignal | undefined,
  work: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const failed = new AbortController();
  const shared = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  return Promise.all(
    items.map((item) =>
      work(item, shared).catch((error: unknown) => {
        failed.abort(error);
        throw error;
      }),
    ),
  );
}
