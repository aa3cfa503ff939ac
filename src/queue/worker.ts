import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { RunStore } from "../store/index.ts";
import { JobRunner } from "./job-runner.ts";
import { JOB_QUEUE, type JobName } from "./jobs.ts";
import { connectRedis } from "./redis.ts";

export interface QueueWorkerOptions {
  url: string;
  /** Jobs run at once (default 1: a local model answers one prompt at a time anyway). */
  concurrency?: number;
  /**
   * How long a job's lock lasts unless its worker renews it (it does, every half of this, while alive). A
   * killed worker's job goes back to the queue within about twice this. Default 30 s.
   */
  lockMs?: number;
  /** Where the runs behind the jobs are recorded (default: the worker's own run store). */
  store?: RunStore;
  onEvent?: (event: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { type: "started"; name: JobName; id: string; attempt: number }
  | { type: "completed"; name: JobName; id: string; durationMs: number }
  | { type: "failed"; name: JobName; id: string; reason: string; attempt: number; final: boolean };

/**
 * A job abandoned by dying workers more than this many times fails for good (BullMQ does not retry it, whatever
 * attempts remain): a task that kills every worker that takes it must not go round forever.
 */
const MAX_STALLED = 2;

/**
 * `litmus worker`: takes jobs from the queue and runs them until closed. Closing lets running jobs finish
 * (their results are delivered); a worker that is killed instead loses its lock, and its job is run again
 * by another worker, so no job is lost. The coordinator records each result once, by the job's id.
 */
export class QueueWorker implements AsyncDisposable {
  private readonly worker: Worker;
  private readonly runner: JobRunner;
  private readonly ownStore: RunStore | null;
  private readonly connection: Redis;

  private constructor(options: QueueWorkerOptions, connection: Redis) {
    const concurrency = options.concurrency ?? 1;
    const lockMs = options.lockMs ?? 30_000;
    this.connection = connection;
    this.ownStore = options.store ? null : RunStore.open();
    this.runner = new JobRunner(options.store ?? (this.ownStore as RunStore), concurrency);
    this.worker = new Worker(
      JOB_QUEUE,
      async (job, _token, signal) => {
        options.onEvent?.({
          type: "started",
          name: job.name as JobName,
          id: job.id as string,
          attempt: job.attemptsMade + 1,
        });
        return this.runner.run(job.name as JobName, job.data, signal);
      },
      {
        connection,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: MAX_STALLED,
        autorun: false,
      },
    );
    this.worker.on("completed", (job) => {
      // BullMQ stamps when the job was taken and when it finished.
      const durationMs = (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now());
      options.onEvent?.({ type: "completed", name: job.name as JobName, id: job.id as string, durationMs });
    });
    this.worker.on("failed", (job, error) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === "UnrecoverableError";
      options.onEvent?.({
        type: "failed",
        name: job.name as JobName,
        id: job.id as string,
        reason: error.message,
        attempt: job.attemptsMade,
        final,
      });
    });
    // Connection trouble is retried by ioredis; it is not a reason to stop the worker.
    this.worker.on("error", () => undefined);
  }

  /** Connects to the queue at `options.url` and starts taking jobs. */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const worker = new QueueWorker(options, await connectRedis(options.url));
    void worker.worker.run();
    await worker.worker.waitUntilReady();
    return worker;
  }

  /** Stops taking jobs, waits for the running ones to finish and deliver, then lets go of everything. */
  async close(): Promise<void> {
    await this.worker.close();
    await this.runner[Symbol.asyncDispose]();
    this.ownStore?.close();
    this.connection.disconnect();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
