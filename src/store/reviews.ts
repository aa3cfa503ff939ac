import type { DatabaseSync } from "node:sqlite";
import { LitmusError } from "../errors.ts";

/**
 * Where a review stands. "drafting": the model is writing (or rewriting after a rejection); "pending": waiting
 * for a person; "approved": approved (as drafted or as edited), not run yet; "running": executing in the
 * sandbox; "done": executed, artifact saved; "cancelled": rejected for good.
 */
export type ReviewStatus = "drafting" | "pending" | "approved" | "running" | "done" | "cancelled";

/** A review: a task, the drafts, and what its state document says (code to run, execution, artifact). */
export interface ReviewRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  status: ReviewStatus;
  taskId: string;
  model: string;
  document: unknown;
  /** The server client that started it (`token:NAME`, `user:UID`); null when started from a terminal. */
  owner: string | null;
}

/** Something that happened to a review: a draft, a decision (who, when, why), an execution. */
export interface ReviewEvent {
  seq: number;
  at: string;
  kind: "drafted" | "approved" | "edited" | "rejected" | "cancelled" | "executed" | "artifact";
  /** Who did it: a person's name, or "litmus". */
  actor: string;
  reason: string | null;
  document: unknown;
}

export const REVIEW_SCHEMA = `
CREATE TABLE IF NOT EXISTS reviews (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status TEXT NOT NULL,
  task_id TEXT NOT NULL,
  model TEXT NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_by_status ON reviews(status, created_at);
CREATE TABLE IF NOT EXISTS review_events (
  review_id TEXT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  document TEXT NOT NULL,
  PRIMARY KEY (review_id, seq)
);
`;

/**
 * Reviews in the run store. A state change is a compare-and-set on the status, in one transaction with the
 * event that explains it: two processes (a terminal and the web app) cannot both approve the same draft, and
 * a review's history never disagrees with its state.
 */
