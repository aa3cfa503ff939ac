import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { LitmusError } from "../errors.ts";
import { buildPrompt, checkCode, draftCode, type Task, testSourceOf } from "../loop/index.ts";
import type { ResponseCache, TextModel } from "../models/index.ts";
import type { ReviewRecord, RunStore } from "../store/index.ts";
import { inSpan } from "../telemetry/index.ts";
import { writeArtifact } from "./artifact.ts";
import { type Draft, type DraftSettings, type ReviewDocument, reviewDocumentOf } from "./review-document.ts";

/** What the workflow works with: the store (the state), a model (to draft), where artifacts go. */
export interface ReviewContext {
  store: RunStore;
  /** Needed to draft: starting a review, and after a rejection. */
  model?: TextModel;
  cache?: ResponseCache;
  modelTimeoutMs?: number;
  /** Directory of the .tar.gz artifacts of finished reviews. */
  artifactsDir: string;
  /** The server client a new review belongs to (none: a terminal's review). */
  owner?: string;
  /** The approved code's output as it runs. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  signal?: AbortSignal;
}

/** A person's decision on a pending draft. */
export type Decision = (
  | { kind: "approve"; by: string; reason?: string }
  | { kind: "edit"; by: string; code: string; reason?: string }
  | { kind: "reject"; by: string; feedback: string; final?: boolean }
) & {
  /**
   * The draft the person saw. When given and it is no longer the latest (another process rejected it and the
   * model drafted again), the decision is refused: nobody approves code they have not seen.
   */
  draft?: number;
};

/**
 * Starts a review: records it, has the model draft code for the task, and leaves it pending for a person. The
 * review's id is its thread: any process with the same store can decide on it, run it or resume it.
 */
export function startReview(
  task: Task,
  context: ReviewContext,
  settings: Partial<DraftSettings> = {},
): Promise<ReviewRecord> {
  return inSpan("litmus.review.start", { "litmus.task.id": task.id }, async (span) => {
    const review = await startReviewUntraced(task, context, settings);
    span.setAttribute("litmus.review.id", review.id);
    return review;
  });
}

async function startReviewUntraced(
  task: Task,
  context: ReviewContext,
  settings: Partial<DraftSettings>,
): Promise<ReviewRecord> {
  return draftNext(openReview(task, context, settings).id, context);
}

/**
 * Records a new review, still to be drafted (`resume` drafts it): for callers that answer before the model
 * has written anything, such as the web app.
 */
export function openReview(task: Task, context: ReviewContext, settings: Partial<DraftSettings> = {}): ReviewRecord {
  const model = requireModel(context);
  const document: ReviewDocument = {
    task,
    settings: {
      maxOutputTokens: settings.maxOutputTokens ?? 512,
      seed: settings.seed ?? 1,
      ...pickTemperature(settings),
    },
    drafts: [],
  };
  return context.store.reviews.create({
    id: randomUUID(),
    taskId: task.id,
    model: model.spec,
    document,
    owner: context.owner ?? null,
  });
}

/**
 * Records a decision on the pending draft: approve it or an edit of it (then it may run), or reject it with
 * feedback (the model drafts again with it, back to pending) or for good. Decisions record who, when and why.
 */
export function decide(id: string, decision: Decision, context: ReviewContext): Promise<ReviewRecord> {
  return inSpan(
    "litmus.review.decide",
    { "litmus.review.id": id, "litmus.review.decision": decision.kind, "litmus.review.by": decision.by },
    () => decideUntraced(id, decision, context),
  );
}

async function decideUntraced(id: string, decision: Decision, context: ReviewContext): Promise<ReviewRecord> {
  const review = getReview(context.store, id);
  const document = reviewDocumentOf(review.document);
  const last = document.drafts.at(-1);
  if (decision.draft !== undefined && decision.draft !== last?.n) {
    throw new LitmusError(
      "BAD_INPUT",
      `review ${id}: draft ${decision.draft} is not the latest (draft ${last?.n ?? 0} is): look at it before deciding`,
    );
  }
  const at = new Date().toISOString();
  // The decision applies to the review as read here: if another process changes it meanwhile, it is refused.
  const seen = review.updatedAt;
  switch (decision.kind) {
    case "approve":
    case "edit": {
      const code = decision.kind === "edit" ? decision.code : last?.code;
      if (!code?.trim()) {
        throw new LitmusError("BAD_INPUT", `review ${id}: the draft has no code to approve; edit it or reject it`);
      }
      const edited = decision.kind === "edit" && code !== last?.code;
      return context.store.reviews.transition(id, {
        from: ["pending"],
        to: "approved",
        seen,
        document: { ...document, approved: { code, edited, by: decision.by, at } },
        event: {
          kind: edited ? "edited" : "approved",
          actor: decision.by,
          reason: decision.reason ?? null,
          document: edited ? { code, draft: last?.n ?? null } : { draft: last?.n ?? null },
        },
      });
    }
    case "reject": {
      if (!decision.feedback.trim())
        throw new LitmusError("BAD_INPUT", "a rejection needs feedback: say what is wrong");
      const drafts = document.drafts.map((draft) =>
        draft === last ? { ...draft, rejection: { by: decision.by, feedback: decision.feedback } } : draft,
      );
      const rejected = context.store.reviews.transition(id, {
        from: ["pending"],
        seen,
        to: decision.final ? "cancelled" : "drafting",
        document: { ...document, drafts },
        event: {
          kind: decision.final ? "cancelled" : "rejected",
          actor: decision.by,
          reason: decision.feedback,
          document: { draft: last?.n ?? null },
        },
      });
      return decision.final ? rejected : draftNext(id, context);
    }
  }
}

/**
 * Runs the approved code (and the task's visible tests) in a fresh sandbox, records the result and writes the
 * review's artifact. Only approved code ever runs.
 */
export function execute(id: string, context: ReviewContext): Promise<ReviewRecord> {
  return inSpan("litmus.review.execute", { "litmus.review.id": id }, () => {
    const review = context.store.reviews.transition(id, {
      from: ["approved"],
      to: "running",
      document: getReview(context.store, id).document,
    });
    return runApproved(review, context);
  });
}

/**
 * Finishes what a stopped process left half done: a review left drafting is drafted again, one left running is
 * run again from its approved code. Pending, approved, done and cancelled reviews wait for a person (or are
 * over) and are returned as they are.
 */
export function resume(id: string, context: ReviewContext): Promise<ReviewRecord> {
  return inSpan("litmus.review.resume", { "litmus.review.id": id }, async () => {
    const review = getReview(context.store, id);
    if (review.status === "drafting") return draftNext(id, context);
    if (review.status === "running") return runApproved(review, context);
    return review;
  });
}

async function draftNext(id: string, context: ReviewContext): Promise<ReviewRecord> {
  const model = requireModel(context);
  const review = getReview(context.store, id);
  const document = reviewDocumentOf(review.document);
  const { task, settings } = document;
  const last = document.drafts.at(-1);
  const prompt = buildPrompt(task, {
    style: model.promptStyle,
    prefill: model.prefill,
    visibleTests: task.tests ? testSourceOf(task.tests, task.language, task.entryPoint) : null,
    ...(last?.rejection ? { previous: { code: last.code, reviewerFeedback: last.rejection.feedback } } : {}),
  });
  const started = performance.now();
  const n = document.drafts.length + 1;
  const drafted = await draftCode(task, prompt, {
    model,
    maxOutputTokens: settings.maxOutputTokens,
    // A redraft after a rejection samples a little, so it is not the same answer again.
    temperature: settings.temperature ?? (n === 1 ? 0 : 0.4),
    seed: settings.seed + n - 1,
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.cache ? { cache: context.cache } : {}),
    ...(context.modelTimeoutMs ? { modelTimeoutMs: context.modelTimeoutMs } : {}),
  });
  const draft: Draft = {
    n,
    code: drafted.code,
    at: new Date().toISOString(),
    usage: { ...drafted.generation.usage, costUsd: drafted.generation.costUsd },
    durationMs: performance.now() - started,
  };
  return context.store.reviews.transition(id, {
    from: ["drafting"],
    to: "pending",
    document: { ...document, drafts: [...document.drafts, draft] },
    event: { kind: "drafted", actor: "litmus", reason: null, document: { draft: n, model: model.spec } },
  });
}

