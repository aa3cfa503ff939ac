export { benchmarkLocalModel, type ModelBenchReport } from "./model-bench.ts";
export { benchmarkSandbox, type SandboxBenchOptions, type SandboxBenchReport } from "./sandbox-bench.ts";
export { percentile, percentiles } from "./stats.ts";
export { benchmarkTaskSuite, loadTaskSuite, type TaskResult, type TaskSuiteReport } from "./task-suite-bench.ts";
