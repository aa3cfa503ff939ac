import { type Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { LitmusError, messageOf } from "../errors.ts";
import { DEAD_LETTER_QUEUE, JOB_QUEUE, type JobKinds, type JobName } from "./jobs.ts";
import { connectRedis, displayUrl } from "./redis.ts";

/** Attempts of a job before it is dead-lettered; a worker killed mid-job costs an attempt only past the limit. */
const ATTEMPTS = 3;
/** First retry after this; each next one waits twice as long. */
const BACKOFF_MS = 2000;
/** Finished jobs keep their results this long, so a coordinator that died can collect them when rerun. */
const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;

/** What a queued job that failed every attempt left: kept in the dead-letter queue for a person to look at. */
export interface DeadLetter {
  jobId: string;
  name: JobName;
  failedReason: string;
  attemptsMade: number;
  data: unknown;
}

/**
 * The coordinator's side of the queue (`bench run --queue`, `learn --queue`): puts jobs on it and waits for
 * their results. A job's id names its work, so asking again for the same work (a rerun after a crash) finds
 * the job already there, running or finished, and never queues it twice.
 */
export class JobQueue implements AsyncDisposable {
  readonly url: string;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly dead: Queue;
  private readonly connections: Redis[];

  private constructor(url: string, connections: [Redis, Redis, Redis]) {
    this.url = url;
    this.connections = connections;
    const [queueConnection, eventsConnection, deadConnection] = connections;
    this.queue = new Queue(JOB_QUEUE, { connection: queueConnection });
    this.events = new QueueEvents(JOB_QUEUE, { connection: eventsConnection });
    // One listener per job waited for: hundreds at once is the normal case, not a leak.
    this.events.setMaxListeners(0);
    this.dead = new Queue(DEAD_LETTER_QUEUE, { connection: deadConnection });
  }

  /** Connects to the Redis at `url`; fails at once (QUEUE_UNAVAILABLE) when it cannot be reached. */
  static async open(url: string): Promise<JobQueue> {
    const connections: Redis[] = [];
    try {
      for (let i = 0; i < 3; i++) connections.push(await connectRedis(url));
    } catch (error) {
      for (const connection of connections) connection.disconnect();
      throw error;
    }
    const queue = new JobQueue(url, connections as [Redis, Redis, Redis]);
    await queue.events.waitUntilReady();
    return queue;
  }

  /** Workers listening on the queue now. */
  async workerCount(): Promise<number> {
    return (await this.queue.getWorkers()).length;
  }

  /** Jobs by state, for progress displays. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "completed", "failed");
  }

  /**
   * Runs `data` as job `jobId` on some worker and returns its result. A job that failed every attempt is
   * copied to the dead-letter queue and throws QUEUE_UNAVAILABLE; asking for it again retries it.
   */
  async run<Name extends JobName, Result>(name: Name, jobId: string, data: JobKinds[Name]): Promise<Result> {
    const id = jobId.replaceAll(":", "_");
    let job: Job | undefined = await this.queue.getJob(id);
    if (job && (await job.getState()) === "failed")
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    job ??= await this.queue.add(name, data, {
      jobId: id,
      attempts: ATTEMPTS,
      backoff: { type: "exponential", delay: BACKOFF_MS },
      removeOnComplete: { age: KEEP_FINISHED_SECONDS },
      removeOnFail: { age: KEEP_FINISHED_SECONDS },
    });
    try {
      return (await job.waitUntilFinished(this.events)) as Result;
    } catch (error) {
      // Waiting also ends when the queue closes or Redis goes away: only a job that failed is dead-lettered.
      const failed = await this.failedJob(id);
      if (!failed) {
        throw new LitmusError(
          "QUEUE_UNAVAILABLE",
          `stopped waiting for job ${id} (it is still on the queue; rerun the command to collect it): ${messageOf(error)}`,
          { cause: error },
        );
      }
      const reason = failed.failedReason || messageOf(error);
      const letter: DeadLetter = { jobId: id, name, failedReason: reason, attemptsMade: failed.attemptsMade, data };
      await this.dead.add(name, letter, { jobId: `${id}@${Date.now()}` });
      throw new LitmusError(
        "QUEUE_UNAVAILABLE",
        `job ${id} failed ${failed.attemptsMade} time(s) and was dead-lettered (${DEAD_LETTER_QUEUE} on ${displayUrl(this.url)}): ${reason}`,
      );
    }
  }

  /** Job `id` if it is in the failed state, else undefined (also when Redis cannot say). */
  private async failedJob(id: string): Promise<Job | undefined> {
    try {
      const job = await this.queue.getJob(id);
      return job && (await job.getState()) === "failed" ? job : undefined;
    } catch {
      return undefined;
    }
  }

  /** What the dead-letter queue holds, newest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    const jobs = await this.dead.getJobs(["waiting", "delayed"], 0, -1, false);
    return jobs.map((job) => job.data as DeadLetter);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close(), this.dead.close()]);
    for (const connection of this.connections) connection.disconnect();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
