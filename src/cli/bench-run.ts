import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { type BenchTask, type EvalSummary, loopTaskOf, runModelBenchmark } from "../bench/index.ts";
import { LitmusError } from "../errors.ts";
import type { Outcome } from "../loop/index.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { RunStore } from "../store/index.ts";
import { renderSummary } from "./bench-summary.ts";
import {
  addDatasetOptions,
  addScoringOptions,
  type DatasetCommandOptions,
  openCommandDataset,
  type ScoringCommandOptions,
  scoringOf,
} from "./dataset-options.ts";
import { JsonLinesFile } from "./json-lines.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { positiveInteger, temperature, writeJson } from "./options.ts";
import {
  addPlaybookOptions,
  checkPlaybookOptions,
  openCommandPlaybook,
  type PlaybookCommandOptions,
} from "./playbook-options.ts";
import { PhaseBars } from "./progress-bar.ts";
import { jobModelOf, loadQueueModule, openQueue } from "./queue-options.ts";

interface RunCommandOptions
  extends DatasetCommandOptions,
    ScoringCommandOptions,
    ModelCommandOptions,
    PlaybookCommandOptions {
  samples: number;
  maxAttempts: number;
  temperature?: number;
  seed: number;
  maxTokens: number;
  cache: boolean;
  fresh?: boolean;
  out?: string;
  json?: boolean;
  queue?: string;
}

export function registerBenchRunCommand(bench: Command): void {
  const command = bench
    .command("run")
    .description(
      "Run a model on a dataset: generate (and repair on the visible tests), score on the hidden tests; resumable",
    );
  addPlaybookOptions(addScoringOptions(addModelOptions(addDatasetOptions(command))))
    .option("--samples <n>", "samples per task (pass@k needs k)", positiveInteger, 1)
    .option("--max-attempts <n>", "attempts of the repair loop per sample, on the visible tests", positiveInteger, 1)
    .option("--temperature <t>", "sampling temperature (default 0, or 0.8 with --samples > 1)", temperature)
    .option("--seed <n>", "sampling seed", positiveInteger, 1)
    .option("--max-tokens <n>", "output tokens per generation", positiveInteger, 512)
    .option("--no-cache", "do not reuse model answers from the response cache")
    .option("--fresh", "start a new run even if one with the same settings exists (default: continue it)")
    .option("--out <dir>", "also write summary.json and samples.jsonl there")
    .option("--json", "print the summary as one JSON document on stdout")
    .option("--queue <url>", "have litmus workers make the samples, through the Redis at URL (see litmus worker)")
    .action(async (options: RunCommandOptions) => {
      await runCommand(options);
    });
}

async function runCommand(options: RunCommandOptions): Promise<void> {
  checkPlaybookOptions(options);
  if (options.queue && options.learn) {
    throw new LitmusError(
      "BAD_INPUT",
      "--learn learns after each sample here, so it cannot be used with --queue; to learn with workers use litmus learn --queue",
    );
  }
  const scoring = await scoringOf(options, "bench run");
  const { dataset, tasks } = await openCommandDataset(options);
  const { model, modelTimeoutMs } = await openCommandModel(options);
  using store = RunStore.open();
  const cache = options.cache ? new ResponseCache(responseCacheDir()) : undefined;
  const playbook = await openCommandPlaybook(options, {
    model,
    store,
    sourceKind: "bench",
    solve: {
      maxAttempts: options.maxAttempts,
      seed: options.seed,
      maxOutputTokens: options.maxTokens,
      modelTimeoutMs,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(cache ? { cache } : {}),
    },
  });
  using bars = new PhaseBars();
  await using queue = options.queue ? await openQueue(options.queue, "bench") : null;
  const { remoteSampler } = queue ? await loadQueueModule() : { remoteSampler: null };
  try {
    const { run, summary } = await runModelBenchmark({
      dataset,
      tasks,
      model,
      store,
      modelTimeoutMs,
      samplesPerTask: options.samples,
      maxAttempts: options.maxAttempts,
      seed: options.seed,
      maxOutputTokens: options.maxTokens,
      ...scoring,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(cache ? { cache } : {}),
      ...(options.fresh ? { fresh: true } : {}),
      ...(queue && remoteSampler
        ? {
            remote: remoteSampler(queue, {
              dataset: { name: dataset.name, sha256: dataset.sha256 },
              model: jobModelOf(options, model, modelTimeoutMs),
              cache: options.cache,
              scoring: { timeLimits: scoring.timeLimits, memoryBytes: scoring.memoryBytes },
              ...(playbook ? { bullets: () => playbook.selection() } : {}),
            }),
          }
        : {}),
      ...(playbook
        ? {
            bullets: { identity: playbook.identity, sourceFor: (task) => playbook.bulletsFor(loopTaskOf(task)) },
            ...(playbook.learning
              ? {
                  afterSample: async (task: BenchTask, outcome: Outcome, sample: { runId: string; key: string }) => {
                    await playbook.afterRun(loopTaskOf(task), outcome, `bench/${sample.runId}/${sample.key}`);
                  },
                }
              : {}),
          }
        : {}),
      onProgress: (event) => {
        if (event.type === "rescore") {
          process.stderr.write(
            `litmus bench: scoring again the ${event.total} samples of run ${event.runId.slice(0, 8)} an older scorer judged\n`,
          );
        } else if (event.type === "start") {
          const how = event.finished === event.total ? "already finished" : event.resumed ? "resuming" : "starting";
          process.stderr.write(
            `litmus bench: ${how} run ${event.runId.slice(0, 8)}: ${event.finished}/${event.total} samples done (${model.spec} on ${dataset.name})\n`,
          );
          if (event.finished < event.total) bars.show("run", event.total).resume(event.finished, "");
        } else {
          bars.shown?.update(
            event.done,
            `${event.taskId} #${event.sample}: ${event.verdict.passed ? "passed" : event.verdict.kind}`,
          );
        }
      },
    });
    bars.stop();
    const files = options.out ? await writeOut(options.out, store, run.id, summary) : undefined;
    if (options.json) writeJson({ ...summary, ...(files ? { files } : {}) });
    else process.stdout.write(renderSummary(summary, false, files));
  } finally {
    await disposeLocalModels();
  }
}

/** summary.json and samples.jsonl (one line per sample: its code, verdict and attempts) in `directory`. */
async function writeOut(
  directory: string,
  store: RunStore,
  runId: string,
  summary: EvalSummary,
): Promise<Record<string, string>> {
  await mkdir(directory, { recursive: true });
  const files = { summary: join(directory, "summary.json"), samples: join(directory, "samples.jsonl") };
  await writeFile(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  const samples = await JsonLinesFile.open(files.samples);
  for (const record of store.bench.samples(runId)) await samples.write(record.document);
  await samples.close();
  return files;
}
