import { Hono, type Context as HonoContext } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import { isLitmusError } from "../../errors.ts";
import {
  type BuiltTemplate,
  type Context,
  checkEnvs,
  type Execution,
  LANGUAGES,
  type Language,
  type Result,
} from "../../sandbox/index.ts";
import type { ServerAccess } from "../auth.ts";
import { ClientLimiter, type ClientLimits, DEFAULT_CLIENT_LIMITS, limitBody } from "../limits.ts";
import { allowedHosts, programsOnly } from "../request-guards.ts";
import { releaseWhenDelivered } from "../until-delivered.ts";
import { addControlPlaneRoutes } from "./control-plane.ts";
import { type E2bSandbox, E2bSandboxes, HostedSandbox } from "./e2b-sandboxes.ts";
import { addEnvdRoutes } from "./envd-routes.ts";
import { isSignedFileUrl, SandboxAccess } from "./sandbox-access.ts";

/** The longest an execution of the E2B API may run: an hour (E2B's server sets no limit of its own). */
const RUN_LIMIT_MS = 3_600_000;

/** E2B's port for the code interpreter: where its SDK looks in debug (local) mode. */
export const E2B_PORT = 49999;
/** Where E2B's SDKs look for envd (files, commands) in debug mode. */
export const ENVD_PORT = 49983;
/** A line every so often while code runs, so proxies and clients do not drop a quiet stream. */
const KEEPALIVE_MS = 5_000;

const ExecuteBody = z.object({
  code: z.string(),
  context_id: z.string().nullish(),
  language: z.string().nullish(),
  env_vars: z.record(z.string(), z.string()).nullish(),
});
const ContextBody = z.object({ language: z.string().nullish(), cwd: z.string().nullish() });

/**
 * The wire protocol of E2B's code interpreter, backed by one local litmus sandbox: `POST /execute` streams
 * newline-delimited JSON (stdout, stderr, result, error, number_of_executions, end_of_execution, keepalives),
 * `/contexts` creates, lists, restarts and removes stateful contexts, `/health` answers. The official
 * `@e2b/code-interpreter` SDK in debug mode (E2B_DEBUG=true) talks to it as to a sandbox of its own.
 */
