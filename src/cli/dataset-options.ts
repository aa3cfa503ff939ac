import { type Command, InvalidArgumentError } from "commander";
import {
  BENCH_TEMPLATE,
  type BenchTask,
  type Dataset,
  KNOWN_DATASETS,
  loadDataset,
  selectTasks,
  type TimeLimits,
} from "../bench/index.ts";
import { parseBytes, parseDuration } from "../sandbox/index.ts";
import { templateOnDemand } from "./builtin-template.ts";
import { integerList, list, positiveInteger } from "./options.ts";

/** The options of every command that reads a benchmark dataset and runs a subset of it. */
export interface DatasetCommandOptions extends DatasetLocationOptions {
  dataset: string;
  tasks?: string[];
  split?: string;
  limit?: number;
}

/** Where datasets are found: --datasets-dir and --no-download. */
export interface DatasetLocationOptions {
  datasetsDir?: string;
  download: boolean;
}

/** Adds --datasets-dir and --no-download to a command that reads datasets. */
export function addDatasetLocationOptions(command: Command): Command {
  return command
    .option("--datasets-dir <dir>", "folder holding the datasets (default: $LITMUS_DATASETS_DIR, then the cache)")
    .option("--no-download", "never download a dataset missing from the datasets folder and the cache");
}

/** Loads a dataset where the options say, with download progress on stderr. */
export function loadCommandDataset(name: string, options: DatasetLocationOptions): Promise<Dataset> {
  return loadDataset(name, {
    download: options.download,
    onProgress: (line) => process.stderr.write(`litmus bench: ${line}\n`),
    ...(options.datasetsDir ? { datasetsDir: options.datasetsDir } : {}),
  });
}

/** Adds --dataset, --datasets-dir, --no-download, --tasks, --split and --limit to a command. */
export function addDatasetOptions(command: Command): Command {
  return addDatasetLocationOptions(
    command.requiredOption(
      "--dataset <name|path>",
      `${KNOWN_DATASETS.map((dataset) => dataset.name).join(", ")}, a dataset file, or a folder of task files`,
    ),
  )
    .option("--tasks <ids>", "only these tasks, comma-separated (HumanEval/0,HumanEval/5 or 11,12 for MBPP)", list)
    .option("--split <split>", "only this MBPP split: prompt, test, validation, train")
    .option("--limit <n>", "only the first n tasks (after --tasks and --split)", positiveInteger);
}

/** The dataset and the selected tasks, with download progress on stderr. */
export async function openCommandDataset(
  options: DatasetCommandOptions,
): Promise<{ dataset: Dataset; tasks: BenchTask[] }> {
  const dataset = await loadCommandDataset(options.dataset, options);
  const tasks = selectTasks(
    dataset.tasks,
    {
      ...(options.tasks ? { tasks: options.tasks } : {}),
      ...(options.split ? { split: options.split } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
    },
    dataset.name,
  );
  return { dataset, tasks };
}

/** The options of every command that scores samples in the sandbox. */
export interface ScoringCommandOptions {
  workers?: number;
  k: number[];
  timeLimitFactor: number;
  minTimeLimit: string;
  phaseTimeLimit: string;
  memory: string;
}

/** Adds --workers, --k, --time-limit-factor, --min-time-limit, --phase-time-limit and --memory to a command. */
export function addScoringOptions(command: Command): Command {
  return command
    .option("--workers <n>", "samples scored at the same time (default: the number of CPUs)", positiveInteger)
    .option("--k <list>", "pass@k for these k, where every task has enough samples", integerList, [1, 10, 100])
    .option("--time-limit-factor <x>", "a sample may take this many times the reference's time", positiveNumber, 4)
    .option("--min-time-limit <duration>", "but never less than this, per input or test run", "4s")
    .option(
      "--phase-time-limit <duration>",
      "at most this (plus 1 s) for all the inputs of a phase, base or plus (EvalPlus's per-task timeout)",
      "60s",
    )
    .option("--memory <size>", "memory of each worker's sandbox", "4G");
}

/** The scoring options, checked; the template samples are scored in is built first if it is not yet. */
export async function scoringOf(
  options: ScoringCommandOptions,
  command: string,
): Promise<{
  timeLimits: TimeLimits;
  memoryBytes: number;
  ks: number[];
  workers?: number;
  template: string;
}> {
  const template = await templateOnDemand(BENCH_TEMPLATE, command, "that samples are scored in");
  return {
    template: template.name,
    timeLimits: {
      factor: options.timeLimitFactor,
      minMs: parseDuration(options.minTimeLimit),
      phaseCapMs: parseDuration(options.phaseTimeLimit),
    },
    memoryBytes: parseBytes(options.memory),
    ks: options.k,
    ...(options.workers ? { workers: options.workers } : {}),
  };
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return parsed;
}
