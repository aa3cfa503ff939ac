import type { Command } from "commander";
import { type LearnSummary, runLearning } from "../learn/index.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { RunStore } from "../store/index.ts";
import { addDatasetOptions, type DatasetCommandOptions, openCommandDataset } from "./dataset-options.ts";
import { registerLearnEvalCommand } from "./learn-eval.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { positiveInteger, temperature, writeJson } from "./options.ts";
import {
  addLearningOptions,
  describeLearnStep,
  type LearningCommandOptions,
  openLearningSettings,
} from "./playbook-options.ts";
import { PhaseBars } from "./progress-bar.ts";
import { jobModelOf, loadQueueModule, openQueue } from "./queue-options.ts";

interface LearnCommandOptions extends DatasetCommandOptions, ModelCommandOptions, LearningCommandOptions {
  playbook: string;
  epochs: number;
  maxAttempts: number;
  seed: number;
  temperature?: number;
  maxTokens: number;
  cache: boolean;
  fresh?: boolean;
  json?: boolean;
  queue?: string;
  ahead?: number;
}

export function registerLearnCommand(program: Command): void {
  const learn = program
    .command("learn")
    .description("Learn a playbook from a dataset's training tasks (visible tests only); resumable")
    .enablePositionalOptions();
  const run = learn.command("run", { isDefault: true }).description("Learn offline (the default: litmus learn ...)");
  addLearningOptions(addModelOptions(addDatasetOptions(run)))
    .requiredOption("--playbook <file>", "the playbook to learn into (created when missing)")
    .option("--epochs <n>", "passes over the tasks, each in its own seeded order", positiveInteger, 1)
    .option("--max-attempts <n>", "attempts of the repair loop per task", positiveInteger, 2)
    .option("--seed <n>", "seeds the task order and sampling", positiveInteger, 1)
    .option("--temperature <t>", "sampling temperature of first attempts (default 0)", temperature)
    .option("--max-tokens <n>", "output tokens per generation", positiveInteger, 512)
    .option("--no-cache", "do not reuse model answers from the response cache")
    .option("--fresh", "start a new run even if one with the same settings exists (default: continue it)")
    .option("--json", "print the summary as one JSON document on stdout")
    .option("--queue <url>", "have litmus workers make the runs, through the Redis at URL; learning stays here")
    .option(
      "--ahead <n>",
      "steps whose runs start before the one being learned from (default 1, or 4 with --queue)",
      positiveInteger,
    )
    .action(async (options: LearnCommandOptions) => {
      await learnCommand(options);
    });
  registerLearnEvalCommand(learn);
}

async function learnCommand(options: LearnCommandOptions): Promise<void> {
  const { dataset, tasks } = await openCommandDataset(options);
  const { model, modelTimeoutMs } = await openCommandModel(options);
  const learning = await openLearningSettings(options);
  using store = RunStore.open();
  using bars = new PhaseBars();
  await using queue = options.queue ? await openQueue(options.queue, "learn") : null;
  const { remoteSolver } = queue ? await loadQueueModule() : { remoteSolver: null };
  try {
    const { summary } = await runLearning({
      dataset,
      tasks,
      model,
      store,
      playbookPath: options.playbook,
      epochs: options.epochs,
      maxAttempts: options.maxAttempts,
      seed: options.seed,
      maxOutputTokens: options.maxTokens,
      modelTimeoutMs,
      ...learning,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {}),
      ...(options.fresh ? { fresh: true } : {}),
      ...(queue && remoteSolver
        ? {
            solver: remoteSolver(queue, {
              model: jobModelOf(options, model, modelTimeoutMs),
              cache: options.cache,
            }),
          }
        : {}),
      ahead: options.ahead ?? (queue ? 4 : 1),
      onProgress: (event) => {
        if (event.type === "start") {
          const how = event.finished === event.total ? "already finished" : event.resumed ? "resuming" : "starting";
          process.stderr.write(
            `litmus learn: ${how} run ${event.runId.slice(0, 8)}: ${event.finished}/${event.total} steps done (${model.spec} on ${dataset.name}, playbook ${options.playbook})\n`,
          );
          if (event.finished < event.total) bars.show("learn", event.total).resume(event.finished, "");
        } else if (event.type === "step") {
          const { step } = event;
          bars.shown?.update(
            event.done,
            `${step.taskId}: ${step.solved ? "solved" : "failed"}; ${describeLearnStep(step)}; ${step.activeBullets} active`,
          );
        }
      },
    });
    bars.stop();
    if (options.json) writeJson(summary);
    else process.stdout.write(renderLearnSummary(summary));
  } finally {
    await disposeLocalModels();
  }
}

function renderLearnSummary(summary: LearnSummary): string {
  const lines = [
    `learned into ${summary.playbook} from ${summary.tasks} ${summary.dataset} tasks with ${summary.model}${summary.reflectorModel ? ` (reflector ${summary.reflectorModel})` : ""}`,
    ...summary.epochs.map(
      (epoch) => `  epoch ${epoch.epoch}: ${epoch.solved}/${epoch.tasks} training tasks passed their visible tests`,
    ),
    `  playbook: ${summary.bullets.active} active, ${summary.bullets.candidate} candidate, ${summary.bullets.retired} retired bullets; ${summary.trialRuns} admission re-runs`,
    `  ${(summary.durationMs / 1000).toFixed(1)} s; see it with: litmus playbook show ${summary.playbook}`,
  ];
  return `${lines.join("\n")}\n`;
}
