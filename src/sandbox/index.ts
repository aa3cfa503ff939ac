export type { SandboxCommands } from "./commands.ts";
export { checkEnvs } from "./envs.ts";
export { type ExecutionJson, executionToJson, executionToText } from "./execution-json.ts";
export type { SandboxFiles } from "./files.ts";
export { DEFAULT_LIMITS, parseBytes, parseDuration, resolveLimits } from "./limits.ts";
/** The Node.js (the one litmus runs on) at this path inside every local sandbox, for `commands.run`. */
export { NODE_MOUNT as SANDBOX_NODE, sandboxPython } from "./local/host.ts";
export { SandboxPool, type SandboxPoolOptions } from "./pool.ts";
export { type PreloadedModule, parseBackend, Sandbox, type SandboxMount, type SandboxOptions } from "./sandbox.ts";
export {
  BUILTIN_TEMPLATES,
  type BuiltTemplate,
  buildTemplate,
  CODE_INTERPRETER,
  listTemplates,
  parseRequirements,
  removeTemplate,
  resolveTemplate,
  type TemplateBuildProgress,
  type TemplateSpec,
} from "./templates/index.ts";
export {
  BACKENDS,
  type Backend,
  type CommandHandle,
  type CommandOptions,
  type CommandResult,
  type Context,
  type EntryInfo,
  type Execution,
  type ExecutionError,
  type FilesystemEvent,
  type IsolationReport,
  LANGUAGES,
  type Language,
  languageOfFile,
  type OutputMessage,
  parseLanguage,
  type Result,
  type RunCodeOptions,
  type RunningCommand,
  type SandboxInfo,
  type SandboxLimits,
  type WatchHandle,
} from "./types.ts";
