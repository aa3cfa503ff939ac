import type { BenchReport, ReportRun } from "./build-report.ts";
import { type ReportChart, renderChart, reportCharts } from "./charts.ts";

/**
 * The report as one self-contained HTML page: styles inline, charts as static SVG drawn here; no script and
 * nothing fetched, so it opens anywhere, from a CI artifact or an e-mail, and prints well.
 */
export async function renderReportHtml(report: BenchReport): Promise<string> {
  const charts = await Promise.all(
    reportCharts(report).map(async (chart) => ({ chart, svg: await renderChart(chart) })),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>litmus benchmark report: ${escapeHtml(report.runs.map((run) => run.label).join(", "))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>litmus benchmark report</h1>
  <p class="meta">${report.runs.length} run${report.runs.length === 1 ? "" : "s"} · generated ${escapeHtml(report.generatedAt)}</p>
</header>
<main>
<section>
  <h2>Runs</h2>
  ${summaryTable(report.runs)}
</section>
${charts.map(({ chart, svg }) => chartSection(chart, svg)).join("\n")}
<section>
  <h2>Tasks</h2>
  ${taskTable(report.runs)}
</section>
</main>
<footer>Samples scored in litmus's sandbox; pass@k by the unbiased estimator of Chen et al. (2021). The JSON summary beside this page holds every number shown.</footer>
</body>
</html>
`;
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

function chartSection(chart: ReportChart, svg: string): string {
  return `<section id="${chart.id}">
  <h2>${escapeHtml(chart.title)}</h2>
  <p class="caption">${escapeHtml(chart.caption)}</p>
  <figure>${svg}</figure>
</section>`;
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

function table(head: string[], rows: string[][], className: string): string {
  return `<table class="${className}"><thead><tr>${head.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("")}</tr></thead>
<tbody>${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("\n")}</tbody></table>`;
}

/** White (none passed) to green (all passed). */
function shade(share: number): string {
  const light = Math.round(96 - share * 38);
  return `hsl(130 45% ${light}%)`;
}

function percent(value: number | undefined): string {
  return value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6576; --line: #e3e6eb; --accent: #4c78a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 0 0 6px; }
.meta, .caption, .source, footer { color: var(--muted); }
.caption { margin: 0 0 12px; font-size: 13.5px; max-width: 820px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 18px 0; overflow-x: auto; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #fafbfc; position: sticky; top: 0; }
table.summary td:nth-child(n+4) { text-align: right; font-variant-numeric: tabular-nums; }
.run { font-weight: 600; }
.source { font-size: 12px; word-break: break-all; }
.cell { display: inline-block; min-width: 44px; padding: 1px 6px; border-radius: 4px; text-align: center; font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; margin-bottom: 10px; color: var(--muted); }
footer { font-size: 12.5px; padding-bottom: 32px; }
`;
