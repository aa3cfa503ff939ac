import type { BenchTask, SampleSettings, ScoringOptions } from "../bench/index.ts";
import { type BulletSelection, type RunSettings, SELECTION_REVISION } from "../learn/index.ts";
import type { Task } from "../loop/index.ts";
import type { ModelPrice } from "../models/index.ts";
import { VERSION } from "../version.ts";

/**
 * The BullMQ queue litmus's jobs go through: one per litmus version and bullet-selection rule, so a worker of
 * another version never takes (and fails) a job it may not understand, during an upgrade say, and a worker
 * never shows a run's tasks bullets chosen by another rule than the coordinator's run key says (workers choose
 * them themselves). Jobs that failed every attempt are kept in the dead-letter queue.
 */
export const JOB_QUEUE = `litmus-jobs-${VERSION}-select-${SELECTION_REVISION}`;
export const DEAD_LETTER_QUEUE = "litmus-dead";

/** The model a job runs, as the coordinator opened it; the worker opens it with its own keys. */
export interface JobModel {
  spec: string;
  baseUrl?: string;
  /** Per model call, retries included. */
  timeoutMs: number;
  /** The coordinator's price of the model (its `--prices` included), so costs are counted the same everywhere. */
  price: ModelPrice | null;
}

interface JobBase {
  /** The coordinator's litmus version: a worker of another version refuses the job rather than guess. */
  litmusVersion: string;
  model: JobModel;
  /** Reuse the worker's cached model answers. */
  cache: boolean;
  bullets: BulletSelection | null;
}

/** A sample of `bench run --queue`: generated, repaired on the visible tests and scored on the hidden ones. */
export interface BenchSampleJob extends JobBase {
  dataset: { name: string; sha256: string };
  task: BenchTask;
  sample: number;
  settings: SampleSettings;
  scoring: Pick<ScoringOptions, "timeLimits" | "memoryBytes">;
}

/** A run of the repair loop (`learn --queue`: a step's run, or an admission re-run). */
export interface SolveJob extends JobBase {
  task: Task;
  options: RunSettings;
}

export interface JobKinds {
  "bench-sample": BenchSampleJob;
  solve: SolveJob;
}

export type JobName = keyof JobKinds;
