// litmus for AI SDK agents: tools backed by a litmus sandbox (`import { sandboxTools } from "litmus-code/ai"`).
export {
  type FileEntry,
  type RunCodeInput,
  type RunCodeOutput,
  type SandboxTools,
  type SandboxToolsOptions,
  sandboxTools,
} from "./sandbox-tools.ts";
