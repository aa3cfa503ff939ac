import { availableParallelism } from "node:os";
import { LitmusError } from "../errors.ts";
import { DEFAULT_LIFETIME_MS, Sandbox, type SandboxOptions } from "./sandbox.ts";

export interface SandboxPoolOptions extends Omit<SandboxOptions, "signal"> {
  /** Sandboxes kept started and idle, ready to hand out (default 2). */
  size?: number;
  /** Sandboxes started at the same time while refilling (default: the number of CPUs). */
  concurrency?: number;
}

/**
 * Keeps fresh sandboxes started ahead of time, so acquiring one costs milliseconds instead of an interpreter
 * start. Every sandbox is handed out once; the pool never takes one back, so no kernel, file or process of
 * one user can reach the next.
 */
export class SandboxPool implements AsyncDisposable {
  private readonly options: SandboxOptions;
  private readonly size: number;
  private readonly concurrency: number;
  private readonly idle: Sandbox[] = [];
  private readonly waiters: Array<{ resolve: (sandbox: Sandbox) => void; reject: (error: unknown) => void }> = [];
  private starting = 0;
  private closed = false;
  private lastError: unknown;
  private readonly changed: Array<() => void> = [];

  constructor(options: SandboxPoolOptions = {}) {
    const { size = 2, concurrency = availableParallelism(), ...sandboxOptions } = options;
    if (!Number.isInteger(size) || size < 1)
      throw new LitmusError("BAD_INPUT", `pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.concurrency = Math.max(1, concurrency);
    this.options = sandboxOptions;
    this.refill();
  }

  /** Idle sandboxes ready right now. */
  get available(): number {
    return this.idle.length;
  }

  /** Resolves once the pool holds `size` ready sandboxes; rejects with why it cannot start them. */
  async warm(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const signal = combine(options.signal, options.timeoutMs);
    while (this.idle.length < this.size) {
      if (this.lastError && this.starting === 0) throw this.lastError;
      if (signal?.aborted) throw new LitmusError("ABORTED", "warming the pool was aborted", { cause: signal.reason });
      // Woken by every sandbox that finishes starting (or fails to), or by the signal.
      await new Promise<void>((resolve) => {
        this.changed.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  private notifyChanged(): void {
    for (const resolve of this.changed.splice(0)) resolve();
  }

  /** A fresh sandbox: an idle one at once, or the next one to finish starting. */
  acquire(options: { signal?: AbortSignal } = {}): Promise<Sandbox> {
    if (this.closed) return Promise.reject(new LitmusError("SANDBOX_CLOSED", "the sandbox pool is closed"));
    if (options.signal?.aborted) {
      return Promise.reject(
        new LitmusError("ABORTED", "acquiring a sandbox was aborted", { cause: options.signal.reason }),
      );
    }
    const sandbox = this.takeIdle();
    if (sandbox) {
      this.refill();
      return Promise.resolve(this.handOut(sandbox));
    }
    const { signal } = options;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(new LitmusError("ABORTED", "acquiring a sandbox was aborted", { cause: signal?.reason }));
      };
      const waiter = {
        resolve: (sandbox: Sandbox) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(sandbox);
        },
        reject: (error: unknown) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.refill();
    });
  }

  /** Kills the idle sandboxes. Sandboxes already handed out belong to their users. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0))
      waiter.reject(new LitmusError("SANDBOX_CLOSED", "the sandbox pool is closed"));
    await Promise.all(this.idle.splice(0).map((sandbox) => sandbox.kill()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The lifetime starts when a user gets the sandbox, not while it waits in the pool. */
  private handOut(sandbox: Sandbox): Sandbox {
    sandbox.setTimeout(this.options.timeoutMs ?? DEFAULT_LIFETIME_MS);
    return sandbox;
  }

  private takeIdle(): Sandbox | undefined {
    while (this.idle.length > 0) {
      const sandbox = this.idle.shift();
      if (sandbox?.isRunning()) return sandbox;
    }
    return undefined;
  }

  private refill(): void {
    while (
      !this.closed &&
      this.starting < this.concurrency &&
      this.idle.length + this.starting < this.size + this.waiters.length
    ) {
      this.starting++;
      Sandbox.create({ ...this.options, timeoutMs: 0 }).then(
        (sandbox) => {
          this.starting--;
          this.lastError = undefined;
          if (this.closed) {
            void sandbox.kill();
            return;
          }
          const waiter = this.waiters.shift();
          if (waiter) waiter.resolve(this.handOut(sandbox));
          else this.idle.push(sandbox);
          this.refill();
          this.notifyChanged();
        },
        (error: unknown) => {
          this.starting--;
          this.lastError = error;
          for (const waiter of this.waiters.splice(0)) waiter.reject(error);
          this.notifyChanged();
        },
      );
    }
  }
}

function combine(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)].filter(
    (s) => s !== undefined,
  );
  return signals.length === 0 ? undefined : AbortSignal.any(signals);
}
