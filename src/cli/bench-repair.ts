import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { measureRepairLift, type PairedDifference, percent, type RepairLiftReport } from "../bench/index.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { RunStore } from "../store/index.ts";
import {
  addDatasetOptions,
  addScoringOptions,
  type DatasetCommandOptions,
  openCommandDataset,
  type ScoringCommandOptions,
  scoringOf,
} from "./dataset-options.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { positiveInteger, writeJson } from "./options.ts";
import { PhaseBars } from "./progress-bar.ts";

interface RepairCommandOptions extends DatasetCommandOptions, ScoringCommandOptions, ModelCommandOptions {
  attempts: number;
  seed: number;
  maxTokens: number;
  cache: boolean;
  out?: string;
  json?: boolean;
}

export function registerBenchRepairCommand(bench: Command): void {
  const command = bench
    .command("repair")
    .description(
      "What repairing from execution feedback is worth: first attempt vs repairs vs plain retries vs best-of-n, paired by task; resumable",
    );
  addScoringOptions(addModelOptions(addDatasetOptions(command)))
    .option("--attempts <n>", "the budget of the repair, retries and best-of arms, in generations", positiveInteger, 3)
    .option("--seed <n>", "sampling seed", positiveInteger, 1)
    .option("--max-tokens <n>", "output tokens per generation", positiveInteger, 512)
    .option("--no-cache", "do not reuse model answers from the response cache")
    .option("--out <dir>", "also write repair.json there")
    .option("--json", "print the report as one JSON document on stdout")
    .action(async (options: RepairCommandOptions) => {
      const scoring = await scoringOf(options, "bench repair");
      const { dataset, tasks } = await openCommandDataset(options);
      const { model, modelTimeoutMs } = await openCommandModel(options);
      using store = RunStore.open();
      using bars = new PhaseBars();
      try {
        const report = await measureRepairLift({
          dataset,
          tasks,
          model,
          store,
          modelTimeoutMs,
          attempts: options.attempts,
          seed: options.seed,
          maxOutputTokens: options.maxTokens,
          ...scoring,
          ...(options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {}),
          onProgress: (arm, event) => {
            if (event.type === "start") bars.show(arm, event.total).resume(event.finished, "");
            else if (event.type === "sample")
              bars.shown?.update(
                event.done,
                `${event.taskId}: ${event.verdict.passed ? "passed" : event.verdict.kind}`,
              );
          },
        });
        bars.stop();
        if (options.out) {
          await mkdir(options.out, { recursive: true });
          await writeFile(join(options.out, "repair.json"), `${JSON.stringify(report, null, 2)}\n`);
        }
        if (options.json) writeJson(report);
        else process.stdout.write(renderRepairLift(report));
      } finally {
        await disposeLocalModels();
      }
    });
}

function interval(difference: PairedDifference): string {
  const signed = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}`;
  return `${signed(difference.mean)} (95% ${signed(difference.low)} to ${signed(difference.high)}; ${difference.aOnly} tasks only repair passed, ${difference.bOnly} only the other)`;
}

function renderRepairLift(report: RepairLiftReport): string {
  const rows = report.arms.map(
    (arm) =>
      `${arm.arm.padEnd(8)} ${percent(arm.passRate).padStart(6)} ${percent(arm.basePassRate).padStart(6)}  ${arm.generationsPerTask.toFixed(2).padStart(5)}  ${Math.round(arm.outputTokensPerTask).toString().padStart(6)}  ${arm.description}`,
  );
  const differences = report.differences.map(
    (difference) => `repair - ${difference.versus.padEnd(8)} ${interval(difference.plus)}`,
  );
  return (
    `${report.model} on ${report.dataset}, ${report.tasks} tasks, a budget of ${report.attempts} attempts or candidates\n` +
    `arm        pass   base  calls  tokens  (hidden tests: all, and the dataset's original ones; model calls and output tokens per task)\n` +
    `${rows.join("\n")}\n${differences.join("\n")}\n`
  );
}
