import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { LitmusError } from "../errors.ts";
import { BENCH_SCHEMA, BenchRuns } from "./bench-runs.ts";
import { LEARN_SCHEMA, LearnRuns } from "./learn-runs.ts";
import { REVIEW_SCHEMA, Reviews } from "./reviews.ts";

/** One run as the list shows it. */
export interface RunSummary {
  id: string;
  createdAt: string;
  kind: string;
  taskId: string;
  model: string;
  success: boolean;
  verified: boolean;
  attempts: number;
  costUsd: number | null;
  durationMs: number;
}

/** A run to record: its summary, the attempts (each a JSON document) and the whole result document. */
export interface RunToSave extends Omit<RunSummary, "createdAt"> {
  attemptDocuments: { n: number; diagnosisKind: string; document: unknown }[];
  document: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  task_id TEXT NOT NULL,
  model TEXT NOT NULL,
  success INTEGER NOT NULL,
  verified INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  cost_usd REAL,
  duration_ms REAL NOT NULL,
  document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  diagnosis_kind TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (run_id, n)
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs(created_at);
`;

/** Where runs are recorded: $LITMUS_DATA_DIR, else $XDG_DATA_HOME/litmus, else ~/.local/share/litmus; `runs.db`. */
export function defaultRunStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.LITMUS_DATA_DIR ?? join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "litmus");
  return join(root, "runs.db");
}

/** The run store: every run and attempt, in SQLite (node:sqlite), for `litmus runs`, reports and learning. */
export class RunStore {
  readonly path: string;
  /** Benchmark runs and their samples. */
  readonly bench: BenchRuns;
  /** Learning runs, playbook histories and replay sets. */
  readonly learn: LearnRuns;
  /** Reviews of generated code before it runs: their state and every decision. */
  readonly reviews: Reviews;
  private readonly db: DatabaseSync;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
    this.bench = new BenchRuns(db);
    this.learn = new LearnRuns(db);
    this.reviews = new Reviews(db);
  }

  /** Opens (creating when needed) the store at `path`. */
  static open(path: string = defaultRunStorePath()): RunStore {
    let db: DatabaseSync;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path);
      // WAL lets `litmus runs list` read while a run writes; the timeout rides out another writer.
      db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;");
      db.exec(SCHEMA);
      db.exec(BENCH_SCHEMA);
      db.exec(LEARN_SCHEMA);
      db.exec(REVIEW_SCHEMA);
    } catch (error) {
      throw new LitmusError(
        "INTERNAL",
        `cannot open the run store ${path}: ${(error as Error).message} (set LITMUS_DATA_DIR to put it elsewhere, or pass --no-store)`,
        { cause: error },
      );
    }
    return new RunStore(path, db);
  }

  /** Records a finished run and its attempts in one transaction: all or nothing. */
  save(run: RunToSave): void {
    const createdAt = new Date().toISOString();
    this.db.exec("BEGIN");
    try {
      this.db
        .prepare(
          "INSERT INTO runs (id, created_at, kind, task_id, model, success, verified, attempts, cost_usd, duration_ms, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          run.id,
          createdAt,
          run.kind,
          run.taskId,
          run.model,
          Number(run.success),
          Number(run.verified),
          run.attempts,
          run.costUsd,
          run.durationMs,
          JSON.stringify(run.document),
        );
      const insertAttempt = this.db.prepare(
        "INSERT INTO attempts (run_id, n, diagnosis_kind, document) VALUES (?, ?, ?, ?)",
      );
      for (const attempt of run.attemptDocuments) {
        insertAttempt.run(run.id, attempt.n, attempt.diagnosisKind, JSON.stringify(attempt.document));
      }
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The latest runs, newest first. */
  list(options: { limit?: number } = {}): RunSummary[] {
    const rows = this.db
      .prepare(
        "SELECT id, created_at, kind, task_id, model, success, verified, attempts, cost_usd, duration_ms FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?",
      )
      .all(options.limit ?? 20);
    return rows.map(summaryOf);
  }

  /** A run's whole document, or `null` when no run has this id (a unique prefix of it is enough). */
  get(id: string): { summary: RunSummary; document: unknown } | null {
    const rows = this.db
      .prepare("SELECT * FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id = ? DESC LIMIT 2")
      .all(id, `${id.replace(/[\\%_]/g, "\\$&")}%`, id);
    const [row, other] = rows;
    if (!row || (other && row.id !== id)) return null;
    return { summary: summaryOf(row), document: JSON.parse(String(row.document)) };
  }

  close(): void {
    this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function summaryOf(row: Record<string, unknown>): RunSummary {
  return {
    id: String(row.id),
    createdAt: String(row.created_at),
    kind: String(row.kind),
    taskId: String(row.task_id),
    model: String(row.model),
    success: row.success === 1,
    verified: row.verified === 1,
    attempts: Number(row.attempts),
    costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    durationMs: Number(row.duration_ms),
  };
}
