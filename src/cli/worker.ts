import type { Command } from "commander";
import { disposeLocalModels } from "../models/index.ts";
import { parseDuration } from "../sandbox/index.ts";
import { positiveInteger } from "./options.ts";

interface WorkerCommandOptions {
  queue: string;
  concurrency: number;
  lock: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("Take jobs of bench run --queue and learn --queue from a Redis queue and run them, until stopped")
    .requiredOption("--queue <url>", "the Redis the coordinators queue jobs on: redis://HOST:PORT[/DB]")
    .option("--concurrency <n>", "jobs at once (a local model answers one prompt at a time)", positiveInteger, 1)
    .option(
      "--lock <duration>",
      "how long a job stays claimed without a sign of life; a killed worker's job is rerun after about twice this",
      "30s",
    )
    .action(async (options: WorkerCommandOptions) => {
      const { QueueWorker, displayUrl, parseQueueUrl } = await import("../queue/index.ts");
      const url = parseQueueUrl(options.queue);
      const lockMs = parseDuration(options.lock);
      const log = (line: string) => process.stderr.write(`litmus worker: ${line}\n`);
      const worker = await QueueWorker.start({
        url,
        concurrency: options.concurrency,
        lockMs,
        onEvent: (event) => {
          if (event.type === "started") log(`started ${event.name} ${event.id} (attempt ${event.attempt})`);
          else if (event.type === "completed")
            log(`completed ${event.name} ${event.id} in ${(event.durationMs / 1000).toFixed(1)} s`);
          else
            log(
              `failed ${event.name} ${event.id} (attempt ${event.attempt}${event.final ? ", no more" : ", will retry"}): ${event.reason}`,
            );
        },
      });
      log(`taking jobs from ${displayUrl(url)}, ${options.concurrency} at a time; stop with Ctrl-C`);
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      // A second signal while running jobs finish is an order to stop now.
      const forced = () => process.exit(130);
      process.once("SIGTERM", forced);
      process.once("SIGINT", forced);
      log("stopping: the running jobs finish first (signal again to stop at once)");
      await worker.close();
      await disposeLocalModels();
      log("stopped");
    });
}
