import { type Tool, tool } from "ai";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import {
  type EntryInfo,
  type Execution,
  executionToJson,
  executionToText,
  LANGUAGES,
  type Language,
  Sandbox,
  type SandboxOptions,
} from "../sandbox/index.ts";

/** A file read for a model is cut here: the rest would only crowd its context. */
const MAX_READ_CHARS = 100_000;

export interface SandboxToolsOptions {
  /** How the sandbox is made on the first tool call. Default: a local sandbox (python first), no network. */
  sandbox?: SandboxOptions;
}

/** What `runCode` takes. */
export interface RunCodeInput {
  code: string;
  language?: Language | undefined;
  timeoutSeconds?: number | undefined;
}

/** What `runCode` returns: the run as data (images as a count; the model sees them as images). */
export interface RunCodeOutput {
  stdout: string;
  stderr: string;
  /** The value of a trailing expression, as text. */
  result: string | null;
  error: { name: string; value: string; traceback: string } | null;
  timedOut: boolean;
  oomKilled: boolean;
  truncated: boolean;
  images: string[];
}

/** The tools and the sandbox behind them; disposing of it (`await using`) kills the sandbox. */
export interface SandboxTools extends AsyncDisposable {
  /** The tools, to pass as `tools` to `generateText`, `streamText` or an agent. */
  readonly tools: {
    runCode: Tool<RunCodeInput, RunCodeOutput>;
    readFile: Tool<{ path: string }, { path: string; content: string; truncated: boolean; length: number }>;
    writeFile: Tool<{ path: string; content: string }, { path: string; bytes: number }>;
    listFiles: Tool<{ path?: string | undefined }, { entries: FileEntry[] }>;
  };
  /** The sandbox behind the tools, started if it was not yet. */
  sandbox(): Promise<Sandbox>;
  /** Kills the sandbox; later tool calls fail. */
  close(): Promise<void>;
}

/** A directory entry as `listFiles` returns it. */
export interface FileEntry {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink";
  size: number;
}

/**
 * AI SDK tools backed by one litmus sandbox: run code in a stateful interpreter (variables, imports and files
 * persist between calls), and read, write and list its files. The sandbox starts on the first call and ends
 * with `close()`, or at the end of the `await using` block that holds the tools:
 *
 * ```ts
 * await using sandbox = sandboxTools();
 * const { text } = await generateText({ model, tools: sandbox.tools, stopWhen: stepCountIs(8), prompt });
 * ```
 */
export function sandboxTools(options: SandboxToolsOptions = {}): SandboxTools {
  let started: Promise<Sandbox> | undefined;
  let closed = false;
  const sandbox = (): Promise<Sandbox> => {
    if (closed) return Promise.reject(new LitmusError("SANDBOX_CLOSED", "these sandbox tools were closed"));
    // One sandbox for every call, even the parallel calls of one step.
    started ??= Sandbox.create({ timeoutMs: 0, ...options.sandbox });
    return started;
  };
  const close = async (): Promise<void> => {
    closed = true;
    const running = started;
    started = undefined;
    await (await running?.catch(() => undefined))?.kill();
  };

  const tools = {
    runCode: tool({
      description:
        "Run code in an isolated sandbox (no network unless allowed, memory and time limits). The interpreter keeps its state between calls: variables, imports and files persist. Returns stdout, stderr, the value of a trailing expression, and the error with its traceback.",
      inputSchema: z.object({
        code: z.string().describe("the code to run"),
        language: z.enum(LANGUAGES).optional().describe("default python"),
        timeoutSeconds: z.number().positive().max(600).optional().describe("wall-clock limit of this run"),
      }),
      execute: async ({ code, language, timeoutSeconds }, { abortSignal }): Promise<RunCodeOutput> => {
        const execution = await (await sandbox()).runCode(code, {
          language: language ?? "python",
          ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
          ...(abortSignal ? { signal: abortSignal } : {}),
        });
        return runCodeOutput(execution);
      },
      toModelOutput: ({ output }) => ({
        type: "content" as const,
        value: [
          { type: "text" as const, text: modelText(output) },
          ...output.images.map((png) => ({
            type: "file" as const,
            data: { type: "data" as const, data: png },
            mediaType: "image/png",
          })),
        ],
      }),
    }),
    readFile: tool({
      description: `Read a text file of the sandbox (relative paths are in its workspace, /home/user); at most ${MAX_READ_CHARS} characters.`,
      inputSchema: z.object({ path: z.string().min(1) }),
      execute: async ({ path }, { abortSignal }) => {
        const content = await (await sandbox()).files.read(path, abortSignal ? { signal: abortSignal } : {});
        return content.length > MAX_READ_CHARS
          ? { path, content: content.slice(0, MAX_READ_CHARS), truncated: true, length: content.length }
          : { path, content, truncated: false, length: content.length };
      },
    }),
    writeFile: tool({
      description:
        "Write a text file into the sandbox, replacing it and creating its directories (relative paths are in /home/user).",
      inputSchema: z.object({ path: z.string().min(1), content: z.string() }),
      execute: async ({ path, content }, { abortSignal }) => {
        const written = await (await sandbox()).files.write(path, content, abortSignal ? { signal: abortSignal } : {});
        return { path: written, bytes: Buffer.byteLength(content) };
      },
    }),
    listFiles: tool({
      description: "List a directory of the sandbox (default: the workspace, /home/user).",
      inputSchema: z.object({ path: z.string().optional() }),
      execute: async ({ path }, { abortSignal }) => {
        const entries = await (await sandbox()).files.list(path ?? ".", abortSignal ? { signal: abortSignal } : {});
        return { entries: entries.map(entryOf) };
      },
    }),
  };

  return { tools, sandbox, close, [Symbol.asyncDispose]: close };
}

function runCodeOutput(execution: Execution): RunCodeOutput {
  const json = executionToJson(execution);
  return {
    stdout: json.stdout,
    stderr: json.stderr,
    result: execution.text ?? null,
    error: json.error,
    timedOut: json.timedOut,
    oomKilled: json.oomKilled,
    truncated: json.truncated,
    images: execution.results.flatMap((result) => (result.png ? [result.png] : [])),
  };
}

/** The run as the model reads it: the same text the MCP server's run_code gives. */
function modelText(output: RunCodeOutput): string {
  return executionToText({
    logs: { stdout: [output.stdout], stderr: [output.stderr] },
    ...(output.result === null ? {} : { text: output.result }),
    error: output.error,
    timedOut: output.timedOut,
    oomKilled: output.oomKilled,
    truncated: output.truncated,
  });
}

function entryOf(entry: EntryInfo): FileEntry {
  return { name: entry.name, path: entry.path, type: entry.type, size: entry.size };
}
