import { randomUUID } from "node:crypto";
import type { BenchTask, RemoteSampler, SampleDocument } from "../bench/index.ts";
import type { BulletSelection, Solver } from "../learn/index.ts";
import type { Outcome } from "../loop/index.ts";
import { VERSION } from "../version.ts";
import type { JobQueue } from "./job-queue.ts";
import type { BenchSampleJob, JobModel } from "./jobs.ts";

/** Samples asked for at once by default: enough to keep many workers busy, few enough to watch. */
const DEFAULT_IN_FLIGHT = 256;

/** `bench run --queue`: every sample becomes a job, named by its run, task and index. */
export function remoteSampler(
  queue: JobQueue,
  context: {
    dataset: BenchSampleJob["dataset"];
    model: JobModel;
    cache: boolean;
    scoring: BenchSampleJob["scoring"];
    /** The playbook bullets a task's sample chooses from, when the run shows a playbook. */
    bullets?: (task: BenchTask) => BulletSelection;
    inFlight?: number;
  },
): RemoteSampler {
  return {
    inFlight: context.inFlight ?? DEFAULT_IN_FLIGHT,
    sample: ({ runId, task, sample, settings }) =>
      queue.run<"bench-sample", SampleDocument>("bench-sample", `bench.${runId}.${task.id}#${sample}`, {
        litmusVersion: VERSION,
        model: context.model,
        cache: context.cache,
        bullets: context.bullets?.(task) ?? null,
        dataset: context.dataset,
        task,
        sample,
        settings,
        scoring: context.scoring,
      }),
  };
}

/** `learn --queue`: every run of the repair loop (a step's, or an admission re-run) becomes a job. */
export function remoteSolver(queue: JobQueue, context: { model: JobModel; cache: boolean }): Solver {
  return (task, bullets, settings) =>
    queue.run<"solve", Outcome>("solve", `solve.${randomUUID()}`, {
      litmusVersion: VERSION,
      model: context.model,
      cache: context.cache,
      bullets,
      task,
      options: settings,
    });
}
