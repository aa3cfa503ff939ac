import { LitmusError } from "../errors.ts";

/** Languages a sandbox can run. TypeScript is type-stripped by the sandbox's Node.js; nothing is type-checked. */
export const LANGUAGES = ["python", "javascript", "typescript", "bash"] as const;
export type Language = (typeof LANGUAGES)[number];

const LANGUAGE_BY_EXTENSION: Record<string, Language> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".ts": "typescript",
  ".mts": "typescript",
  ".sh": "bash",
  ".bash": "bash",
};

/** The language of a source file by its extension (`.py`, `.mjs`, `.ts`, `.sh`, ...), if it is one a sandbox runs. */
export function languageOfFile(path: string): Language | undefined {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? undefined : LANGUAGE_BY_EXTENSION[path.slice(dot).toLowerCase()];
}

/** `text` as a Language, or a BAD_INPUT error that lists the languages (`what` names the input). */
export function parseLanguage(text: string, what = "language"): Language {
  if (!(LANGUAGES as readonly string[]).includes(text)) {
    throw new LitmusError("BAD_INPUT", `unsupported ${what} "${text}"; use one of: ${LANGUAGES.join(", ")}`);
  }
  return text as Language;
}

/** One displayable value, as in a notebook: the value of a trailing expression, in every format it offers. */
export interface Result {
  text?: string;
  html?: string;
  markdown?: string;
  svg?: string;
  /** Base64-encoded PNG. */
  png?: string;
  /** Base64-encoded JPEG. */
  jpeg?: string;
  /** Base64-encoded PDF. */
  pdf?: string;
  latex?: string;
  json?: unknown;
  javascript?: string;
  /** A table's columns as lists (a pandas DataFrame), as E2B's code interpreter gives them. */
  data?: Record<string, unknown[]>;
  /** What e2b-charts reads from a matplotlib figure: its type, titles, axes and data (E2B's chart). */
  chart?: Record<string, unknown>;
  /** Formats beyond these, by MIME type. */
  extra?: Record<string, unknown>;
  /** The value of the cell (true), or something displayed while it ran: display(), a figure, an image. */
  isMainResult: boolean;
}

/** An error raised by the user's code (or a limit that stopped it). Not an error of litmus. */
export interface ExecutionError {
  name: string;
  value: string;
  traceback: string;
}

/** What one `runCode` produced. Shaped like `@e2b/code-interpreter`'s Execution, plus the limit flags. */
export interface Execution {
  results: Result[];
  /** The text of the main result (the trailing expression's value), if there is one. */
  text?: string;
  logs: { stdout: string[]; stderr: string[] };
  error: ExecutionError | null;
  executionCount: number;
  /** 0 when the code finished without error; the status of `exit`/`sys.exit` otherwise. */
  exitCode: number;
  /**
   * The code stopped itself (Python's `exit()`, `sys.exit()`, `raise SystemExit`), even with status 0, which is
   * no error: what came after the exit did not run. Absent otherwise.
   */
  exited?: true;
  durationMs: number;
  timedOut: boolean;
  oomKilled: boolean;
  /** Output beyond the limit was dropped. */
  truncated: boolean;
}

/** The result of `commands.run`. */
/** A change in a watched directory: what changed (relative to the directory) and how. */
export interface FilesystemEvent {
  name: string;
  type: "create" | "write" | "remove" | "rename" | "chmod";
  /** What is at the path now, when the watch asked for it (`includeEntry`) and something is. */
  entry?: EntryInfo;
}

/** A directory being watched (`files.watchDir`). */
export interface WatchHandle {
  /** Stops the watch; no event comes after it resolves. */
  stop(): Promise<void>;
}

/** A command started with `commands.start`: it runs on while the caller does other things. */
export interface CommandHandle {
  /** Its process id in the sandbox. */
  pid: number;
  /** Its result, once it has ended. */
  wait(): Promise<CommandResult>;
  sendStdin(data: string | Uint8Array, signal?: AbortSignal): Promise<void>;
  closeStdin(): Promise<void>;
  kill(): Promise<void>;
}

