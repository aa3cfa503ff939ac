import type { Readable, Writable } from "node:stream";
import * as v from "valibot";
import { LitmusError } from "../../errors.ts";

// Everything the supervisor says is validated: it runs inside the sandbox with the same uid as the user's
// code, so a hostile program could try to write to the channel. Bad lines are dropped, never trusted.
// Valibot rather than zod here: it loads in 4 ms instead of about 45, and every `litmus run` pays for this file.
const errorSchema = v.object({ name: v.string(), value: v.string(), traceback: v.string() });
const entrySchema = v.object({
  name: v.string(),
  path: v.string(),
  type: v.picklist(["file", "dir", "symlink"]),
  size: v.number(),
  mode: v.number(),
  permissions: v.string(),
  owner: v.string(),
  group: v.string(),
  modifiedTime: v.number(),
  symlinkTarget: v.optional(v.string()),
  metadata: v.optional(v.record(v.string(), v.string())),
});

const eventSchema = v.variant("ev", [
  v.object({ ev: v.literal("ready"), pid: v.number() }),
  v.object({ ev: v.literal("start-failed"), message: v.string() }),
  v.object({ id: v.number(), ev: v.literal("stdout"), text: v.string() }),
  v.object({ id: v.number(), ev: v.literal("stderr"), text: v.string() }),
  v.object({ id: v.number(), ev: v.literal("result"), result: v.record(v.string(), v.unknown()) }),
  v.object({ id: v.number(), ev: v.literal("started"), pid: v.number() }),
  v.object({ id: v.number(), ev: v.literal("watching") }),
  v.object({
    id: v.number(),
    ev: v.literal("watch"),
    name: v.string(),
    type: v.picklist(["create", "write", "remove", "rename", "chmod"]),
    entry: v.optional(entrySchema),
  }),
  v.object({
    id: v.number(),
    ev: v.literal("done"),
    error: v.nullish(errorSchema),
    exitCode: v.optional(v.number()),
    exited: v.optional(v.boolean()),
    signal: v.nullish(v.number()),
    executionCount: v.optional(v.number()),
    timedOut: v.optional(v.boolean()),
    truncated: v.optional(v.boolean()),
    durationMs: v.optional(v.number()),
    context: v.optional(v.string()),
    data: v.optional(v.string()),
    path: v.optional(v.string()),
    exists: v.optional(v.boolean()),
    entries: v.optional(v.array(entrySchema)),
    entry: v.optional(entrySchema),
    processes: v.optional(
      v.array(v.object({ pid: v.number(), cmd: v.string(), cwd: v.string(), envs: v.record(v.string(), v.string()) })),
    ),
  }),
  v.object({ id: v.number(), ev: v.literal("failed"), name: v.string(), message: v.string() }),
]);

type SupervisorEvent = v.InferOutput<typeof eventSchema>;
export type DoneEvent = Extract<SupervisorEvent, { ev: "done" }>;
export type StreamEvent = Extract<
  SupervisorEvent,
  { ev: "stdout" | "stderr" | "result" | "started" | "watching" | "watch" }
>;
type ReadyEvent = Extract<SupervisorEvent, { ev: "ready" }>;

/** No honest message comes near this: output comes in 64 KiB chunks, files.read answers up to 64 MiB. */
const MAX_MESSAGE_CHARS = 128 * 1024 * 1024;

interface Pending {
  onEvent: ((event: StreamEvent) => void) | undefined;
  resolve: (event: DoneEvent) => void;
  reject: (error: Error) => void;
}

/**
 * Request/response over newline-delimited JSON with the sandbox supervisor. Each request gets an id; its
 * stream events go to the caller's handler and its `done` resolves the promise.
 */
export class SupervisorChannel {
  readonly ready: Promise<ReadyEvent>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private parts: string[] = [];
  private partsLength = 0;
  private closedReason: Error | undefined;
  private resolveReady!: (event: ReadyEvent) => void;
  private rejectReady!: (error: Error) => void;
  private readonly input: Writable;
  private readonly onBroken: (() => void) | undefined;

