import type { TextModel } from "../models/index.ts";
import type { JobModel, JobQueue } from "../queue/index.ts";
import type { ModelCommandOptions } from "./model-options.ts";

/**
 * The queue module. It brings BullMQ and ioredis, so only commands given a queue load it; and it is imported
 * here, outside the commands' functions, because tsc does not rewrite a `.ts` import in a function whose
 * `await using` it lowers (scripts/build.ts checks).
 */
export function loadQueueModule(): Promise<typeof import("../queue/index.ts")> {
  return import("../queue/index.ts");
}

/** Connects to the queue `url` for `command`, and says on stderr how many workers are there to take jobs. */
export async function openQueue(url: string, command: string): Promise<JobQueue> {
  const { JobQueue, displayUrl, parseQueueUrl } = await loadQueueModule();
  const queue = await JobQueue.open(parseQueueUrl(url));
  const workers = await queue.workerCount();
  process.stderr.write(
    `litmus ${command}: queueing on ${displayUrl(url)}; ${workers} worker${workers === 1 ? "" : "s"} connected${workers === 0 ? ` (start one with: litmus worker --queue ${displayUrl(url)})` : ""}\n`,
  );
  return queue;
}

/** The model a command opened, as a queued job names it for the worker to open. */
export function jobModelOf(options: ModelCommandOptions, model: TextModel, timeoutMs: number): JobModel {
  return {
    spec: model.spec,
    timeoutMs,
    price: model.price,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  };
}
