import type { TopLevelSpec } from "vega-lite";
import { DIAGNOSIS_KINDS } from "../../loop/index.ts";
import type { BenchReport } from "./build-report.ts";

/** A chart of the report: a title, what it shows, and the Vega-Lite spec that draws it. */
export interface ReportChart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

export const CHART_CONFIG: NonNullable<TopLevelSpec["config"]> = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e8e8e8", domainColor: "#888" },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 640, orient: "bottom", direction: "vertical" },
  range: { category: ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"] },
};

const KIND_COLORS: Record<string, string> = {
  ok: "#54a24b",
  test_failure: "#e45756",
  runtime: "#f58518",
  syntax: "#b279a2",
  import: "#9d755d",
  timeout: "#eeca3b",
  memory: "#72b7b2",
  no_code: "#bab0ac",
};

/** The report's charts: only those its runs have data for (attempts need model runs, say). */
export function reportCharts(report: BenchReport): ReportChart[] {
  const charts = [passAtKChart(report), failureClassChart(report)];
  if (report.runs.some((run) => run.attemptsToSuccess !== null)) charts.splice(1, 0, attemptsChart(report));
  if (report.runs.some((run) => run.sampleMs !== null)) charts.push(timeChart(report));
  return charts;
}

function passAtKChart(report: BenchReport): ReportChart {
  const values = report.runs.flatMap((run) => [
    ...Object.entries(run.passAtK).map(([k, value]) => ({ run: run.label, group: "all tasks", k, value })),
    ...Object.entries(run.basePassAtK ?? {}).map(([k, value]) => ({
      run: run.label,
      group: "base tests only",
      k,
      value,
    })),
    ...run.byDifficulty.flatMap(({ difficulty, tasks, passAtK }) =>
      Object.entries(passAtK).map(([k, value]) => ({ run: run.label, group: difficulty, tasks, k, value })),
    ),
  ]);
  return {
    id: "pass-at-k",
    title: "pass@k by difficulty",
    caption:
      "Unbiased pass@k over tasks. Difficulty is a proxy: the thirds of the dataset by the size of the reference solution (the datasets carry no labels). “base tests only” is EvalPlus's base score (the original tests' inputs).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CHART_CONFIG,
      data: { values },
      facet: { row: { field: "k", type: "nominal", title: null, header: { labelFontSize: 13, labelAngle: 0 } } },
      spec: {
        width: 820,
        height: 200,
        layer: [
          {
            mark: { type: "bar", cornerRadiusEnd: 2 },
            encoding: {
              x: {
                field: "group",
                type: "nominal",
                title: null,
                sort: ["all tasks", "base tests only", "easy", "medium", "hard"],
                axis: { labelAngle: 0 },
              },
              xOffset: { field: "run", type: "nominal" },
              y: {
                field: "value",
                type: "quantitative",
                title: "pass@k",
                scale: { domain: [0, 1] },
                axis: { format: "%" },
              },
              color: { field: "run", type: "nominal", title: "run" },
              tooltip: [{ field: "run" }, { field: "group" }, { field: "tasks" }, { field: "value", format: ".1%" }],
            },
          },
          {
            mark: { type: "text", dy: -6, fontSize: 9 },
            encoding: {
              x: { field: "group", type: "nominal", sort: ["all tasks", "base tests only", "easy", "medium", "hard"] },
              xOffset: { field: "run", type: "nominal" },
              y: { field: "value", type: "quantitative" },
              text: { field: "value", type: "quantitative", format: ".0%" },
            },
          },
        ],
      },
    },
  };
}

function attemptsChart(report: BenchReport): ReportChart {
  const values = report.runs.flatMap((run) => {
    const counts = run.attemptsToSuccess ?? {};
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0) || 1;
    return Object.entries(counts).map(([bucket, count]) => ({
      run: run.label,
      bucket: bucket === "failed" ? "failed" : `attempt ${bucket}`,
      order: bucket === "failed" ? Number.MAX_SAFE_INTEGER : Number(bucket),
      share: count / total,
      count,
    }));
  });
  return {
    id: "attempts",
    title: "Attempts to success",
    caption:
      "Samples whose final code passed the hidden tests, by how many attempts of the repair loop they took; “failed” are the rest.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CHART_CONFIG,
      data: { values },
      width: { step: 30 },
      height: 200,
      mark: { type: "bar", cornerRadiusEnd: 2 },
      encoding: {
        x: { field: "bucket", type: "ordinal", title: null, sort: { field: "order" } },
        xOffset: { field: "run", type: "nominal" },
        y: { field: "share", type: "quantitative", title: "share of samples", axis: { format: "%" } },
        color: { field: "run", type: "nominal", title: "run" },
        tooltip: [{ field: "run" }, { field: "bucket" }, { field: "count" }, { field: "share", format: ".1%" }],
      },
    },
  };
}

function failureClassChart(report: BenchReport): ReportChart {
  const values = report.runs.flatMap((run) => {
    const total = Object.values(run.kinds).reduce((sum, count) => sum + count, 0) || 1;
    return Object.entries(run.kinds).map(([kind, count]) => ({
      run: run.label,
      kind,
      order: DIAGNOSIS_KINDS.indexOf(kind as (typeof DIAGNOSIS_KINDS)[number]),
      share: count / total,
      count,
    }));
  });
  const kinds = [...DIAGNOSIS_KINDS].reverse().filter((kind) => values.some((value) => value.kind === kind));
  return {
    id: "failure-classes",
    title: "Outcomes and failure classes",
    caption:
      "What became of every sample: ok, or why it failed (wrong answer, exception, syntax, import, timeout, memory, no code).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CHART_CONFIG,
      data: { values },
      width: 560,
      height: { step: 28 },
      mark: "bar",
      encoding: {
        y: { field: "run", type: "nominal", title: null, axis: { labelLimit: 260 } },
        x: {
          field: "share",
          type: "quantitative",
          stack: "normalize",
          title: "share of samples",
          axis: { format: "%" },
        },
        color: {
          field: "kind",
          type: "nominal",
          title: "outcome",
          scale: { domain: kinds, range: kinds.map((kind) => KIND_COLORS[kind] ?? "#888") },
          legend: { orient: "right", direction: "vertical" },
        },
        order: { field: "order", type: "quantitative", sort: "descending" },
        tooltip: [{ field: "run" }, { field: "kind" }, { field: "count" }, { field: "share", format: ".1%" }],
      },
    },
  };
}

function timeChart(report: BenchReport): ReportChart {
  const values = report.runs
    .filter((run) => run.sampleMs !== null)
    .map((run) => ({ run: run.label, seconds: (run.sampleMs ?? 0) / 1000 }));
  return {
    id: "time",
    title: "Time per sample",
    caption: "Mean time of a sample: generation, repairs and scoring (tokens and cost are in the table below).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config: CHART_CONFIG,
      data: { values },
      width: 560,
      height: { step: 28 },
      mark: { type: "bar", cornerRadiusEnd: 2 },
      encoding: {
        y: { field: "run", type: "nominal", title: null, axis: { labelLimit: 260 } },
        x: { field: "seconds", type: "quantitative", title: "seconds per sample" },
        color: { field: "run", type: "nominal", legend: null },
        tooltip: [{ field: "run" }, { field: "seconds", format: ".2f" }],
      },
    },
  };
}

/** A chart as static SVG, drawn in this process (Vega's renderer needs no browser and no canvas). */
export async function renderChart(chart: ReportChart): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(chart.spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