  /** `onBroken` is called when the other side breaks the protocol beyond repair (it should be killed). */
  constructor(input: Writable, output: Readable, options: { onBroken?: () => void } = {}) {
    this.input = input;
    this.onBroken = options.onBroken;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A rejection nobody awaits yet (the sandbox died before anyone asked) must not crash the process.
    this.ready.catch(() => {});
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => this.receive(chunk));
    input.on("error", () => {}); // EPIPE after the sandbox died; close() reports it
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Sends one request; resolves with its `done` event, rejects on `failed` or when the channel closes. When
   * `signal` aborts, the supervisor is told to cancel the work (interrupt, then kill) and the promise rejects
   * with ABORTED at once.
   */
  request(
    op: string,
    payload: Record<string, unknown>,
    options: { onEvent?: ((event: StreamEvent) => void) | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<DoneEvent> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        this.send({ op: "cancel", id: 0, target: id });
        reject(aborted(signal as AbortSignal));
      };
      const settle = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        onEvent: options.onEvent,
        resolve: (event) => {
          settle();
          resolve(event);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.send({ ...payload, id, op });
    });
  }

  /** Fails everything still waiting, once. */
  close(reason: Error): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.rejectReady(reason);
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
    this.input.end();
  }

  /** Splits the stream into lines, looking for newlines only in new data: a long line costs linear time. */
  private send(message: Record<string, unknown>): void {
    if (!this.closedReason) this.input.write(`${JSON.stringify(message)}\n`);
  }

  private receive(chunk: string): void {
    let start = 0;
    let newline = chunk.indexOf("\n");
    while (newline !== -1) {
      const piece = chunk.slice(start, newline);
      const line = this.parts.length > 0 ? this.parts.join("") + piece : piece;
      this.parts = [];
      this.partsLength = 0;
      if (line) this.dispatch(line);
      start = newline + 1;
      newline = chunk.indexOf("\n", start);
    }
    if (start === chunk.length) return;
    const rest = chunk.slice(start);
    this.parts.push(rest);
    this.partsLength += rest.length;
    if (this.partsLength > MAX_MESSAGE_CHARS) {
      this.parts = [];
      this.partsLength = 0;
      this.close(
        new LitmusError("SANDBOX_CLOSED", "the sandbox sent a message over 128 MiB without ending it; it was stopped"),
      );
      this.onBroken?.();
    }
  }

  private dispatch(line: string): void {
    let parsed: v.SafeParseResult<typeof eventSchema>;
    try {
      parsed = v.safeParse(eventSchema, JSON.parse(line));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const event = parsed.output;
    if (event.ev === "ready") {
      this.resolveReady(event);
      return;
    }
    if (event.ev === "start-failed") {
      this.rejectReady(new LitmusError("SANDBOX_UNAVAILABLE", event.message));
      return;
    }
    const pending = this.pending.get(event.id);
    if (!pending) return;
    switch (event.ev) {
      case "done":
        this.pending.delete(event.id);
        pending.resolve(event);
        return;
      case "failed":
        this.pending.delete(event.id);
        pending.reject(new LitmusError(failureCode(event.name), event.message));
        return;
      case "stdout":
      case "stderr":
      case "result":
      case "started":
      case "watching":
      case "watch":
        pending.onEvent?.(event);
        return;
      default:
        event satisfies never;
    }
  }
}

function aborted(signal: AbortSignal): LitmusError {
  return new LitmusError("ABORTED", "the operation was aborted", { cause: signal.reason });
}

function failureCode(name: string): "NOT_FOUND" | "BAD_INPUT" {
  return name === "FileNotFoundError" || name === "LookupError" || name === "KeyError" ? "NOT_FOUND" : "BAD_INPUT";
}