/** A command running in a sandbox, as `commands.list` shows it. */
export interface RunningCommand {
  pid: number;
  cmd: string;
  cwd: string;
  envs: Record<string, string>;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  error: ExecutionError | null;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

/** A stateful kernel inside a sandbox: variables, imports and functions persist between runs. */
export interface Context {
  id: string;
  language: Language;
  cwd: string;
}

export interface EntryInfo {
  name: string;
  path: string;
  /** A symbolic link has its target's type and `symlinkTarget`; one to nothing is a "symlink". */
  type: "file" | "dir" | "symlink";
  size: number;
  /** The permission bits (0o644). */
  mode: number;
  /** As `ls -l` shows them (-rw-r--r--). */
  permissions: string;
  owner: string;
  group: string;
  modifiedTime: Date;
  /** Where a symbolic link points, as an absolute path. */
  symlinkTarget?: string;
  /** What was written with the file (`files.write`'s metadata), if anything. */
  metadata?: Record<string, string>;
}

/** Resource limits of a sandbox. Every field has a default (see DEFAULT_LIMITS). */
export interface SandboxLimits {
  /** Wall-clock limit of one runCode or command unless the call sets its own. */
  execTimeoutMs: number;
  /** How long an interrupted execution may take to stop before its process group is killed. */
  graceMs: number;
  /** Memory of the whole sandbox (cgroup), or of each process (RLIMIT_DATA) where cgroups are unavailable. */
  memoryBytes: number;
  /** CPU time of each process in the sandbox. */
  cpuSeconds: number;
  /**
   * CPUs the sandbox as a whole may keep busy (a CFS quota on its cgroup: forks and background processes
   * included), where the cpu controller is writable; `isolation.cpu` says whether it is in force.
   */
  cpus: number;
  /** Processes and threads in the whole sandbox. */
  processes: number;
  /** Largest file a process may write. */
  fileSizeBytes: number;
  openFiles: number;
  /** Output (stdout + stderr) kept per execution; the rest is dropped and `truncated` is set. */
  outputBytes: number;
  /** Results (rich values: images, HTML) kept per execution, serialised; the rest are dropped. */
  resultBytes: number;
  /** Size of each writable filesystem: the workspace (/home/user) and /tmp. */
  diskBytes: number;
}

/** A piece of output as it streams from runCode, shaped like E2B's OutputMessage. */
export interface OutputMessage {
  line: string;
  /** Unix epoch in nanoseconds (millisecond precision). */
  timestamp: number;
  /** true for stderr. */
  error: boolean;
}

export interface RunCodeOptions {
  /** Language of the code when no context is given (default python); its default context is used. */
  language?: Language;
  context?: Context;
  /** Wall-clock limit of this run (default: the sandbox's execTimeoutMs). */
  timeoutMs?: number;
  /**
   * Environment variables for this run only (E2B's `envs`): set while it runs, then back to what they were.
   * What the code itself does to them is undone too.
   */
  envs?: Record<string, string>;
  signal?: AbortSignal;
  onStdout?: (output: OutputMessage) => void;
  onStderr?: (output: OutputMessage) => void;
  onResult?: (result: Result) => void;
  /** Called once when the code raised (the same error is in `execution.error`). */
  onError?: (error: ExecutionError) => void;
}

export interface CommandOptions {
  /** Called with each chunk of the command's stdout as it arrives (like E2B's commands.run). */
  onStdout?: (data: string) => void;
  onStderr?: (data: string) => void;
  cwd?: string;
  envs?: Record<string, string>;
  /** Wall-clock limit of the command (default: the sandbox's execTimeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How well this machine isolates sandboxes: reported, never silently weakened. */
export interface IsolationReport {
  namespaces: string[];
  network: boolean;
  /** Where memory and process limits come from. */
  resourceControl: "cgroup-v1" | "cgroup-v2" | "rlimit";
  /** "sandbox": CPU limited for the sandbox as a whole (`limits.cpus`); "per-process": RLIMIT_CPU only. */
  cpu: "sandbox" | "per-process";
  /** The host uid sandbox processes run as. */
  hostUid: number;
  /** Forked from a pre-initialised template ("zygote") or started with its own bubblewrap ("direct"). */
  launch: "zygote" | "direct";
  /**
   * "filtered": a seccomp filter makes the kernel's riskiest calls fail with EPERM (keyrings, BPF, perf events,
   * userfaultfd, io_uring, modules, the new mount API, clocks); "unfiltered" on architectures without it.
   */
  syscalls: "filtered" | "unfiltered";
}

/** Where sandboxes run: on this machine (bubblewrap), or in E2B's cloud (through its SDK; E2B_API_KEY). */
export const BACKENDS = ["local", "e2b"] as const;
export type Backend = (typeof BACKENDS)[number];

export interface SandboxInfo {
  sandboxId: string;
  backend: Backend;
  startedAt: Date;
  /** The isolation litmus put in force (local backend); null in E2B, whose microVMs isolate. */
  isolation: IsolationReport | null;
  metadata: Record<string, string>;
}
