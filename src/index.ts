// The litmus library: everything the CLI does is callable from here.

export { benchmarkSandbox, type SandboxBenchOptions, type SandboxBenchReport } from "./bench/index.ts";
export { type ErrorCode, isLitmusError, LitmusError } from "./errors.ts";
export * from "./models/index.ts";
export * from "./sandbox/index.ts";
