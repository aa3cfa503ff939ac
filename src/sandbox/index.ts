export type { SandboxCommands } from "./commands.ts";
export { type ExecutionJson, executionToJson } from "./execution-json.ts";
export type { SandboxFiles } from "./files.ts";
export { DEFAULT_LIMITS, parseBytes, parseDuration, resolveLimits } from "./limits.ts";
export { SandboxPool, type SandboxPoolOptions } from "./pool.ts";
export { type PreloadedModule, Sandbox, type SandboxOptions } from "./sandbox.ts";
export {
  type CommandOptions,
  type CommandResult,
  type Context,
  type EntryInfo,
  type Execution,
  type ExecutionError,
  type IsolationReport,
  LANGUAGES,
  type Language,
  type OutputMessage,
  parseLanguage,
  type Result,
  type RunCodeOptions,
  type SandboxInfo,
  type SandboxLimits,
} from "./types.ts";
