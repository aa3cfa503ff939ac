import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import {
  type BenchSample,
  type EvalSummary,
  evaluateSamples,
  readSamples,
  type SampleResult,
  scanSamples,
} from "../bench/index.ts";
import { LitmusError } from "../errors.ts";
import { parseBytes, parseDuration } from "../sandbox/index.ts";
import { addDatasetOptions, type DatasetCommandOptions, integerList, openCommandDataset } from "./dataset-options.ts";
import { exitCodeForOutcome } from "./exit-codes.ts";
import { positiveInteger, writeJson } from "./options.ts";
import { progressBar } from "./progress-bar.ts";

interface EvalCommandOptions extends DatasetCommandOptions {
  selfCheck?: boolean;
  workers?: number;
  k: number[];
  timeLimitFactor: number;
  minTimeLimit: string;
  memory: string;
  json?: boolean;
}

export function registerBenchEvalCommand(bench: Command): void {
  const command = bench
    .command("eval")
    .description("Score samples (human-eval / EvalPlus JSONL) on a dataset in the sandbox: pass@k, failure classes")
    .argument("[samples]", "JSONL of {task_id, completion} or {task_id, solution}; results go next to it");
  addDatasetOptions(command)
    .option("--self-check", "score the dataset's reference solutions instead of samples: all must pass")
    .option("--workers <n>", "samples run at the same time (default: the number of CPUs)", positiveInteger)
    .option("--k <list>", "pass@k for these k, where every task has enough samples", integerList, [1, 10, 100])
    .option("--time-limit-factor <x>", "a sample may take this many times the reference's time", factor, 4)
    .option("--min-time-limit <duration>", "but never less than this, per input or test run", "4s")
    .option("--memory <size>", "memory of each worker's sandbox", "4G")
    .option("--json", "print the summary as one JSON document on stdout")
    .action(async (samples: string | undefined, options: EvalCommandOptions) => {
      process.exitCode = await evalCommand(samples, options);
    });
}

async function evalCommand(samplesPath: string | undefined, options: EvalCommandOptions): Promise<number> {
  if ((samplesPath === undefined) === !options.selfCheck) {
    throw new LitmusError("BAD_INPUT", "give a samples file, or --self-check to score the reference solutions");
  }
  const timeLimits = { factor: options.timeLimitFactor, minMs: parseDuration(options.minTimeLimit) };
  const memoryBytes = parseBytes(options.memory);
  const { dataset, tasks } = await openCommandDataset(options);
  if (options.selfCheck && tasks.every((task) => task.canonicalSolution === null)) {
    throw new LitmusError(
      "BAD_INPUT",
      `--self-check: the tasks of ${dataset.name} have no reference solution (a task file's "solution")`,
    );
  }
  const byId = new Map(tasks.map((task) => [task.id, task]));
  let samples: AsyncIterable<BenchSample> | "self-check" = "self-check";
  let total = tasks.length;
  let sampledTaskIds: Set<string> | undefined;
  let results: ResultsFile | null = null;
  if (samplesPath !== undefined) {
    const known = { name: dataset.name, ids: new Set(dataset.tasks.map((task) => task.id)) };
    const scan = await scanSamples(samplesPath, byId, known);
    sampledTaskIds = scan.taskIds;
    total = scan.count;
    samples = readSamples(samplesPath, byId, known);
    results = await ResultsFile.open(outputBase(samplesPath));
  }
  const bar = progressBar(options.selfCheck ? "self-check" : "eval", total);
  let summary: EvalSummary;
  try {
    summary = await evaluateSamples({
      dataset,
      tasks,
      samples,
      ...(sampledTaskIds ? { sampledTaskIds } : {}),
      ks: options.k,
      timeLimits,
      memoryBytes,
      ...(options.workers ? { workers: options.workers } : {}),
      ...(results ? { onResult: (result: SampleResult) => results?.write(result) } : {}),
      onProgress: (progress) => {
        if (progress.phase === "reference") {
          bar.setTotal(progress.total);
          bar.update(progress.done, "reference outputs and times (cached after the first run)");
        } else {
          bar.setTotal(total);
          bar.update(progress.done, `${progress.passed} passed`);
        }
      },
    });
  } catch (error) {
    bar.stop();
    await results?.discard();
    throw error;
  }
  bar.stop();
  const written = await results?.commit(summary);
  if (options.json) writeJson({ ...summary, ...(written ? { files: written } : {}) });
  else process.stdout.write(renderSummary(summary, options.selfCheck === true, written));
  return options.selfCheck
    ? exitCodeForOutcome(summary.failures.length === 0 && summary.referenceFailures.length === 0)
    : 0;
}

