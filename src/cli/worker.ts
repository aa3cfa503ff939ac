import type { Command } from "commander";
import { BENCH_TEMPLATE } from "../bench/index.ts";
import { disposeLocalModels } from "../models/index.ts";
import { parseDuration } from "../sandbox/index.ts";
import { templateOnDemand } from "./builtin-template.ts";
import { positiveInteger, writeJson } from "./options.ts";
import { loadQueueModule } from "./queue-options.ts";
import { untilStopSignal } from "./signals.ts";

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
    .option(
      "--concurrency <n>",
      "jobs at once (a local model gets as many sequences, which decode together)",
      positiveInteger,
      1,
    )
    .option(
      "--lock <duration>",
      "how long a job stays claimed without a sign of life; a killed worker's job is rerun after about twice this",
      "30s",
    )
    .action(async (options: WorkerCommandOptions) => {
      const { QueueWorker, displayUrl, parseQueueUrl } = await loadQueueModule();
      const url = parseQueueUrl(options.queue);
      const lockMs = parseDuration(options.lock);
      const log = (line: string) => process.stderr.write(`litmus worker: ${line}\n`);
      // Benchmark samples are scored in it: built before the first job, not in the middle of one.
      await templateOnDemand(BENCH_TEMPLATE, "worker", "that samples are scored in");
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
      await untilStopSignal();
      log("stopping: the running jobs finish first (signal again to stop at once)");
      await worker.close();
      await disposeLocalModels();
      log("stopped");
    });
}

export function registerQueueCommand(program: Command): void {
  const queue = program.command("queue").description("The Redis queue of litmus worker: what waits, runs, failed");
  queue
    .command("status")
    .description("Jobs by state, the workers connected, and the jobs that failed every attempt (dead letters)")
    .requiredOption("--queue <url>", "the Redis of the queue: redis://HOST:PORT[/DB]")
    .option("--json", "print one JSON document on stdout")
    .action(async (options: { queue: string; json?: boolean }) => {
      const { JobQueue, parseQueueUrl } = await loadQueueModule();
      await using jobs = await JobQueue.open(parseQueueUrl(options.queue));
      const status = { counts: await jobs.counts(), workers: await jobs.workerCount(), dead: await jobs.deadLetters() };
      if (options.json) {
        writeJson(status);
        return;
      }
      const counts = Object.entries(status.counts).map(([state, count]) => `${count} ${state}`);
      const lines = [`${status.workers} worker(s) connected; jobs: ${counts.join(", ")}`];
      lines.push(`${status.dead.length} dead letter(s)${status.dead.length > 0 ? ":" : ""}`);
      for (const letter of status.dead) {
        lines.push(`  ${letter.jobId} (${letter.name}, ${letter.attemptsMade} attempts): ${letter.failedReason}`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
