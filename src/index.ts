// The litmus library: everything the CLI does is callable from here.

export * from "./ai/index.ts";
export * from "./bench/index.ts";
export * from "./check/index.ts";
export { type ErrorCode, isLitmusError, LitmusError } from "./errors.ts";
export * from "./learn/index.ts";
export * from "./loop/index.ts";
export * from "./mcp/index.ts";
export * from "./models/index.ts";
export * from "./review/index.ts";
export * from "./sandbox/index.ts";
export * from "./server/index.ts";
export * from "./store/index.ts";
export * from "./telemetry/index.ts";
export { VERSION } from "./version.ts";