/** `samples.jsonl` -> `samples`: results go to `samples.results.jsonl` and `samples.summary.json`. */
function outputBase(samplesPath: string): string {
  return samplesPath.replace(/\.jsonl?(\.gz)?$/, "");
}

/**
 * The per-sample results (the sample's own fields, then `passed`, `base_passed`, `result`, `kind`, `message`,
 * `duration_ms`), written as they come to a temporary file that takes its name only when the evaluation
 * finished: a stopped evaluation never leaves a partial results file behind.
 */
class ResultsFile {
  private readonly stream: ReturnType<typeof createWriteStream>;
  private readonly base: string;

  private constructor(base: string, stream: ReturnType<typeof createWriteStream>) {
    this.base = base;
    this.stream = stream;
  }

  static async open(base: string): Promise<ResultsFile> {
    const stream = createWriteStream(`${base}.results.jsonl.part`);
    await once(stream, "open");
    return new ResultsFile(base, stream);
  }

  async write({ sample, verdict }: SampleResult): Promise<void> {
    const line = {
      ...sample.record,
      passed: verdict.passed,
      ...(sample.task.scoring.kind === "io" ? { base_passed: verdict.basePassed } : {}),
      result: verdict.passed ? "passed" : verdict.kind === "timeout" ? "timed out" : `failed: ${verdict.message}`,
      kind: verdict.kind,
      duration_ms: Math.round(verdict.durationMs * 1000) / 1000,
    };
    if (!this.stream.write(`${JSON.stringify(line)}\n`)) await once(this.stream, "drain");
  }

  async commit(summary: EvalSummary): Promise<{ results: string; summary: string }> {
    await new Promise<void>((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const files = { results: `${this.base}.results.jsonl`, summary: `${this.base}.summary.json` };
    await rename(`${this.base}.results.jsonl.part`, files.results);
    await writeFile(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return files;
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await rm(`${this.base}.results.jsonl.part`, { force: true });
  }
}

function renderSummary(
  summary: EvalSummary,
  selfCheck: boolean,
  files: { results: string; summary: string } | undefined,
): string {
  const lines: string[] = [];
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const seconds = `${(summary.durationMs / 1000).toFixed(1)} s`;
  if (selfCheck) {
    const passed = summary.perTask.filter((task) => task.c === task.n).length;
    lines.push(
      `${summary.dataset.name}: ${passed}/${summary.tasks} reference solutions pass (${summary.workers} workers, ${seconds})`,
    );
  } else {
    const scores = Object.entries(summary.passAtK).map(([k, value]) => `${k} ${percent(value)}`);
    lines.push(
      `${summary.dataset.name}: ${summary.samples} samples of ${summary.tasks} tasks, ${scores.join(", ")} (${seconds})`,
    );
    if (summary.basePassAtK) {
      const base = Object.entries(summary.basePassAtK).map(([k, value]) => `${k} ${percent(value)}`);
      lines.push(`  base tests only: ${base.join(", ")}`);
    }
    lines.push(
      `  ${Object.entries(summary.kinds)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ")}`,
    );
  }
  for (const failure of summary.referenceFailures)
    lines.push(`  reference solution of ${failure.taskId} fails its own tests: ${failure.message}`);
  const shown = selfCheck ? summary.failures : summary.failures.slice(0, 10);
  for (const failure of shown) lines.push(`  ${failure.taskId}: ${failure.kind}: ${failure.message.split("\n")[0]}`);
  if (shown.length < summary.failures.length)
    lines.push(`  ... and ${summary.failures.length - shown.length} more tasks with failures`);
  if (summary.missingTasks.length > 0)
    lines.push(
      `  ${summary.missingTasks.length} selected tasks had no sample: ${summary.missingTasks.slice(0, 5).join(", ")}${summary.missingTasks.length > 5 ? ", ..." : ""}`,
    );
  if (files) lines.push(`  results: ${files.results}`, `  summary: ${files.summary}`);
  return `${lines.join("\n")}\n`;
}

function factor(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return parsed;
}