export class Reviews {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    // Stores made before reviews had owners get the column (their reviews are the terminal's: no owner).
    const columns = db.prepare("PRAGMA table_info(reviews)").all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === "owner")) db.exec("ALTER TABLE reviews ADD COLUMN owner TEXT");
  }

  create(review: {
    id: string;
    taskId: string;
    model: string;
    document: unknown;
    owner?: string | null;
  }): ReviewRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO reviews (id, created_at, updated_at, status, task_id, model, document, owner) VALUES (?, ?, ?, 'drafting', ?, ?, ?, ?)",
      )
      .run(review.id, now, now, review.taskId, review.model, JSON.stringify(review.document), review.owner ?? null);
    return this.get(review.id) as ReviewRecord;
  }

  get(id: string): ReviewRecord | null {
    const row = this.db.prepare("SELECT * FROM reviews WHERE id = ?").get(id);
    return row ? reviewOf(row) : null;
  }

  /**
   * Reviews newest first, of the given statuses (all when none are given), and of the given owners when
   * `owners` is set (null among them: the terminal's reviews).
   */
  list(options: ReviewQuery = {}): ReviewRecord[] {
    const { where, values } = whereOf(options);
    return this.db
      .prepare(`SELECT * FROM reviews ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(...values, options.limit ?? 100)
      .map(reviewOf);
  }

  /**
   * What a list of reviews shows, without their documents: SQLite reads the title and the number of drafts out
   * of each document, so listing 200 big reviews never brings 200 documents into the server's memory.
   */
  summaries(options: ReviewQuery = {}): ReviewSummary[] {
    const { where, values } = whereOf(options);
    return this.db
      .prepare(
        `SELECT id, created_at, updated_at, status, task_id, model, owner,
           substr(json_extract(document, '$.task.prompt'), 1, ${SUMMARY_TITLE_CHARS}) AS title,
           COALESCE(json_array_length(document, '$.drafts'), 0) AS drafts
         FROM reviews ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(...values, options.limit ?? 100)
      .map((row) => ({ ...fieldsOf(row), title: String(row.title ?? ""), drafts: Number(row.drafts) }));
  }

  /**
   * Moves a review from one of `from` to `to`, with its new document and the event that explains it, or throws
   * BAD_INPUT saying what state it is really in (someone else decided first, or it is already done).
   */
  transition(
    id: string,
    change: {
      from: ReviewStatus[];
      to: ReviewStatus;
      document: unknown;
      /** What happened, for the history; none for a step that only marks work begun (approved -> running). */
      event?: Omit<ReviewEvent, "seq" | "at">;
      /**
       * The review as the decider saw it (its `updatedAt`): if it changed since (a new draft came), the decision
       * is refused rather than applied to something the person never saw.
       */
      seen?: string;
    },
  ): ReviewRecord {
    const now = new Date().toISOString();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const placeholders = change.from.map(() => "?").join(", ");
      const seen = change.seen === undefined ? "" : " AND updated_at = ?";
      const updated = this.db
        .prepare(
          `UPDATE reviews SET status = ?, document = ?, updated_at = ? WHERE id = ? AND status IN (${placeholders})${seen}`,
        )
        .run(
          change.to,
          JSON.stringify(change.document),
          now,
          id,
          ...change.from,
          ...(change.seen === undefined ? [] : [change.seen]),
        );
      if (Number(updated.changes) !== 1) {
        const current = this.get(id);
        if (current && change.from.includes(current.status) && change.seen !== undefined) {
          throw new LitmusError(
            "BAD_INPUT",
            `review ${id} changed since it was shown (updated ${current.updatedAt}): look at it again before deciding`,
          );
        }
        throw new LitmusError(
          current ? "BAD_INPUT" : "NOT_FOUND",
          current
            ? `review ${id} is ${current.status}, not ${change.from.join(" or ")}: it cannot be ${change.event?.kind ?? change.to} now`
            : `no review ${id} (see litmus review list)`,
        );
      }
      if (change.event) this.appendEvent(id, now, change.event);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
    return this.get(id) as ReviewRecord;
  }

  private appendEvent(id: string, at: string, event: Omit<ReviewEvent, "seq" | "at">): void {
    const seq = Number(
      (
        this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM review_events WHERE review_id = ?").get(id) as {
          next: number;
        }
      ).next,
    );
    this.db
      .prepare(
        "INSERT INTO review_events (review_id, seq, at, kind, actor, reason, document) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(id, seq, at, event.kind, event.actor, event.reason, JSON.stringify(event.document));
  }

  events(id: string): ReviewEvent[] {
    return this.db
      .prepare("SELECT * FROM review_events WHERE review_id = ? ORDER BY seq")
      .all(id)
      .map((row) => ({
        seq: Number(row.seq),
        at: String(row.at),
        kind: String(row.kind) as ReviewEvent["kind"],
        actor: String(row.actor),
        reason: row.reason === null ? null : String(row.reason),
        document: JSON.parse(String(row.document)),
      }));
  }
}

function reviewOf(row: Record<string, unknown>): ReviewRecord {
  return { ...fieldsOf(row), document: JSON.parse(String(row.document)) };
}

function fieldsOf(row: Record<string, unknown>): Omit<ReviewRecord, "document"> {
  return {
    id: String(row.id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    status: String(row.status) as ReviewStatus,
    taskId: String(row.task_id),
    model: String(row.model),
    owner: row.owner === null || row.owner === undefined ? null : String(row.owner),
  };
}

/** Which reviews a list wants. */
export interface ReviewQuery {
  statuses?: ReviewStatus[];
  limit?: number;
  /** Only these owners' reviews (null among them: the terminal's). */
  owners?: Array<string | null>;
}

/** A review as a list shows it: its record without the document, the task's first characters, its drafts. */
export interface ReviewSummary extends Omit<ReviewRecord, "document"> {
  /** The task's first 200 characters. */
  title: string;
  drafts: number;
}

const SUMMARY_TITLE_CHARS = 200;

function whereOf(options: ReviewQuery): { where: string; values: string[] } {
  const statuses = options.statuses ?? [];
  const conditions: string[] = [];
  const values: string[] = [...statuses];
  if (statuses.length > 0) conditions.push(`status IN (${statuses.map(() => "?").join(", ")})`);
  if (options.owners) {
    const named = options.owners.filter((owner): owner is string => owner !== null);
    const either = [
      ...(named.length > 0 ? [`owner IN (${named.map(() => "?").join(", ")})`] : []),
      ...(options.owners.includes(null) ? ["owner IS NULL"] : []),
    ];
    conditions.push(either.length > 0 ? `(${either.join(" OR ")})` : "0");
    values.push(...named);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", values };
}
