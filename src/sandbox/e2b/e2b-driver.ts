import { randomBytes } from "node:crypto";
import {
  CommandExitError,
  type Context as E2BContext,
  type EntryInfo as E2BEntryInfo,
  type Result as E2BResult,
  Sandbox as E2BSandbox,
  TimeoutError,
} from "@e2b/code-interpreter";
import { LitmusError, messageOf } from "../../errors.ts";
import type { DoneEvent, StreamEvent } from "../local/supervisor-channel.ts";
import type { RequestChannel, SandboxDriver } from "../request.ts";
import type { PreloadedModule, SandboxOptions } from "../sandbox.ts";
import type { Language, SandboxLimits } from "../types.ts";

/**
 * E2B wants a lifetime, at most an hour on every plan. The Sandbox's own timer decides when a sandbox ends
 * (it kills it); E2B's lifetime only has to outlast that timer, so it is renewed while the sandbox is in use,
 * and a process that dies without killing its sandboxes leaves them for an hour at most.
 */
const REMOTE_LIFETIME_MS = 3_600_000;
const RENEW_EVERY_MS = 20 * 60_000;
/** The id the Sandbox gives the default context of its language; here it names a context made on first use. */
const DEFAULT_CONTEXT = "default";
const RESULT_FORMATS = [
  "text",
  "html",
  "markdown",
  "svg",
  "png",
  "jpeg",
  "pdf",
  "latex",
  "json",
  "javascript",
  "data",
  "chart",
  "extra",
] as const;

interface ContextEntry {
  /** Being made, or made; null for the default context before its first use. */
  context: Promise<E2BContext> | null;
  language: Language;
  preloaded: boolean;
}

type Handlers = { onEvent?: ((event: StreamEvent) => void) | undefined; signal?: AbortSignal | undefined };

/**
 * Starts an E2B cloud sandbox through E2B's official SDK and drives it with the requests a local sandbox's
 * supervisor answers, so the Sandbox API is the same on both backends. Needs E2B_API_KEY (or E2B_DEBUG=true
 * with E2B_SANDBOX_URL, to drive a sandbox served locally: that is how the tests run it without an account).
 */
export async function startE2BDriver(
  options: SandboxOptions & { language: Language; limits: SandboxLimits },
): Promise<{ sandboxId: string; driver: SandboxDriver }> {
  if (options.mounts && options.mounts.length > 0) {
    throw new LitmusError(
      "BAD_INPUT",
      "mounts show host paths, which a sandbox in E2B's cloud cannot see: copy the files in, or use the local backend",
    );
  }
  const debug = (process.env.E2B_DEBUG ?? "").toLowerCase() === "true";
  if (!process.env.E2B_API_KEY && !debug) {
    throw new LitmusError(
      "SANDBOX_UNAVAILABLE",
      "the e2b backend needs an API key: set E2B_API_KEY (from https://e2b.dev/dashboard), or use --sandbox local",
    );
  }
  let remote: E2BSandbox;
  try {
    remote = await E2BSandbox.create({
      timeoutMs: REMOTE_LIFETIME_MS,
      envs: options.envs ?? {},
      metadata: options.metadata ?? {},
      // The same default as the local backend: no network unless asked for.
      allowInternetAccess: options.network ?? false,
    });
  } catch (error) {
    throw new LitmusError("SANDBOX_UNAVAILABLE", `E2B could not start a sandbox: ${messageOf(error)}`, {
      cause: error,
    });
  }
  // A debug sandbox always has the same id; litmus keys its sandboxes by id.
  const sandboxId = debug ? `${remote.sandboxId}-${randomBytes(4).toString("hex")}` : remote.sandboxId;
  return { sandboxId, driver: new E2BDriver(remote, options.language, options.preload ?? []) };
}

class E2BDriver implements SandboxDriver, RequestChannel {
  readonly isolation = null;
  readonly exited: Promise<void>;
  private killed = false;
  private markExited!: () => void;
  private readonly remote: E2BSandbox;
  private readonly preload: PreloadedModule[];
  private readonly contexts = new Map<string, ContextEntry>();
  private readonly renewal: NodeJS.Timeout;

  constructor(remote: E2BSandbox, defaultLanguage: Language, preload: PreloadedModule[]) {
    this.remote = remote;
    this.preload = preload;
    this.contexts.set(DEFAULT_CONTEXT, { context: null, language: defaultLanguage, preloaded: false });
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.renewal = setInterval(() => {
      this.remote.setTimeout(REMOTE_LIFETIME_MS).catch((error: unknown) => this.noticeGone(error));
    }, RENEW_EVERY_MS);
    this.renewal.unref();
  }

