export {
  type BenchTask,
  DIFFICULTIES,
  type Difficulty,
  type Scoring,
  SPLITS,
  type Split,
} from "./datasets/bench-task.ts";
export { type Dataset, loadDataset } from "./datasets/load-dataset.ts";
export { type LocateDatasetOptions, type LocatedDataset, locateDataset } from "./datasets/locate-dataset.ts";
export { KNOWN_DATASETS, type KnownDataset } from "./datasets/registry.ts";
export { selectTasks, type TaskSelection } from "./datasets/select-tasks.ts";
export {
  type EvalProgress,
  type EvaluateSamplesOptions,
  evaluateSamples,
  type SampleResult,
} from "./eval/evaluate-samples.ts";
export {
  BENCH_TEMPLATE,
  DEFAULT_TIME_LIMITS,
  Evaluator,
  loopTaskOf,
  type SampleVerdict,
  type ScoringOptions,
  type TimeLimits,
} from "./eval/evaluator.ts";
export { meanPassAtK, passAtK } from "./eval/pass-at-k.ts";
export { type BenchSample, readSamples, type SampleLine, scanSamples } from "./eval/samples.ts";
export type { EvalSummary, GenerationSummary, SampleGeneration, TaskTally } from "./eval/tally.ts";
export { benchmarkLocalModel, type ModelBenchReport } from "./model-bench.ts";
export { type Pair, type PairedDifference, pairedDifference } from "./paired.ts";
export {
  type ArmResult,
  measureRepairLift,
  REPAIR_ARMS,
  type RepairArm,
  type RepairLiftOptions,
  type RepairLiftReport,
} from "./repair-lift.ts";
export { type BenchReport, buildReport, type ReportRun } from "./report/build-report.ts";
export { CHART_CONFIG, type ReportChart, renderChart } from "./report/charts.ts";
export { chartSection, escapeHtml, percent, renderPage, table } from "./report/page.ts";
export { readSummaryFile } from "./report/read-summary.ts";
export { renderReportHtml } from "./report/render-html.ts";
export {
  type ModelRunEvent,
  type ModelRunOptions,
  makeSample,
  type RemoteSampler,
  runModelBenchmark,
  runSubject,
  type SampleDocument,
  type SampleSettings,
} from "./run/model-run.ts";
export { benchmarkSandbox, type SandboxBenchOptions, type SandboxBenchReport } from "./sandbox-bench.ts";
export { percentile, percentiles } from "./stats.ts";
export { benchmarkTaskSuite, loadTaskSuite, type TaskResult, type TaskSuiteReport } from "./task-suite-bench.ts";
