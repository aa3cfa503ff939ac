import { UnrecoverableError } from "bullmq";
import { Evaluator, loopTaskOf, makeSample, type SampleDocument } from "../bench/index.ts";
import { isLitmusError } from "../errors.ts";
import { playbookBullets } from "../learn/index.ts";
import { type Outcome, solve } from "../loop/index.ts";
import { openModel, ResponseCache, responseCacheDir, type TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import { VERSION } from "../version.ts";
import type { BenchSampleJob, JobKinds, JobModel, JobName, SolveJob } from "./jobs.ts";

/** An evaluator no job has used for this long is disposed, with its sandboxes. */
const EVALUATOR_IDLE_MS = 5 * 60_000;

/**
 * Does the work of queued jobs on a worker: it opens each model and evaluator once and keeps them for the
 * jobs after. Runs are recorded in the worker's own run store; results go back through the queue.
 */
export class JobRunner implements AsyncDisposable {
  private readonly models = new Map<string, Promise<TextModel>>();
  private readonly evaluators = new Map<string, { evaluator: Evaluator; users: number; idle?: NodeJS.Timeout }>();
  private readonly cache = new ResponseCache(responseCacheDir());
  private readonly store: RunStore;
  /**
   * Jobs the worker takes at once: the sandboxes each evaluator scores in at once, and the sequences of a local
   * model's context (more would only hold memory; as many decode together).
   */
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
    const evaluator = this.useEvaluator(job);
    try {
      const { document } = await makeSample(job.task, job.sample, job.settings, {
        model: await this.model(job.model),
        evaluator: evaluator.evaluator,
        store: this.store,
        modelTimeoutMs: job.model.timeoutMs,
        ...(job.cache ? { cache: this.cache } : {}),
        ...(signal ? { signal } : {}),
        ...(job.bullets
          ? { bullets: playbookBullets(job.bullets.playbook, loopTaskOf(job.task), job.bullets.options) }
          : {}),
      });
      return document;
    } finally {
      evaluator.done();
    }
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

  /** The job's model, opened once per worker, priced as the coordinator prices it. */
  private async model(model: JobModel): Promise<TextModel> {
    return { ...(await this.opened(model)), price: model.price };
  }

  private opened(model: JobModel): Promise<TextModel> {
    const key = `${model.spec}@${model.baseUrl ?? ""}`;
    let opening = this.models.get(key);
    if (!opening) {
      opening = openModel(model.spec, {
        download: true,
        local: { sequences: this.lanes },
        ...(model.baseUrl ? { baseUrl: model.baseUrl } : {}),
      });
      // A model that failed to open is tried again by the job's next attempt, not remembered as failed.
      opening.catch(() => this.models.delete(key));
      this.models.set(key, opening);
    }
    return opening;
  }

  /**
   * The evaluator (and its sandboxes) for the job's dataset and scoring, shared by the jobs that use it. One
   * unused for a while is disposed: a long-lived worker serving runs of many datasets keeps no sandboxes idle.
   */
  private useEvaluator(job: BenchSampleJob): { evaluator: Evaluator; done(): void } {
    const key = JSON.stringify([job.dataset, job.scoring]);
    let entry = this.evaluators.get(key);
    if (!entry) {
      entry = { evaluator: new Evaluator({ dataset: job.dataset, workers: this.lanes, ...job.scoring }), users: 0 };
      this.evaluators.set(key, entry);
    }
    const used = entry;
    clearTimeout(used.idle);
    used.users += 1;
    return {
      evaluator: used.evaluator,
      done: () => {
        used.users -= 1;
        if (used.users > 0) return;
        used.idle = setTimeout(() => {
          this.evaluators.delete(key);
          void used.evaluator[Symbol.asyncDispose]();
        }, EVALUATOR_IDLE_MS);
        used.idle.unref();
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const entries = [...this.evaluators.values()];
    this.evaluators.clear();
    for (const entry of entries) clearTimeout(entry.idle);
    await Promise.allSettled(entries.map((entry) => entry.evaluator[Symbol.asyncDispose]()));
  }
}