export function createE2bApp(options: {
  access: ServerAccess;
  limits?: ClientLimits;
  limiter?: ClientLimiter;
  /** The Host names the API answers to (null: any). */
  hosts?: readonly string[] | null;
  /** The template every client's sandbox gets (`litmus serve` gives code-interpreter); none when absent. */
  template?: BuiltTemplate | null;
  /**
   * The longest one execution may run (default RUN_LIMIT_MS). E2B's server sets none: its SDKs stop waiting
   * (60 s in JS, 300 s in Python, never with timeout 0) and the run is interrupted when they hang up, which
   * this server does too. This is the backstop.
   */
  runLimitMs?: number;
}): {
  app: Hono;
  close(): Promise<void>;
} {
  const limits = options.limits ?? DEFAULT_CLIENT_LIMITS;
  // Shared with the web app when both are served: a client's limits are the server's, not each app's.
  const limiter = options.limiter ?? new ClientLimiter(limits);
  const sandboxes = new E2bSandboxes(
    { template: options.template ?? null, runLimitMs: options.runLimitMs ?? RUN_LIMIT_MS },
    (client) => limiter.limitsOf(client).sandboxIdleMs,
  );
  const access = new SandboxAccess(sandboxes, options.access);
  const app = new Hono();
  app.onError((error, c) => {
    if (isLitmusError(error, "NOT_FOUND")) return c.json({ error: error.message }, 404);
    if (isLitmusError(error, "BAD_INPUT")) return c.json({ error: error.message }, 400);
    // E2B's proxy answers 502 for a sandbox that is gone; the SDKs report it as killed or timed out.
    if (isLitmusError(error, "SANDBOX_CLOSED")) return c.json({ code: 502, message: error.message }, 502);
    return c.json({ error: error.message }, 500);
  });
  const mine = (c: HonoContext) => access.sandboxOf(c);
  /**
   * A sandbox killed (or timed out) under a stream: E2B's proxy then drops the connection, and the SDKs say the
   * sandbox was killed while the request was in progress. A debug-mode sandbox comes back on the next request,
   * so its streams report the end in words instead.
   */
  const sandboxGone = (c: HonoContext) => {
    if (!(mine(c) instanceof HostedSandbox)) return false;
    cutConnection(c);
    return true;
  };
  /** Work in a sandbox counts against its owner's limits, whoever holds its token. */
  const admit = (c: HonoContext) => limiter.start(mine(c).owner);
  app.use("*", allowedHosts(options.hosts ?? null));
  // A signed file URL is E2B's way to let a browser download or upload a file: its signature is the check.
  app.use("*", programsOnly(["/execute", "/contexts", "/sandboxes"], { browsersToo: isSignedFileUrl }));
  app.use("*", access.middleware());
  app.use("*", limitBody(limits.bodyBytes));
  addControlPlaneRoutes(app, {
    sandboxes,
    clientOf: (c) => options.access.clientOf(c),
    maxSandboxesOf: (client) => limiter.limitsOf(client).sandboxes,
  });
  app.get("/health", (c) => c.json({ status: "ok" }));

  app.post("/execute", async (c) => {
    const body = ExecuteBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: `bad request: ${body.error.issues[0]?.message}` }, 400);
    const { code, context_id } = body.data;
    const context = context_id ? contextOf(mine(c), context_id) : undefined;
    if (context_id && !context) return c.json({ error: `context ${context_id} not found` }, 404);
    const language = context ? context.language : languageOf(body.data.language);
    if (!language)
      return c.json(
        { error: `unsupported language "${body.data.language}"; use one of: ${LANGUAGES.join(", ")}` },
        400,
      );
    const envs = body.data.env_vars ?? undefined;
    try {
      checkEnvs(envs, "env_vars");
    } catch (error) {
      return c.json({ error: (error as Error).message }, 400);
    }
    const admitted = admit(c);
    if ("refused" in admitted) return c.json({ error: admitted.refused }, 429);
    const target = mine(c);
    const running = await target.sandbox().catch((error: unknown) => {
      admitted.release();
      throw error;
    });
    c.header("content-type", "application/x-ndjson");
    // The run's place in the client's limits is held until its output has been read, not just produced.
    const handlerDone = releaseWhenDelivered(c, admitted.release);
    return stream(c, async (out) => {
      // The client gone (it timed out or hung up): the run is interrupted, not left to finish for nobody.
      const abort = new AbortController();
      out.onAbort(() => abort.abort());
      const send = (event: Record<string, unknown>) => out.write(`${JSON.stringify(event)}\n`);
      const keepalive = setInterval(() => void send({ type: "keepalive" }), KEEPALIVE_MS);
      using _busy = target.busy();
      try {
        const execution = await running.runCode(code, {
          ...(context ? { context } : { language }),
          ...(envs ? { envs } : {}),
          signal: abort.signal,
          onStdout: ({ line, timestamp }) => void send({ type: "stdout", text: line, timestamp }),
          onStderr: ({ line, timestamp }) => void send({ type: "stderr", text: line, timestamp }),
          onResult: (result) => void out.write(`${resultLine(result)}\n`),
        });
        const error = errorOf(execution);
        if (error) await send({ type: "error", ...error });
        await send({ type: "number_of_executions", execution_count: execution.executionCount });
        await send({ type: "end_of_execution" });
      } catch (error) {
        // A control-plane sandbox that died has its connection cut (sandboxGone); otherwise the stream says why.
        const cut = isLitmusError(error, "SANDBOX_CLOSED") && sandboxGone(c);
        if (!cut && !abort.signal.aborted) {
          await send({
            type: "error",
            name: "LitmusError",
            value: String(error instanceof Error ? error.message : error),
            traceback: "",
          });
          await send({ type: "end_of_execution" });
        }
      } finally {
        clearInterval(keepalive);
        handlerDone();
      }
    });
  });

  app.post("/contexts", async (c) => {
    const body = ContextBody.safeParse(await c.req.json().catch(() => ({})));
    const language = languageOf(body.success ? body.data.language : undefined);
    if (!language) return c.json({ error: `unsupported language; use one of: ${LANGUAGES.join(", ")}` }, 400);
    const cwd = body.success && body.data.cwd ? body.data.cwd : undefined;
    const target = mine(c);
    const { contexts } = target;
    if (contexts.size >= limiter.limitsOf(target.owner).contexts) {
      return c.json({ error: `${contexts.size} contexts of yours exist: remove one (DELETE /contexts/ID) first` }, 429);
    }
    const context = await (await target.sandbox()).createContext({ language, ...(cwd ? { cwd } : {}) });
    contexts.set(context.id, context);
    return c.json(contextJson(context));
  });
  // E2B lists the default contexts of python and javascript first, as its server starts them with the sandbox.
  // They are the sandbox's, not the client's: they do not count against its contexts.
  app.get("/contexts", async (c) => {
    const target = mine(c);
    const { contexts, defaults } = target;
    const running = await target.sandbox();
    const started = await Promise.all(DEFAULT_CONTEXT_LANGUAGES.map((language) => running.defaultContext(language)));
    for (const context of started) defaults.set(context.id, context);
    return c.json([...started, ...contexts.values()].map(contextJson));
  });
  app.post("/contexts/:id/restart", async (c) => {
    const target = mine(c);
    const context = contextOf(target, c.req.param("id"));
    if (!context) return c.json({ error: `context ${c.req.param("id")} not found` }, 404);
    await (await target.sandbox()).restartContext(context);
    return c.body(null, 204);
  });
  app.delete("/contexts/:id", async (c) => {
    const target = mine(c);
    const context = contextOf(target, c.req.param("id"));
    if (!context) return c.json({ error: `context ${c.req.param("id")} not found` }, 404);
    target.contexts.delete(context.id);
    target.defaults.delete(context.id);
    await (await target.sandbox()).removeContext(context);
    return c.body(null, 204);
  });
  addEnvdRoutes(app, {
    sandboxOf: (c) => mine(c).sandbox(),
    admit,
    hold: (c) => limiter.hold(mine(c).owner),
    sandboxGone,
  });
  return { app, close: () => sandboxes.closeAll() };
}

