export { type DeadLetter, JobQueue } from "./job-queue.ts";
export { DEAD_LETTER_QUEUE, JOB_QUEUE, type JobModel } from "./jobs.ts";
export { displayUrl, parseQueueUrl } from "./redis.ts";
export { remoteSampler, remoteSolver } from "./remote.ts";
export { QueueWorker, type QueueWorkerEvent, type QueueWorkerOptions } from "./worker.ts";