async function runApproved(review: ReviewRecord, context: ReviewContext): Promise<ReviewRecord> {
  const document = reviewDocumentOf(review.document);
  if (!document.approved) throw new LitmusError("INTERNAL", `review ${review.id} is running without approved code`);
  const checked = await checkCode(document.approved.code, document.task, document.task.tests, {
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.onOutput ? { onOutput: context.onOutput } : {}),
  });
  const result = { execution: checked.execution, diagnosis: checked.diagnosis, durations: checked.durations };
  const finished = { ...document, result };
  const artifact = await writeArtifact(review, finished, context.store.reviews.events(review.id), context.artifactsDir);
  return context.store.reviews.transition(review.id, {
    from: ["running"],
    to: "done",
    document: { ...finished, artifact },
    event: {
      kind: "executed",
      actor: "litmus",
      reason: null,
      document: { diagnosis: checked.diagnosis.kind, artifact: artifact.path },
    },
  });
}

function getReview(store: RunStore, id: string): ReviewRecord {
  const review = store.reviews.get(id);
  if (!review) throw new LitmusError("NOT_FOUND", `no review ${id} (see litmus review list)`);
  return review;
}

function requireModel(context: ReviewContext): TextModel {
  if (!context.model) throw new LitmusError("BAD_INPUT", "drafting code needs a model");
  return context.model;
}

function pickTemperature(settings: Partial<DraftSettings>): { temperature?: number } {
  return settings.temperature === undefined ? {} : { temperature: settings.temperature };
}
