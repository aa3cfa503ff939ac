import type { DatabaseSync } from "node:sqlite";
import { LitmusError } from "../errors.ts";

/** A benchmark run: its settings, its state, and its summary once finished. */
export interface BenchRunRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** What makes two invocations the same run (dataset, tasks, model, settings): a rerun resumes it. */
  key: string;
  dataset: string;
  model: string;
  status: "running" | "finished";
  config: unknown;
  summary: unknown;
}

/** One finished sample of a benchmark run: the document is whatever the benchmark records about it. */
export interface BenchSampleRecord {
  taskId: string;
  sample: number;
  passed: boolean;
  document: unknown;
}

export const BENCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS bench_runs (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  key TEXT NOT NULL,
  dataset TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS bench_runs_by_key ON bench_runs(key, created_at);
CREATE TABLE IF NOT EXISTS bench_samples (
  run_id TEXT NOT NULL REFERENCES bench_runs(id) ON DELETE CASCADE,
  task_id TEXT NOT NULL,
  sample INTEGER NOT NULL,
  passed INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (run_id, task_id, sample)
);
`;

/**
 * Benchmark runs in the run store. Every sample is committed the moment it is scored, so a run killed midway
 * keeps all it finished, and rerunning the same command continues from there.
 */
export class BenchRuns {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** The latest run made with `key`, or null. */
  latest(key: string): BenchRunRecord | null {
    const row = this.db
      .prepare("SELECT * FROM bench_runs WHERE key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(key);
    return row ? runOf(row) : null;
  }

  create(run: { id: string; key: string; dataset: string; model: string; config: unknown }): BenchRunRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO bench_runs (id, created_at, updated_at, key, dataset, model, status, config) VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
      )
      .run(run.id, now, now, run.key, run.dataset, run.model, JSON.stringify(run.config));
    return this.get(run.id) as BenchRunRecord;
  }

  /** Records a finished sample; a sample recorded twice is an error (a run never redoes finished work). */
  saveSample(runId: string, sample: BenchSampleRecord): void {
    const now = new Date().toISOString();
    this.db.exec("BEGIN");
    try {
      this.db
        .prepare(
          "INSERT INTO bench_samples (run_id, task_id, sample, passed, created_at, document) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(runId, sample.taskId, sample.sample, Number(sample.passed), now, JSON.stringify(sample.document));
      this.db.prepare("UPDATE bench_runs SET updated_at = ? WHERE id = ?").run(now, runId);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Replaces a recorded sample's verdict and document (its scorer changed: see runModelBenchmark). */
  rescoreSample(runId: string, sample: BenchSampleRecord): void {
    const updated = this.db
      .prepare("UPDATE bench_samples SET passed = ?, document = ? WHERE run_id = ? AND task_id = ? AND sample = ?")
      .run(Number(sample.passed), JSON.stringify(sample.document), runId, sample.taskId, sample.sample);
    if (updated.changes !== 1) {
      throw new LitmusError("INTERNAL", `no sample ${sample.taskId}#${sample.sample} in run ${runId} to re-score`);
    }
  }

  /** The samples of a run, read one at a time (a run may have many). */
  *samples(runId: string): Generator<BenchSampleRecord> {
    const rows = this.db
      .prepare("SELECT task_id, sample, passed, document FROM bench_samples WHERE run_id = ? ORDER BY rowid")
      .iterate(runId);
    for (const row of rows) {
      yield {
        taskId: String(row.task_id),
        sample: Number(row.sample),
        passed: row.passed === 1,
        document: JSON.parse(String(row.document)),
      };
    }
  }

  /** "taskId#sample" of every finished sample of a run. */
  finishedKeys(runId: string): Set<string> {
    const rows = this.db.prepare("SELECT task_id, sample FROM bench_samples WHERE run_id = ?").all(runId);
    return new Set(rows.map((row) => `${String(row.task_id)}#${Number(row.sample)}`));
  }

  finish(runId: string, summary: unknown): void {
    this.db
      .prepare("UPDATE bench_runs SET status = 'finished', summary = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(summary), new Date().toISOString(), runId);
  }

  /** A run by id or a unique prefix of it, or null. */
  get(id: string): BenchRunRecord | null {
    const rows = this.db
      .prepare("SELECT * FROM bench_runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id = ? DESC LIMIT 2")
      .all(id, `${id.replace(/[\\%_]/g, "\\$&")}%`, id);
    const [row, other] = rows;
    if (!row || (other && row.id !== id)) return null;
    return runOf(row);
  }

  /** The latest runs, newest first. */
  list(options: { limit?: number } = {}): BenchRunRecord[] {
    return this.db
      .prepare("SELECT * FROM bench_runs ORDER BY created_at DESC, rowid DESC LIMIT ?")
      .all(options.limit ?? 20)
      .map(runOf);
  }
}

function runOf(row: Record<string, unknown>): BenchRunRecord {
  return {
    id: String(row.id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    key: String(row.key),
    dataset: String(row.dataset),
    model: String(row.model),
    status: row.status === "finished" ? "finished" : "running",
    config: JSON.parse(String(row.config)),
    summary: row.summary === null ? null : JSON.parse(String(row.summary)),
  };
}
