import { UnrecoverableError } from "bullmq";
import { Evaluator, loopTaskOf, makeSample, type SampleDocument } from "../bench/index.ts";
import { isLitmusError } from "../errors.ts";
import { playbookBullets } from "../learn/index.ts";
import { type Outcome, solve } from "../loop/index.ts";
import { openModel, ResponseCache, responseCacheDir, type TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import { VERSION } from "../version.ts";
import type { BenchSampleJob, JobKinds, JobModel, JobName, SolveJob } from "./jobs.ts";

/**
 * Does the work of queued jobs on a worker: it opens each model and evaluator once and keeps them for the
 * jobs after. Runs are recorded in the worker's own run store; results go back through the queue.
 */
export class JobRunner implements AsyncDisposable {
  private readonly models = new Map<string, Promise<TextModel>>();
  private readonly evaluators = new Map<string, Evaluator>();
  private readonly cache = new ResponseCache(responseCacheDir());
  private readonly store: RunStore;
  /** Sandboxes each evaluator scores in at once: as many as the jobs the worker takes at once. */
  private readonly lanes: number;

  constructor(store: RunStore, lanes: number) {
    this.store = store;
    this.lanes = lanes;
  }

  async run<Name extends JobName>(name: Name, data: JobKinds[Name], signal?: AbortSignal): Promise<unknown> {
    const { litmusVersion } = data as { litmusVersion?: unknown };
    if (litmusVersion !== VERSION) {
      // Another version may shape jobs and results differently: no attempt would go better.
      throw new UnrecoverableError(
        `this worker is litmus ${VERSION} and the job comes from litmus ${String(litmusVersion)}; run workers of the coordinator's version`,
      );
    }
    try {
      if (name === "bench-sample") return await this.benchSample(data as BenchSampleJob, signal);
      if (name === "solve") return await this.solve(data as SolveJob, signal);
    } catch (error) {
      // Bad input stays bad however often it is tried.
      if (isLitmusError(error, "BAD_INPUT")) throw new UnrecoverableError(error.message);
      throw error;
    }
    throw new UnrecoverableError(`unknown job "${name}"; this worker runs: bench-sample, solve`);
  }

  private async benchSample(job: BenchSampleJob, signal: AbortSignal | undefined): Promise<SampleDocument> {
    const { document } = await makeSample(job.task, job.sample, job.settings, {
      model: await this.model(job.model),
      evaluator: this.evaluator(job),
      store: this.store,
      modelTimeoutMs: job.model.timeoutMs,
      ...(job.cache ? { cache: this.cache } : {}),
      ...(signal ? { signal } : {}),
      ...(job.bullets
        ? { bullets: playbookBullets(job.bullets.playbook, loopTaskOf(job.task), job.bullets.options) }
        : {}),
    });
    return document;
  }

  private async solve(job: SolveJob, signal: AbortSignal | undefined): Promise<Outcome> {
    return solve(job.task, {
      ...job.options,
      model: await this.model(job.model),
      store: this.store,
      modelTimeoutMs: job.model.timeoutMs,
      ...(job.cache ? { cache: this.cache } : {}),
      ...(signal ? { signal } : {}),
      ...(job.bullets ? { bullets: playbookBullets(job.bullets.playbook, job.task, job.bullets.options) } : {}),
    });
  }

  private model(model: JobModel): Promise<TextModel> {
    const key = `${model.spec}@${model.baseUrl ?? ""}`;
    let opening = this.models.get(key);
    if (!opening) {
      opening = openModel(model.spec, { download: true, ...(model.baseUrl ? { baseUrl: model.baseUrl } : {}) });
      // A model that failed to open is tried again by the job's next attempt, not remembered as failed.
      opening.catch(() => this.models.delete(key));
      this.models.set(key, opening);
    }
    return opening;
  }

  private evaluator(job: BenchSampleJob): Evaluator {
    const key = JSON.stringify([job.dataset, job.scoring]);
    let evaluator = this.evaluators.get(key);
    if (!evaluator) {
      evaluator = new Evaluator({ dataset: job.dataset, workers: this.lanes, ...job.scoring });
      this.evaluators.set(key, evaluator);
    }
    return evaluator;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled([...this.evaluators.values()].map((evaluator) => evaluator[Symbol.asyncDispose]()));
    this.evaluators.clear();
  }
}
