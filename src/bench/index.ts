export { benchmarkSandbox, type SandboxBenchOptions, type SandboxBenchReport } from "./sandbox-bench.ts";
export { percentile, percentiles } from "./stats.ts";
