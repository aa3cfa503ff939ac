import { createReadStream, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono, type Context as HonoContext } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { buildReport, type EvalSummary, renderReportHtml } from "../bench/index.ts";
import { isLitmusError } from "../errors.ts";
import { MAX_CLIENT_TASK_CHARS, parseTask } from "../loop/index.ts";
import { createMcpServer, Sessions } from "../mcp/index.ts";
import type { TextModel } from "../models/index.ts";
import { decide, execute, openReview, type ReviewContext, type ReviewDocument, resume } from "../review/index.ts";
import type { ReviewRecord, RunStore } from "../store/index.ts";
import { type ServerAccess, tokenClient } from "./auth.ts";
import { ClientLimiter, type ClientLimits, DEFAULT_CLIENT_LIMITS, limitBody } from "./limits.ts";
import { LiveReviews } from "./live.ts";
import { allowedHosts, sameOriginOnly } from "./request-guards.ts";
import { THEME_CSS } from "./ui/highlight.ts";
import { appPage, queueFragment, reviewFragment, runsPage } from "./ui/pages.ts";
import { placesUntilDelivered, releaseWhenDelivered } from "./until-delivered.ts";

export interface AppOptions {
  store: RunStore;
  artifactsDir: string;
  /** Opens the model that drafts (on first need: a server that only approves never loads one). */
  model: () => Promise<{ model: TextModel; modelTimeoutMs: number }>;
  /** Who may use the app, and how a client is told from another (its token, or its address). */
  access: ServerAccess;
  /** What each client may run at once and per minute (reviews drafted and run, MCP tools that run code). */
  limits?: ClientLimits;
  /** Counts the clients' runs; shared with the E2B API when both are served. */
  limiter?: ClientLimiter;
  /** How often a watched review is re-read, to see decisions made by other processes. */
  pollMs?: number;
  /** The Host names the app answers to (null: any). */
  hosts?: readonly string[] | null;
}

const APP_CSS = `${readFileSync(new URL("./ui/app.css", import.meta.url), "utf8")}\n${THEME_CSS}`;
const APP_JS = readFileSync(new URL("./ui/app.js", import.meta.url), "utf8");

const StartBody = z.object({
  task: z
    .string()
    .trim()
    .min(1, "say what to build")
    .max(MAX_CLIENT_TASK_CHARS, `the task is over ${MAX_CLIENT_TASK_CHARS} characters: say it shorter`),
  language: z.string().optional(),
});
const ApproveBody = z.object({
  by: z.string().trim().min(1),
  draft: z.number().int().optional(),
  code: z.string().optional(),
  reason: z.string().optional(),
});
const RejectBody = z.object({
  by: z.string().trim().min(1),
  draft: z.number().int().optional(),
  feedback: z.string().trim().min(1),
  final: z.boolean().optional(),
});

/**
 * The web app over the review workflow: the page, HTML fragments it swaps in, a JSON API, live output as
 * Server-Sent Events, artifact downloads. Decisions are the workflow's own: the same store, the same rules as
 * the terminal, so a review started anywhere can be decided here.
 */
