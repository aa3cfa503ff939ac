import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** How much one client (a token, or an address on loopback) may ask of the server. */
export interface ClientLimits {
  /** Runs at once. */
  concurrent: number;
  /** Runs started in any minute. */
  perMinute: number;
  /** Bytes of one request body. */
  bodyBytes: number;
  /** MCP sessions (each a sandbox that stays up) open at once. */
  sessions: number;
  /** Stateful contexts (each an interpreter) a client of the E2B API holds at once. */
  contexts: number;
  /** Sandboxes a client of the E2B API's control plane (`Sandbox.create()`) holds at once. */
  sandboxes: number;
  /**
   * How long a client's sandbox of the E2B API lives after its last request (E2B's default sandbox timeout,
   * 5 minutes; a running execution keeps it alive). Then it is killed with everything in it, background
   * processes included, and the next request gets a fresh one.
   */
  sandboxIdleMs: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  concurrent: 8,
  perMinute: 600,
  bodyBytes: 4 * 1024 * 1024,
  sessions: 4,
  contexts: 16,
  sandboxes: 8,
  sandboxIdleMs: 300_000,
};

/** Refuses bodies over the limit with 413 and a reason, before anything reads them. */
export function limitBody(bytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: bytes,
    onError: (c) => c.json({ error: `the request body is over ${Math.round(bytes / 1024)} KiB` }, 413),
  });
}

/** Limits a client may have set for it alone (`litmus serve --tokens FILE`); the rest are the server's. */
export type ClientLimitOverrides = Partial<Omit<ClientLimits, "bodyBytes">>;

/**
 * Counts each client's running work and its starts per minute. `start` answers with a release function, or
 * with the reason the client must wait (the caller answers 429): one client cannot take every sandbox the
 * machine can run. Each client has the server's limits, or its own where they were set for it.
 */
export class ClientLimiter {
  private readonly running = new Map<string, number>();
  /** When each client's runs of the last minute started, oldest first. */
  private readonly started = new Map<string, number[]>();
  private readonly limits: ClientLimits;
  private readonly overrides: ReadonlyMap<string, ClientLimitOverrides>;

  constructor(limits: ClientLimits, overrides: ReadonlyMap<string, ClientLimitOverrides> = new Map()) {
    this.limits = limits;
    this.overrides = overrides;
  }

  /** The limits of `client`: its own where set, the server's otherwise. */
  limitsOf(client: string): ClientLimits {
    return { ...this.limits, ...this.overrides.get(client) };
  }

  /** A run: it holds one of the client's places until released, and counts against its runs per minute. */
  start(client: string, now = Date.now()): { release: () => void } | { refused: string } {
    return this.admit(client, now, true);
  }

  /**
   * A download or another answer the server holds in memory until the client has read it: it takes one of the
   * client's places (so unread answers cannot pile up) without counting as a run started.
   */
  hold(client: string): { release: () => void } | { refused: string } {
    return this.admit(client, Date.now(), false);
  }

  private admit(client: string, now: number, isRun: boolean): { release: () => void } | { refused: string } {
    const limits = this.limitsOf(client);
    const running = this.running.get(client) ?? 0;
    if (running >= limits.concurrent) {
      return {
        refused: `${running} runs of yours are in progress (at most ${limits.concurrent} at once): wait for one to end`,
      };
    }
    // A sliding minute: a fixed one would let a client start twice its limit around the turn of a minute.
    const recent = (this.started.get(client) ?? []).filter((at) => at > now - 60_000);
    if (isRun && recent.length >= limits.perMinute) {
      const waitSeconds = Math.ceil(((recent[0] as number) + 60_000 - now) / 1000);
      return {
        refused: `${recent.length} runs started in the last minute (at most ${limits.perMinute}): try again in ${waitSeconds} s`,
      };
    }
    if (isRun) recent.push(now);
    this.started.set(client, recent);
    this.running.set(client, running + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.running.get(client) ?? 1) - 1;
        if (left > 0) this.running.set(client, left);
        else this.running.delete(client);
      },
    };
  }
}
