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
  Sandbox,
} from "../../sandbox/index.ts";
import type { ServerAccess } from "../auth.ts";
import { ClientLimiter, type ClientLimits, DEFAULT_CLIENT_LIMITS, limitBody } from "../limits.ts";
import { allowedHosts, programsOnly } from "../request-guards.ts";
import { releaseWhenDelivered } from "../until-delivered.ts";
import { addEnvdRoutes } from "./envd-routes.ts";

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
  const sandboxes = new ClientSandboxes((client) => limiter.limitsOf(client).sandboxIdleMs, {
    template: options.template ?? null,
    runLimitMs: options.runLimitMs ?? RUN_LIMIT_MS,
  });
  const app = new Hono();
  app.onError((error, c) => {
    if (isLitmusError(error, "NOT_FOUND")) return c.json({ error: error.message }, 404);
    if (isLitmusError(error, "BAD_INPUT")) return c.json({ error: error.message }, 400);
    return c.json({ error: error.message }, 500);
  });
  const mine = (c: HonoContext) => sandboxes.of(options.access.clientOf(c));
  app.use("*", allowedHosts(options.hosts ?? null));
  app.use("*", programsOnly(["/execute", "/contexts"]));
  app.use("*", options.access.middleware());
  app.use("*", limitBody(limits.bodyBytes));
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
    const admitted = limiter.start(options.access.clientOf(c));
    if ("refused" in admitted) return c.json({ error: admitted.refused }, 429);
    const running = await mine(c)
      .sandbox()
      .catch((error: unknown) => {
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
      using _busy = mine(c).busy();
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
        if (!abort.signal.aborted) {
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
    const { sandbox, contexts } = mine(c);
    if (contexts.size >= limiter.limitsOf(options.access.clientOf(c)).contexts) {
      return c.json({ error: `${contexts.size} contexts of yours exist: remove one (DELETE /contexts/ID) first` }, 429);
    }
    const context = await (await sandbox()).createContext({ language, ...(cwd ? { cwd } : {}) });
    contexts.set(context.id, context);
    return c.json(contextJson(context));
  });
  // E2B lists the default contexts of python and javascript first, as its server starts them with the sandbox.
  // They are the sandbox's, not the client's: they do not count against its contexts.
  app.get("/contexts", async (c) => {
    const { sandbox, contexts, defaults } = mine(c);
    const running = await sandbox();
    const started = await Promise.all(DEFAULT_CONTEXT_LANGUAGES.map((language) => running.defaultContext(language)));
    for (const context of started) defaults.set(context.id, context);
    return c.json([...started, ...contexts.values()].map(contextJson));
  });
  app.post("/contexts/:id/restart", async (c) => {
    const { sandbox } = mine(c);
    const context = contextOf(mine(c), c.req.param("id"));
    if (!context) return c.json({ error: `context ${c.req.param("id")} not found` }, 404);
    await (await sandbox()).restartContext(context);
    return c.body(null, 204);
  });
  app.delete("/contexts/:id", async (c) => {
    const { sandbox, contexts } = mine(c);
    const context = contextOf(mine(c), c.req.param("id"));
    if (!context) return c.json({ error: `context ${c.req.param("id")} not found` }, 404);
    contexts.delete(context.id);
    mine(c).defaults.delete(context.id);
    await (await sandbox()).removeContext(context);
    return c.body(null, 204);
  });
  addEnvdRoutes(app, {
    sandboxOf: (c) => mine(c).sandbox(),
    admit: (c) => limiter.start(options.access.clientOf(c)),
    hold: (c) => limiter.hold(options.access.clientOf(c)),
  });
  return { app, close: () => sandboxes.closeAll() };
}

interface ClientSandbox {
  running: Promise<Sandbox> | null;
  contexts: Map<string, Context>;
  /** The sandbox's default contexts the client has seen listed (it may name them in requests). */
  defaults: Map<string, Context>;
}

/** A context of the client's, or one of its sandbox's defaults. */
function contextOf(client: { contexts: Map<string, Context>; defaults: Map<string, Context> }, id: string) {
  return client.contexts.get(id) ?? client.defaults.get(id);
}

/**
 * Each client's sandbox and contexts (a client: its token, or its address without tokens): clients of the
 * API never see each other's state, contexts or files. A sandbox starts on the client's first request, and
 * a new one replaces it if it was killed (out of memory, say).
 */
class ClientSandboxes {
  private readonly byClient = new Map<string, ClientSandbox>();
  private readonly idleMsOf: (client: string) => number;
  private readonly sandboxOptions: { template: BuiltTemplate | null; runLimitMs: number };

  constructor(
    idleMsOf: (client: string) => number,
    sandboxOptions: { template: BuiltTemplate | null; runLimitMs: number },
  ) {
    this.idleMsOf = idleMsOf;
    this.sandboxOptions = sandboxOptions;
  }

  of(client: string): {
    sandbox: () => Promise<Sandbox>;
    contexts: Map<string, Context>;
    defaults: Map<string, Context>;
    busy: () => Disposable;
  } {
    let entry = this.byClient.get(client);
    if (!entry) {
      entry = { running: null, contexts: new Map(), defaults: new Map() };
      this.byClient.set(client, entry);
    }
    const state = entry;
    const idleMs = this.idleMsOf(client);
    // The sandbox's own lifetime (E2B's setTimeout semantics) is what reaps it: every request starts it again.
    const { template, runLimitMs } = this.sandboxOptions;
    const start = () =>
      Sandbox.create({
        timeoutMs: idleMs,
        metadata: { purpose: "e2b api", client },
        // Runs end when the client stops waiting: the limits are backstops, CPU time per process included.
        limits: { execTimeoutMs: runLimitMs, cpuSeconds: Math.ceil(runLimitMs / 1000) },
        ...(template ? { template } : {}),
      });
    const extend = (sandbox: Sandbox) => {
      if (sandbox.isRunning()) sandbox.setTimeout(idleMs);
    };
    return {
      contexts: state.contexts,
      defaults: state.defaults,
      sandbox: async () => {
        state.running ??= start();
        const running = await state.running;
        if (running.isRunning()) {
          extend(running);
          return running;
        }
        state.contexts.clear();
        state.defaults.clear();
        state.running = start();
        return state.running;
      },
      // While an execution streams, its sandbox lives on, however long it runs; the idle time counts after.
      busy: () => {
        const timer = setInterval(() => void state.running?.then(extend, () => {}), Math.max(50, idleMs / 2));
        return {
          [Symbol.dispose]: () => {
            clearInterval(timer);
            void state.running?.then(extend, () => {});
          },
        };
      },
    };
  }

  async closeAll(): Promise<void> {
    const entries = [...this.byClient.values()];
    this.byClient.clear();
    await Promise.all(entries.map(async (entry) => (await entry.running?.catch(() => undefined))?.kill()));
  }
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
