import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { type BenchTask, selectTasks } from "../bench/index.ts";
import {
  type LearningMeasurement,
  measureLearning,
  renderLearningHtml,
  seededRandom,
  shuffled,
  type TaskSet,
} from "../learn/index.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { RunStore } from "../store/index.ts";
import {
  addDatasetLocationOptions,
  addScoringOptions,
  type DatasetLocationOptions,
  loadCommandDataset,
  type ScoringCommandOptions,
  scoringOf,
} from "./dataset-options.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { integerList, list, nonNegativeInteger, positiveInteger, writeJson } from "./options.ts";
import { addLearningOptions, type LearningCommandOptions, openLearningSettings } from "./playbook-options.ts";
import { PhaseBars } from "./progress-bar.ts";

interface LearnEvalOptions
  extends ScoringCommandOptions,
    ModelCommandOptions,
    LearningCommandOptions,
    DatasetLocationOptions {
  out: string;
  playbook?: string;
  trainDataset: string;
  trainSplits: string[];
  trainLimit: number;
  evalDataset: string;
  evalSplit: string;
  evalLimit: number;
  transferDataset: string;
  transferLimit: number;
  subsetSeed: number;
  seeds: number[];
  maxAttempts: number;
  epochs: number;
  curveEvery: number;
  curveTasks: number;
  cache: boolean;
  full?: boolean;
  json?: boolean;
}

/** The default subset: about an hour on a 2-core machine with the embedded model (measured; see docs/learning.md). */
const DEFAULTS = { trainLimit: 30, evalLimit: 20, transferLimit: 12, seeds: [1, 2], curveEvery: 10, curveTasks: 10 };

export function registerLearnEvalCommand(learn: Command): void {
  const command = learn
    .command("eval")
    .description(
      "Measure learning: learn on training tasks, then compare held-out pass@1 with no playbook, the learned one, a placebo and plain retries",
    )
    .requiredOption("--out <dir>", "where learning.json, learning.html and the playbook go");
  addLearningOptions(addDatasetLocationOptions(addScoringOptions(addModelOptions(command))))
    .option("--playbook <file>", "the playbook to learn into (default: OUT/playbook.json)")
    .option("--train-dataset <name>", "dataset to learn from", "mbpp")
    .option("--train-splits <list>", "its splits to learn from", list, ["train", "validation"])
    .option("--train-limit <n>", "training tasks (a seeded subset)", positiveInteger, DEFAULTS.trainLimit)
    .option("--eval-dataset <name>", "held-out dataset in the same domain", "mbpp")
    .option("--eval-split <split>", "its split", "test")
    .option("--eval-limit <n>", "held-out tasks (a seeded subset)", positiveInteger, DEFAULTS.evalLimit)
    .option("--transfer-dataset <name>", "held-out dataset of another domain", "humaneval")
    .option(
      "--transfer-limit <n>",
      "its tasks (a seeded subset; 0 skips transfer)",
      nonNegativeInteger,
      DEFAULTS.transferLimit,
    )
    .option("--subset-seed <n>", "seeds the choice of the subsets", positiveInteger, 2026)
    .option("--seeds <list>", "sampling seeds of the held-out runs", integerList, DEFAULTS.seeds)
    .option("--max-attempts <n>", "the attempt budget of every arm (and of learning)", positiveInteger, 2)
    .option("--epochs <n>", "passes over the training tasks", positiveInteger, 1)
    .option(
      "--curve-every <n>",
      "a learning-curve point after every n training steps",
      positiveInteger,
      DEFAULTS.curveEvery,
    )
    .option(
      "--curve-tasks <n>",
      "held-out tasks of each curve point (0: no curve)",
      nonNegativeInteger,
      DEFAULTS.curveTasks,
    )
    .option("--no-cache", "do not reuse model answers from the response cache")
    .option(
      "--full",
      "every task of the splits and seeds 1,2,3 (for bigger machines: days with the embedded model here)",
    )
    .option("--json", "print learning.json on stdout")
    .action(async (options: LearnEvalOptions) => {
      await learnEvalCommand(options);
    });
}

