import type { BenchReport, ReportRun } from "./build-report.ts";
import { renderChart, reportCharts } from "./charts.ts";
import { chartSection, escapeHtml, percent, renderPage, shade, table } from "./page.ts";

/**
 * The report as one self-contained HTML page: styles inline, charts as static SVG drawn here; no script and
 * nothing fetched, so it opens anywhere, from a CI artifact or an e-mail, and prints well.
 */
export async function renderReportHtml(report: BenchReport): Promise<string> {
  const charts = await Promise.all(
    reportCharts(report).map(async (chart) => ({ chart, svg: await renderChart(chart) })),
  );
  return renderPage({
    title: `litmus benchmark report: ${report.runs.map((run) => run.label).join(", ")}`,
    heading: "litmus benchmark report",
    meta: `${report.runs.length} run${report.runs.length === 1 ? "" : "s"} · generated ${escapeHtml(report.generatedAt)}`,
    body: `<section>
  <h2>Runs</h2>
  ${summaryTable(report.runs)}
</section>
${charts.map(({ chart, svg }) => chartSection(chart, svg)).join("\n")}
<section>
  <h2>Tasks</h2>
  ${taskTable(report.runs)}
</section>`,
    footer:
      "Samples scored in litmus's sandbox; pass@k by the unbiased estimator of Chen et al. (2021). The JSON summary beside this page holds every number shown.",
  });
}

function summaryTable(runs: ReportRun[]): string {
  const ks = [...new Set(runs.flatMap((run) => Object.keys(run.passAtK)))];
  const head = [
    "run",
    "dataset",
    "model",
    "tasks",
    "samples",
    ...ks,
    "base pass@1",
    "tokens",
    "cost",
    "time/sample",
    "wall",
  ];
  const rows = runs.map((run) => [
    `<span class="run">${escapeHtml(run.label)}</span><br><span class="source">${escapeHtml(run.source)}</span>`,
    escapeHtml(run.dataset),
    escapeHtml(run.model ?? "—"),
    String(run.tasks),
    String(run.samples),
    ...ks.map((k) => (run.passAtK[k] === undefined ? "—" : `<b>${percent(run.passAtK[k])}</b>`)),
    run.basePassAtK?.["pass@1"] === undefined ? "—" : percent(run.basePassAtK["pass@1"]),
    run.usage ? (run.usage.inputTokens + run.usage.outputTokens).toLocaleString("en") : "—",
    run.usage ? (run.usage.costUsd === null ? "unknown" : `$${run.usage.costUsd.toFixed(4)}`) : "—",
    run.sampleMs === null ? "—" : `${(run.sampleMs / 1000).toFixed(2)} s`,
    `${(run.durationMs / 1000).toFixed(1)} s`,
  ]);
  return table(head, rows, "summary");
}

/** Every task with the passing samples of each run (c/n), shaded by pass rate. */
function taskTable(runs: ReportRun[]): string {
  const ids = [...new Set(runs.flatMap((run) => run.perTask.map((task) => task.taskId)))];
  const byRun = runs.map((run) => new Map(run.perTask.map((task) => [task.taskId, task])));
  const difficulty = new Map(runs.flatMap((run) => run.perTask.map((task) => [task.taskId, task.difficulty])));
  const rows = ids.map((id) => [
    escapeHtml(id),
    escapeHtml(difficulty.get(id) ?? "—"),
    ...byRun.map((tasks) => {
      const task = tasks.get(id);
      if (!task) return "—";
      const share = task.n === 0 ? 0 : task.c / task.n;
      return `<span class="cell" style="background:${shade(share)}">${task.c}/${task.n}</span>`;
    }),
  ]);
  const solvedBy = runs.map((run) => run.perTask.filter((task) => task.c > 0).length);
  return `<details${ids.length <= 40 ? " open" : ""}>
  <summary>${ids.length} tasks · solved at least once: ${runs.map((run, index) => `${escapeHtml(run.label)} ${solvedBy[index]}`).join(" · ")}</summary>
  ${table(["task", "difficulty", ...runs.map((run) => run.label)], rows, "tasks")}
</details>`;
}
