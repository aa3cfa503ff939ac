import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { buildReport, type EvalSummary, readSummaryFile, renderReportHtml } from "../bench/index.ts";
import { LitmusError } from "../errors.ts";
import { RunStore } from "../store/index.ts";
import { writeJson } from "./options.ts";

export function registerBenchReportCommand(bench: Command): void {
  bench
    .command("report")
    .description("An HTML report (and a JSON summary) of one or more runs, side by side")
    .argument("<runs...>", "bench run ids (or unique prefixes; see litmus bench list) or summary.json files")
    .option("--out <file>", "the HTML page; the JSON summary goes beside it (.json)", "report.html")
    .option("--json", "print the JSON summary on stdout")
    .action(async (runs: string[], options: { out: string; json?: boolean }) => {
      const summaries = await Promise.all(runs.map(summaryOf));
      const report = buildReport(summaries);
      const jsonPath = `${options.out.replace(/\.html?$/, "")}.json`;
      await writeFile(options.out, await renderReportHtml(report));
      await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      if (options.json) writeJson(report);
      else process.stdout.write(`report: ${options.out}\nsummary: ${jsonPath}\n`);
    });
  bench
    .command("list")
    .description("Benchmark runs in the run store, newest first")
    .option("--json", "print one JSON document on stdout")
    .action((options: { json?: boolean }) => {
      using store = RunStore.open();
      const runs = store.bench.list({ limit: 50 });
      if (options.json) return writeJson(runs.map(({ summary: _summary, config: _config, ...run }) => run));
      if (runs.length === 0) process.stderr.write(`no benchmark runs recorded yet in ${store.path}\n`);
      for (const run of runs) {
        const summary = run.summary as EvalSummary | null;
        const score = summary
          ? Object.entries(summary.passAtK)
              .map(([k, value]) => `${k} ${(value * 100).toFixed(1)}%`)
              .join(", ")
          : "unfinished";
        process.stdout.write(`${run.id.slice(0, 8)}  ${run.createdAt}  ${run.model}  ${run.dataset}  ${score}\n`);
      }
    });
}

/** A run from the store (by id) or a summary file (by path). */
async function summaryOf(run: string): Promise<{ source: string; summary: EvalSummary }> {
  if (existsSync(run)) return { source: run, summary: await readSummaryFile(run) };
  using store = RunStore.open();
  const record = store.bench.get(run);
  if (!record) {
    throw new LitmusError(
      "BAD_INPUT",
      `"${run}" is neither a summary file nor a benchmark run in ${store.path} (see litmus bench list)`,
    );
  }
  if (record.status !== "finished") {
    throw new LitmusError(
      "BAD_INPUT",
      `benchmark run ${record.id.slice(0, 8)} is not finished: run the same litmus bench run command again to finish it`,
    );
  }
  return { source: record.id, summary: record.summary as EvalSummary };
}
