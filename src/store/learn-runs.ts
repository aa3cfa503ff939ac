import type { DatabaseSync } from "node:sqlite";

/** A learning run: its settings, its playbook, its state. */
export interface LearnRunRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** What makes two invocations the same run: a rerun resumes it. */
  key: string;
  playbookPath: string;
  playbookId: string;
  status: "running" | "finished";
  config: unknown;
  summary: unknown;
}

/** One finished step (a task in an epoch) of a learning run. */
export interface LearnStepRecord {
  step: string;
  ordinal: number;
  taskId: string;
  solved: boolean;
  playbookVersion: number;
  activeBullets: number;
  document: unknown;
}

export const LEARN_SCHEMA = `
CREATE TABLE IF NOT EXISTS learn_runs (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  key TEXT NOT NULL,
  playbook_path TEXT NOT NULL,
  playbook_id TEXT NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS learn_runs_by_key ON learn_runs(key, created_at);
CREATE TABLE IF NOT EXISTS learn_steps (
  run_id TEXT NOT NULL REFERENCES learn_runs(id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  task_id TEXT NOT NULL,
  solved INTEGER NOT NULL,
  playbook_version INTEGER NOT NULL,
  active_bullets INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS playbook_deltas (
  playbook_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  delta TEXT NOT NULL,
  PRIMARY KEY (playbook_id, version)
);
CREATE TABLE IF NOT EXISTS replay_tasks (
  playbook_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  added_at TEXT NOT NULL,
  task TEXT NOT NULL,
  PRIMARY KEY (playbook_id, task_id)
);
`;

/**
 * Learning in the run store: learning runs and their steps (committed one by one, so a killed run resumes),
 * every delta applied to a playbook (its history, across runs), and the tasks each playbook solved (the
 * replay set admission re-runs).
 */
export class LearnRuns {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  latest(key: string): LearnRunRecord | null {
    const row = this.db
      .prepare("SELECT * FROM learn_runs WHERE key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(key);
    return row ? runOf(row) : null;
  }

  create(run: { id: string; key: string; playbookPath: string; playbookId: string; config: unknown }): LearnRunRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO learn_runs (id, created_at, updated_at, key, playbook_path, playbook_id, status, config) VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
      )
      .run(run.id, now, now, run.key, run.playbookPath, run.playbookId, JSON.stringify(run.config));
    return this.get(run.id) as LearnRunRecord;
  }

  get(id: string): LearnRunRecord | null {
    const row = this.db.prepare("SELECT * FROM learn_runs WHERE id = ?").get(id);
    return row ? runOf(row) : null;
  }

  /** The latest runs, newest first. */
  list(options: { limit?: number } = {}): LearnRunRecord[] {
    return this.db
      .prepare("SELECT * FROM learn_runs ORDER BY created_at DESC, rowid DESC LIMIT ?")
      .all(options.limit ?? 20)
      .map(runOf);
  }

  saveStep(runId: string, step: LearnStepRecord): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO learn_steps (run_id, step, ordinal, task_id, solved, playbook_version, active_bullets, created_at, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        runId,
        step.step,
        step.ordinal,
        step.taskId,
        Number(step.solved),
        step.playbookVersion,
        step.activeBullets,
        now,
        JSON.stringify(step.document),
      );
    this.db.prepare("UPDATE learn_runs SET updated_at = ? WHERE id = ?").run(now, runId);
  }

  steps(runId: string): LearnStepRecord[] {
    return this.db
      .prepare("SELECT * FROM learn_steps WHERE run_id = ? ORDER BY ordinal")
      .all(runId)
      .map((row) => ({
        step: String(row.step),
        ordinal: Number(row.ordinal),
        taskId: String(row.task_id),
        solved: row.solved === 1,
        playbookVersion: Number(row.playbook_version),
        activeBullets: Number(row.active_bullets),
        document: JSON.parse(String(row.document)),
      }));
  }

  finish(runId: string, summary: unknown): void {
    this.db
      .prepare("UPDATE learn_runs SET status = 'finished', summary = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(summary), new Date().toISOString(), runId);
  }

  /** Mirrors applied deltas (a playbook's log entries); an entry already recorded is left alone. */
  recordDeltas(
    playbookId: string,
    entries: readonly { version: number; at: string; source: unknown; delta: unknown }[],
  ): void {
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO playbook_deltas (playbook_id, version, at, source, delta) VALUES (?, ?, ?, ?, ?)",
    );
    this.db.exec("BEGIN");
    try {
      for (const entry of entries)
        insert.run(playbookId, entry.version, entry.at, JSON.stringify(entry.source), JSON.stringify(entry.delta));
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Deltas recorded for a playbook, oldest first. */
  deltas(playbookId: string): { version: number; at: string; source: unknown; delta: unknown }[] {
    return this.db
      .prepare("SELECT version, at, source, delta FROM playbook_deltas WHERE playbook_id = ? ORDER BY version")
      .all(playbookId)
      .map((row) => ({
        version: Number(row.version),
        at: String(row.at),
        source: JSON.parse(String(row.source)),
        delta: JSON.parse(String(row.delta)),
      }));
  }

  /** Remembers a task a playbook's model solved, for admission's replay set. */
  addReplayTask(playbookId: string, taskId: string, task: unknown): void {
    this.db
      .prepare("INSERT OR REPLACE INTO replay_tasks (playbook_id, task_id, added_at, task) VALUES (?, ?, ?, ?)")
      .run(playbookId, taskId, new Date().toISOString(), JSON.stringify(task));
  }

  /** The most recently solved tasks of a playbook, newest first. */
  replayTasks(playbookId: string, limit: number): { taskId: string; task: unknown }[] {
    return this.db
      .prepare(
        "SELECT task_id, task FROM replay_tasks WHERE playbook_id = ? ORDER BY added_at DESC, rowid DESC LIMIT ?",
      )
      .all(playbookId, limit)
      .map((row) => ({ taskId: String(row.task_id), task: JSON.parse(String(row.task)) }));
  }
}

function runOf(row: Record<string, unknown>): LearnRunRecord {
  return {
    id: String(row.id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    key: String(row.key),
    playbookPath: String(row.playbook_path),
    playbookId: String(row.playbook_id),
    status: row.status === "finished" ? "finished" : "running",
    config: JSON.parse(String(row.config)),
    summary: row.summary === null ? null : JSON.parse(String(row.summary)),
  };
}