export function createApp(options: AppOptions): { app: Hono; close(): Promise<void> } {
  const { store, access } = options;
  const limits = options.limits ?? DEFAULT_CLIENT_LIMITS;
  const limiter = options.limiter ?? new ClientLimiter(limits);
  const live = new LiveReviews();
  const app = new Hono();
  const context = async (needsModel: boolean, id?: string, owner?: string): Promise<ReviewContext> => {
    const opened = needsModel ? await options.model() : undefined;
    return {
      store,
      artifactsDir: options.artifactsDir,
      ...(owner ? { owner } : {}),
      ...(opened ? { model: opened.model, modelTimeoutMs: opened.modelTimeoutMs } : {}),
      ...(id ? { onOutput: (stream, text) => live.publish(id, { type: "output", stream, text }) } : {}),
    };
  };
  /**
   * Work that outlives the request (drafting, running): its failure is reported to the page watching, and the
   * client's admission is released when it ends.
   */
  const inBackground = (id: string, work: Promise<unknown>, release: () => void): void => {
    work
      .catch((error: unknown) =>
        live.publish(id, { type: "output", stream: "stderr", text: `litmus: ${String(error)}\n` }),
      )
      .finally(() => {
        release();
        live.publish(id, { type: "status", status: store.reviews.get(id)?.status ?? "unknown" });
      });
  };
  /** Work that drafts or runs code counts against the client's limits; refused, it is answered with 429. */
  const admit = (c: HonoContext) => limiter.start(access.clientOf(c));
  /**
   * Whose reviews a client sees and decides: its own; the operator (the default token, the one `litmus serve`
   * prints or was given) also those started in a terminal. Another client's review does not exist for it (404).
   */
  const ownersFor = (c: HonoContext): Array<string | null> => {
    const client = access.clientOf(c);
    return client === tokenClient("default") ? [client, null] : [client];
  };
  const reviewFor = (c: HonoContext, id: string): ReviewRecord | null => {
    const review = store.reviews.get(id);
    return review && ownersFor(c).includes(review.owner) ? review : null;
  };
  /** Runs and benchmark pages show the whole store: the operator's alone. */
  const operatorOnly = (c: HonoContext) => access.clientOf(c) === tokenClient("default");

  app.onError((error, c) => {
    if (isLitmusError(error, "NOT_FOUND")) return c.text(error.message, 404);
    if (isLitmusError(error, "BAD_INPUT")) return c.text(error.message, 409);
    return c.text(`litmus: ${error.message}`, 500);
  });
  app.use("*", allowedHosts(options.hosts ?? null));
  app.use("*", sameOriginOnly());
  app.use("*", access.middleware());
  app.use("*", limitBody(limits.bodyBytes));

  app.get("/", (c) => c.html(appPage()));
  app.get("/static/app.css", (c) => c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8" }));
  app.get("/static/app.js", (c) => c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/fragments/queue", (c) =>
    c.html(
      queueFragment(store.reviews.summaries({ limit: 200, owners: ownersFor(c) }), c.req.query("selected") ?? null),
    ),
  );
  app.get("/fragments/review/:id", (c) => {
    const review = reviewFor(c, c.req.param("id"));
    if (!review) return c.text("No such review.", 404);
    return c.html(reviewFragment(review, store.reviews.events(review.id)));
  });

  app.get("/runs", (c) =>
    operatorOnly(c)
      ? c.html(runsPage(store.list({ limit: 100 }), store.bench.list({ limit: 100 })))
      : c.text("Runs are the operator's: use the token litmus serve printed.", 403),
  );
  app.get("/bench/:id/report", async (c) => {
    const run = operatorOnly(c) ? store.bench.get(c.req.param("id")) : null;
    if (run?.status !== "finished") return c.text("No finished benchmark run with that id.", 404);
    return c.html(await renderReportHtml(buildReport([{ source: run.id, summary: run.summary as EvalSummary }])));
  });

  // MCP over streamable HTTP, stateless: a server per request, sharing one set of sandbox sessions, each of
  // which belongs to the client that opened it.
  const mcpSessions = new Sessions({ perClient: (client) => limiter.limitsOf(client).sessions });
  app.all("/mcp", async (c) => {
    const client = access.clientOf(c);
    // A tool's result (a run's output, a file of up to 64 MiB) is this request's response body: the places its
    // work took stay taken until the client has read it.
    const places = placesUntilDelivered(c);
    const { server } = createMcpServer({
      model: options.model,
      sessions: mcpSessions,
      client,
      admit: places.keep(() => limiter.start(client)),
      hold: places.keep(() => limiter.hold(client)),
    });
    // No session id generator: stateless, each request stands alone (the sandbox sessions are litmus's own).
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      places.done();
      await server.close();
    }
  });

  app.get("/api/reviews", (c) => c.json(store.reviews.summaries({ limit: 200, owners: ownersFor(c) })));
  app.get("/api/reviews/:id", (c) => {
    const review = reviewFor(c, c.req.param("id"));
    return review
      ? c.json({ ...review, events: store.reviews.events(review.id) })
      : c.json({ error: "no such review" }, 404);
  });
  app.post("/api/reviews", async (c) => {
    const body = StartBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.text(body.error.issues[0]?.message ?? "bad request", 400);
    const task = await parseTask(
      { prompt: body.data.task, ...(body.data.language ? { language: body.data.language } : {}) },
      { source: "the task" },
    );
    const admission = admit(c);
    if ("refused" in admission) return c.json({ error: admission.refused }, 429);
    try {
      const drafting = await context(true, undefined, access.clientOf(c));
      const review = openReview(task, drafting);
      // The review exists (drafting) from now on; the model writes after the answer.
      inBackground(review.id, resume(review.id, drafting), admission.release);
      return c.json({ id: review.id }, 202);
    } catch (error) {
      admission.release();
      throw error;
    }
  });
  app.post("/api/reviews/:id/approve", async (c) => {
    const id = c.req.param("id");
    if (!reviewFor(c, id)) return c.text(`no review ${id}`, 404);
    const body = ApproveBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.text("say who approves (by)", 400);
    const { by, code, reason, draft } = body.data;
    const seen = { ...(reason ? { reason } : {}), ...(draft === undefined ? {} : { draft }) };
    const admission = admit(c);
    if ("refused" in admission) return c.json({ error: admission.refused }, 429);
    try {
      await decide(
        id,
        code === undefined ? { kind: "approve", by, ...seen } : { kind: "edit", by, code, ...seen },
        await context(false),
      );
    } catch (error) {
      admission.release();
      throw error;
    }
    live.publish(id, { type: "status", status: "approved" });
    inBackground(id, (async () => execute(id, await context(false, id)))(), admission.release);
    return c.json({ id, status: "approved" }, 202);
  });
  app.post("/api/reviews/:id/reject", async (c) => {
    const id = c.req.param("id");
    if (!reviewFor(c, id)) return c.text(`no review ${id}`, 404);
    const body = RejectBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.text("say who rejects (by) and what is wrong (feedback)", 400);
    const { by, feedback, final, draft } = body.data;
    // Checked before answering: the redraft that follows a rejection happens after the answer.
    const latest = (store.reviews.get(id)?.document as ReviewDocument | undefined)?.drafts.at(-1)?.n;
    if (draft !== undefined && draft !== latest) {
      return c.text(`draft ${draft} is not the latest (draft ${latest ?? 0} is): look at it before deciding`, 409);
    }
    // A rejection that is not final has the model draft again, and runs the new draft.
    const admission = final ? { release: () => undefined } : admit(c);
    if ("refused" in admission) return c.json({ error: admission.refused }, 429);
    let decided: Promise<unknown>;
    try {
      decided = decide(
        id,
        { kind: "reject", by, feedback, final: final ?? false, ...(draft === undefined ? {} : { draft }) },
        await context(!final),
      );
    } catch (error) {
      admission.release();
      throw error;
    }
    inBackground(id, decided, admission.release);
    return c.json({ id }, 202);
  });
  app.get("/api/reviews/:id/artifact", (c) => {
    const review = reviewFor(c, c.req.param("id"));
    const artifact = (review?.document as ReviewDocument | undefined)?.artifact;
    if (!artifact) return c.text("This review has no artifact yet.", 404);
    // A download holds one of the client's places (an open file and its buffers) until it has been read.
    const held = limiter.hold(access.clientOf(c));
    if ("refused" in held) return c.json({ error: held.refused }, 429);
    releaseWhenDelivered(c, held.release)();
    return c.body(Readable.toWeb(createReadStream(artifact.path)) as ReadableStream, 200, {
      "content-type": "application/gzip",
      "content-length": String(statSync(artifact.path).size),
      "content-disposition": `attachment; filename="${basename(artifact.path)}"`,
    });
  });
  app.get("/api/reviews/:id/stream", (c) => {
    const id = c.req.param("id");
    if (!reviewFor(c, id)) return c.text(`no review ${id}`, 404);
    return streamSSE(c, async (sse) => {
      let last = store.reviews.get(id)?.updatedAt;
      const unsubscribe = live.subscribe(id, (event) => {
        void sse.writeSSE({ event: event.type, data: JSON.stringify(event) });
      });
      // Decisions made by other processes reach the page through the store.
      const poll = setInterval(() => {
        const review = store.reviews.get(id);
        if (review && review.updatedAt !== last) {
          last = review.updatedAt;
          void sse.writeSSE({ event: "status", data: JSON.stringify({ type: "status", status: review.status }) });
        }
      }, options.pollMs ?? 1000);
      await new Promise<void>((resolve) => sse.onAbort(resolve));
      clearInterval(poll);
      unsubscribe();
    });
  });
  return {
    app,
    // Every session's sandbox goes with the server: nothing an agent started outlives it.
    close: () => mcpSessions.closeAll(),
  };
}