async function learnEvalCommand(options: LearnEvalOptions): Promise<void> {
  const scoring = await scoringOf(options, "learn eval");
  const limit = (value: number) => (options.full ? Number.POSITIVE_INFINITY : value);
  const subset = (tasks: BenchTask[], count: number) =>
    count === Number.POSITIVE_INFINITY ? tasks : shuffled(tasks, seededRandom(options.subsetSeed)).slice(0, count);

  const trainDataset = await loadCommandDataset(options.trainDataset, options);
  const trainTasks = subset(
    options.trainSplits.flatMap((split) => selectTasks(trainDataset.tasks, { split }, trainDataset.name)),
    limit(options.trainLimit),
  );
  const evalDataset = await loadCommandDataset(options.evalDataset, options);
  const evalTasks = subset(
    selectTasks(evalDataset.tasks, { split: options.evalSplit }, evalDataset.name),
    limit(options.evalLimit),
  );
  const heldOut: TaskSet[] = [
    { name: `${evalDataset.name} ${options.evalSplit}`, dataset: evalDataset, tasks: evalTasks },
  ];
  if (options.transferLimit > 0) {
    const transfer = await loadCommandDataset(options.transferDataset, options);
    heldOut.push({
      name: transfer.name,
      dataset: transfer,
      tasks: subset(transfer.tasks, limit(options.transferLimit)),
    });
  }

  const { model, modelTimeoutMs } = await openCommandModel(options);
  const learning = await openLearningSettings(options);
  await mkdir(options.out, { recursive: true });
  using store = RunStore.open();
  using bars = new PhaseBars();
  const totals = new Map<string, number>();
  try {
    const measurement = await measureLearning({
      ...scoring,
      train: {
        name: `${trainDataset.name} ${options.trainSplits.join("+")}`,
        dataset: trainDataset,
        tasks: trainTasks,
      },
      heldOut,
      curve: { every: options.curveEvery, tasks: options.curveTasks },
      model,
      seeds: options.full ? [1, 2, 3] : options.seeds,
      maxAttempts: options.maxAttempts,
      epochs: options.epochs,
      playbookPath: resolve(options.playbook ?? join(options.out, "playbook.json")),
      store,
      modelTimeoutMs,
      ...learning,
      ...(options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {}),
      onProgress: (event) => {
        if (event.type === "phase") {
          totals.set(event.phase, event.total);
          bars.show(event.phase, event.total).update(0, "");
        } else {
          const bar = bars.show(event.phase, totals.get(event.phase) ?? 0);
          if (event.resumed) bar.resume(event.done, event.detail);
          else bar.update(event.done, event.detail);
        }
      },
    });
    bars.stop();
    const files = { json: join(options.out, "learning.json"), html: join(options.out, "learning.html") };
    await writeFile(files.json, `${JSON.stringify(measurement, null, 2)}\n`);
    await writeFile(files.html, await renderLearningHtml(measurement));
    if (options.json) writeJson(measurement);
    else process.stdout.write(renderMeasurement(measurement, files));
  } finally {
    await disposeLocalModels();
  }
}

function renderMeasurement(measurement: LearningMeasurement, files: { json: string; html: string }): string {
  const lines = [`held-out pass@1 (${measurement.model}, seeds ${measurement.settings.seeds.join(", ")}):`];
  for (const result of measurement.results) {
    lines.push(`  ${result.set.padEnd(16)} ${result.arm.padEnd(8)} ${(result.mean * 100).toFixed(1)}%`);
  }
  for (const { set, versus, difference } of measurement.differences) {
    const pct = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
    lines.push(
      `  ${set}: learned − ${versus}: ${pct(difference.mean)} (95% CI ${pct(difference.low)} to ${pct(difference.high)}; ${difference.aOnly} pairs only learned passed, ${difference.bOnly} only ${versus})`,
    );
  }
  lines.push(`report: ${files.html} (numbers: ${files.json})`);
  return `${lines.join("\n")}\n`;
}