/**
 * Ends a response mid-stream the way a dead peer does: a reset connection (TCP RST), not a finished answer nor a
 * plain close, which the Python SDK reads as a body cut short rather than a lost connection.
 */
function cutConnection(c: HonoContext): void {
  const socket = (c.env as { incoming?: { socket?: { resetAndDestroy(): void } } } | undefined)?.incoming?.socket;
  socket?.resetAndDestroy();
}

/** A context of the client's, or one of its sandbox's defaults. */
function contextOf(target: E2bSandbox, id: string): Context | undefined {
  return target.contexts.get(id) ?? target.defaults.get(id);
}

/** The language E2B names (its default is python; "js" and "ts" are its short names too). */
function languageOf(name: string | null | undefined): Language | undefined {
  const aliases: Record<string, Language> = { js: "javascript", ts: "typescript", sh: "bash" };
  const language = name ? (aliases[name] ?? name) : "python";
  return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : undefined;
}

function contextJson(context: Context): { id: string; language: string; cwd: string } {
  return { id: context.id, language: context.language, cwd: context.cwd };
}

/**
 * A result line as E2B's server sends it: its formats, `extra` (formats beyond E2B's list, always there), and
 * `is_main_result` in snake case. Like E2B's, the server strips the quotes around a text that has them: a
 * string's repr `'hello'` is sent as `hello`. Every number of a `chart` is a float in e2b-charts, and Python
 * clients check it (`isinstance(tick, float)`): JSON that went through JavaScript would write 1.0 as 1, so the
 * chart is written with its whole numbers as 1.0.
 */
function resultLine(result: Result): string {
  const { isMainResult, text, extra, chart, ...formats } = result;
  const line = JSON.stringify({
    type: "result",
    ...(text === undefined ? {} : { text: withoutQuotes(text) }),
    ...formats,
    extra: extra ?? {},
    is_main_result: isMainResult,
  });
  return chart === undefined ? line : `${line.slice(0, -1)},"chart":${floatJson(chart)}}`;
}

/** JSON with every finite whole number written as a float (1.0). */
function floatJson(value: unknown): string {
  if (typeof value === "number") {
    // 1e+21 and beyond are written with an exponent, which is a float already.
    return Number.isInteger(value) && !String(value).includes("e") ? `${value}.0` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(floatJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value).map(([key, field]) => `${JSON.stringify(key)}:${floatJson(field)}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function withoutQuotes(text: string): string {
  const quoted = text.length >= 2 && (text[0] === "'" || text[0] === '"') && text.at(-1) === text[0];
  return quoted ? text.slice(1, -1) : text;
}

/** The contexts E2B's server starts with every sandbox. */
const DEFAULT_CONTEXT_LANGUAGES: readonly Language[] = ["python", "javascript"];

/** The error E2B would report: the code's, or a limit that stopped it. */
function errorOf(execution: Execution): { name: string; value: string; traceback: string } | null {
  if (execution.error) return execution.error;
  if (execution.timedOut) return { name: "TimeoutError", value: "the execution timed out", traceback: "" };
  if (execution.oomKilled) return { name: "MemoryError", value: "the execution ran out of memory", traceback: "" };
  return null;
}