  get channel(): RequestChannel {
    return this;
  }

  get closed(): boolean {
    return this.killed;
  }

  async request(op: string, payload: Record<string, unknown>, handlers: Handlers = {}): Promise<DoneEvent> {
    if (this.killed) throw new LitmusError("SANDBOX_CLOSED", "the sandbox was killed");
    const { signal } = handlers;
    if (signal?.aborted) throw aborted(signal);
    const work = this.perform(op, payload, handlers).catch((error: unknown) => {
      this.noticeGone(error);
      throw translate(error);
    });
    if (!signal) return work;
    // The SDK's calls take no signal: an aborted request is let go of at once, and runs out in E2B (where
    // its failure, if it fails, has nobody left to tell).
    work.catch(() => undefined);
    let onAbort: () => void = () => undefined;
    const abort = new Promise<never>((_, reject) => {
      onAbort = () => reject(aborted(signal));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([work, abort]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async oomKills(): Promise<number> {
    return 0;
  }

  async kill(): Promise<void> {
    if (this.killed) return;
    this.killed = true;
    clearInterval(this.renewal);
    try {
      await this.remote.kill();
    } finally {
      this.markExited();
    }
  }

  /** A sandbox E2B no longer has (expired, or killed elsewhere) is closed here too: the Sandbox then says so. */
  private noticeGone(error: unknown): void {
    if (!(error instanceof Error) || error.name !== "SandboxNotFoundError" || this.killed) return;
    this.killed = true;
    clearInterval(this.renewal);
    this.markExited();
  }

  private async perform(op: string, payload: Record<string, unknown>, handlers: Handlers): Promise<DoneEvent> {
    const path = String(payload.path ?? "");
    const files = this.remote.files;
    switch (op) {
      case "exec":
        return this.exec(payload, handlers);
      case "command":
        return this.command(payload, handlers);
      case "command.list": {
        const processes = await this.remote.commands.list();
        return done({
          processes: processes.map((info) => ({
            pid: info.pid,
            cmd: [info.cmd, ...info.args].join(" "),
            cwd: info.cwd ?? "",
            envs: info.envs,
          })),
        });
      }
      case "command.input":
        await this.remote.commands.sendStdin(Number(payload.pid), Buffer.from(String(payload.data), "base64"));
        return done({});
      case "command.close-stdin":
        await this.remote.commands.closeStdin(Number(payload.pid));
        return done({});
      case "command.signal":
        if (payload.signal === "term") {
          // Never a kill in its place: a process asked to terminate may be counting on its handler.
          throw new LitmusError(
            "BAD_INPUT",
            "E2B sandboxes cannot send SIGTERM (the E2B SDK only kills): kill instead",
          );
        }
        if (!(await this.remote.commands.kill(Number(payload.pid)))) {
          throw new LitmusError("NOT_FOUND", `no running command with pid ${payload.pid}`);
        }
        return done({});
      case "context.create": {
        const language = payload.language as Language;
        const context = await this.remote.createCodeContext({ language, cwd: String(payload.cwd) });
        this.contexts.set(context.id, { context: Promise.resolve(context), language, preloaded: false });
        return done({ context: context.id });
      }
      case "context.restart": {
        const entry = this.contextEntry(String(payload.context));
        await this.remote.restartCodeContext(await this.contextOf(entry));
        entry.preloaded = false;
        return done({});
      }
      case "context.remove": {
        const entry = this.contextEntry(String(payload.context));
        await this.remote.removeCodeContext(await this.contextOf(entry));
        this.contexts.delete(String(payload.context));
        return done({});
      }
      case "files.write": {
        const data = Buffer.from(String(payload.data), "base64");
        const metadata = payload.metadata as Record<string, string> | undefined;
        const written = await files.write(path, new Blob([data]), metadata ? { metadata } : {});
        return done({ path: written.path });
      }
      case "files.read": {
        const bytes = await files.read(path, { format: "bytes" });
        return done({ data: Buffer.from(bytes).toString("base64") });
      }
      case "files.list": {
        const entries = (await files.list(path, { depth: Number(payload.depth ?? 1) })).map(entryEvent);
        return done({ entries: entries.sort((a, b) => a.path.localeCompare(b.path)) });
      }
      case "files.watch": {
        const handle = await files.watchDir(
          path,
          (event) =>
            handlers.onEvent?.({
              id: 0,
              ev: "watch",
              name: event.name,
              type: event.type,
              ...(event.entry ? { entry: entryEvent(event.entry) } : {}),
            }),
          { recursive: payload.recursive === true, includeEntry: payload.includeEntry === true, timeoutMs: 0 },
        );
        handlers.onEvent?.({ id: 0, ev: "watching" });
        await new Promise<void>((resolve) => {
          if (!handlers.signal || handlers.signal.aborted) return resolve();
          handlers.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        await handle.stop();
        return done({});
      }
      case "files.stat":
        return done({ entry: entryEvent(await files.getInfo(path)) });
      case "files.rename":
        return done({ entry: entryEvent(await files.rename(path, String(payload.destination))) });
      case "files.remove":
        await files.remove(path);
        return done({});
      case "files.mkdir":
        await files.makeDir(path);
        return done({});
      case "files.exists":
        return done({ exists: await files.exists(path) });
      case "reset":
        throw new LitmusError("BAD_INPUT", "the e2b backend cannot reset a sandbox: kill it and create another");
      default:
        throw new LitmusError("INTERNAL", `the e2b backend has no "${op}"`);
    }
  }

  private async exec(payload: Record<string, unknown>, handlers: Handlers): Promise<DoneEvent> {
    const timeoutMs = Number(payload.timeoutMs);
    const entry = this.contextEntry(String(payload.context));
    const context = await this.contextOf(entry);
    await this.preloadInto(entry, context);
    const started = performance.now();
    try {
      const execution = await this.remote.runCode(String(payload.code), {
        context,
        timeoutMs,
        ...(payload.envs ? { envs: payload.envs as Record<string, string> } : {}),
        // The execution's own limit decides; the request must not give up before it.
        requestTimeoutMs: timeoutMs + 10_000,
        onStdout: (output) => handlers.onEvent?.({ id: 0, ev: "stdout", text: output.line }),
        onStderr: (output) => handlers.onEvent?.({ id: 0, ev: "stderr", text: output.line }),
        onResult: (result) => handlers.onEvent?.({ id: 0, ev: "result", result: resultOf(result) }),
      });
      const error = execution.error
        ? { name: execution.error.name, value: execution.error.value, traceback: execution.error.traceback }
        : null;
      return done({
        error,
        exitCode: error ? exitCodeOf(error) : 0,
        executionCount: execution.executionCount ?? 0,
        durationMs: performance.now() - started,
      });
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      return done({
        error: {
          name: "TimeoutError",
          value: `execution exceeded its ${timeoutMs} ms time limit and was stopped`,
          traceback: "",
        },
        exitCode: 1,
        timedOut: true,
        durationMs: performance.now() - started,
      });
    }
  }

  private async command(payload: Record<string, unknown>, handlers: Handlers): Promise<DoneEvent> {
    const started = performance.now();
    const timeoutMs = Number(payload.timeoutMs);
    try {
      const handle = await this.remote.commands.run(String(payload.cmd), {
        background: true,
        stdin: payload.stdin === true,
        ...(typeof payload.cwd === "string" ? { cwd: payload.cwd } : {}),
        ...(payload.envs ? { envs: payload.envs as Record<string, string> } : {}),
        timeoutMs,
        requestTimeoutMs: timeoutMs + 10_000,
        onStdout: (text) => handlers.onEvent?.({ id: 0, ev: "stdout", text }),
        onStderr: (text) => handlers.onEvent?.({ id: 0, ev: "stderr", text }),
      });
      handlers.onEvent?.({ id: 0, ev: "started", pid: handle.pid });
      const result = await handle.wait();
      return done({ exitCode: result.exitCode, error: null, durationMs: performance.now() - started });
    } catch (error) {
      const durationMs = performance.now() - started;
      if (error instanceof CommandExitError) {
        return done({
          exitCode: error.exitCode,
          error: { name: "NonZeroExit", value: `exited with status ${error.exitCode}`, traceback: "" },
          durationMs,
        });
      }
      if (!(error instanceof TimeoutError)) throw error;
      return done({
        exitCode: 124,
        error: { name: "TimeoutError", value: `command exceeded its ${timeoutMs} ms time limit`, traceback: "" },
        timedOut: true,
        durationMs,
      });
    }
  }

  /**
   * Preloaded modules, which a local sandbox imports once into its template, are defined in each Python
   * context before its first run here (and again after a restart).
   */
  private async preloadInto(entry: ContextEntry, context: E2BContext) {
    if (entry.preloaded || entry.language !== "python" || this.preload.length === 0) return;
    const modules = this.preload.map((module) =>
      typeof module === "string" ? [module, null] : [module.name, module.source],
    );
    // The list travels as JSON inside a Python string literal (JSON's string escapes are Python's too).
    const code = `import json as _j, sys as _s, types as _t
for _name, _source in _j.loads(${JSON.stringify(JSON.stringify(modules))}):
    if _source is None:
        __import__(_name)
    else:
        _m = _t.ModuleType(_name)
        exec(compile(_source, "<" + _name + ">", "exec"), _m.__dict__)
        _s.modules[_name] = _m
del _j, _s, _t, _name, _source
`;
    const execution = await this.remote.runCode(code, { context });
    if (execution.error) {
      throw new LitmusError(
        "SANDBOX_UNAVAILABLE",
        `preloading modules into the E2B sandbox failed: ${execution.error.name}: ${execution.error.value}`,
      );
    }
    entry.preloaded = true;
  }

  private contextEntry(id: string) {
    const entry = this.contexts.get(id);
    if (!entry) throw new LitmusError("NOT_FOUND", `no context "${id}" in this sandbox`);
    return entry;
  }

  /**
   * The E2B context of an entry: the default one is a context made on first use (rather than E2B's implicit
   * default), so restarting or removing it reaches exactly it.
   */
  private async contextOf(entry: ContextEntry): Promise<E2BContext> {
    if (!entry.context) {
      const creating = this.remote.createCodeContext({ language: entry.language, cwd: "/home/user" });
      entry.context = creating;
      // A failed creation is tried again by the next run, not remembered.
      creating.catch(() => {
        if (entry.context === creating) entry.context = null;
      });
    }
    return entry.context;
  }
}

function done(fields: Omit<Partial<DoneEvent>, "id" | "ev">): DoneEvent {
  return { id: 0, ev: "done", ...fields } as DoneEvent;
}

function resultOf(result: E2BResult): Record<string, unknown> {
  const out: Record<string, unknown> = { isMainResult: result.isMainResult };
  for (const format of RESULT_FORMATS) {
    if (result[format] !== undefined) out[format] = result[format];
  }
  return out;
}

/** `sys.exit(n)` ends a local run with status n; E2B reports it as an error, which says the status. */
function exitCodeOf(error: { name: string; value: string }): number {
  if (error.name !== "SystemExit") return 1;
  const status = Number.parseInt(error.value, 10);
  return Number.isNaN(status) ? 1 : status;
}

/** The SDK's errors as litmus's: a missing file is NOT_FOUND, a refused key or quota SANDBOX_UNAVAILABLE. */
function translate(error: unknown): Error {
  if (error instanceof LitmusError) return error;
  const name = error instanceof Error ? error.name : "";
  if (name === "NotFoundError" || name === "FileNotFoundError")
    return new LitmusError("NOT_FOUND", messageOf(error), { cause: error });
  if (name === "InvalidArgumentError") return new LitmusError("BAD_INPUT", messageOf(error), { cause: error });
  return new LitmusError("SANDBOX_UNAVAILABLE", `E2B: ${messageOf(error)}`, { cause: error });
}

function aborted(signal: AbortSignal): LitmusError {
  return new LitmusError("ABORTED", "the request was aborted", { cause: signal.reason });
}

/** An E2B entry as the supervisor would send it (its time in milliseconds). */
function entryEvent(entry: E2BEntryInfo): NonNullable<DoneEvent["entry"]> {
  return {
    name: entry.name,
    path: entry.path,
    type: entry.type === "dir" ? "dir" : entry.type === "symlink" ? "symlink" : "file",
    size: entry.size,
    mode: entry.mode,
    permissions: entry.permissions,
    owner: entry.owner,
    group: entry.group,
    modifiedTime: entry.modifiedTime?.getTime() ?? 0,
    ...(entry.symlinkTarget ? { symlinkTarget: entry.symlinkTarget } : {}),
    ...(entry.metadata && Object.keys(entry.metadata).length > 0 ? { metadata: entry.metadata } : {}),
  };
}
