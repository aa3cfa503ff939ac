import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { z } from "zod";
import { markdownSnippets, runDocument } from "../check/index.ts";
import { isLitmusError } from "../errors.ts";
import { MAX_CLIENT_TASK_CHARS, parseTask, solve, type TaskTests } from "../loop/index.ts";
import type { TextModel } from "../models/index.ts";
import { type Execution, executionToText, LANGUAGES, parseBytes, Sandbox } from "../sandbox/index.ts";
import { VERSION } from "../version.ts";
import { Sessions } from "./sessions.ts";

export interface McpOptions {
  /** Opens the model `solve` uses, on first need. */
  model: () => Promise<{ model: TextModel; modelTimeoutMs: number }>;
  sessions?: Sessions;
  /** Who is calling (over HTTP: the token's client); sessions belong to it. Default "local" (stdio). */
  client?: string;
  /**
   * Admits work that runs code (run_code, solve, check_docs) for the client, or says why it must wait: the
   * HTTP server counts each client's runs at once and per minute. Default: everything is admitted.
   */
  admit?: () => { release: () => void } | { refused: string };
  /**
   * Holds one of the client's places while a file is read into memory (read_file: up to 64 MiB), without
   * counting as a run. Default: nothing is held.
   */
  hold?: () => { release: () => void } | { refused: string };
}

const language = z.enum(LANGUAGES).optional().describe("python (default), javascript, typescript or bash");

/** The longest one run may take: run_code's timeout_seconds and a check_docs block's timeout=. */
const MAX_RUN_SECONDS = 600;

/**
 * Every tool's input, built once: over HTTP a server is made per request, and building the schemas (and the
 * SDK's JSON Schema validator) for each took about a sixth of the server's CPU under load.
 */
const INPUTS = {
  create_session: z.object({ language }),
  close_session: z.object({ session_id: z.string() }),
  run_code: z.object({
    code: z.string(),
    language,
    session_id: z.string().optional(),
    timeout_seconds: z.number().positive().max(MAX_RUN_SECONDS).optional(),
  }),
  list_files: z.object({ session_id: z.string(), path: z.string().optional() }),
  read_file: z.object({ session_id: z.string(), path: z.string() }),
  write_file: z.object({ session_id: z.string(), path: z.string(), content: z.string().max(parseBytes("16M")) }),
  solve: z.object({
    task: z.string().min(1).max(MAX_CLIENT_TASK_CHARS),
    tests: z
      .string()
      .max(MAX_CLIENT_TASK_CHARS)
      .optional()
      .describe("assert lines or test_* functions (Python), assert calls (JavaScript)"),
    language,
    max_attempts: z.number().int().min(1).max(10).optional(),
  }),
  check_docs: z.object({ markdown: z.string().max(parseBytes("4M")), name: z.string().optional() }),
};
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/**
 * litmus as MCP tools: run code in a sandbox (once, or in a session whose state persists), the session's files,
 * the repair loop, and checking the code blocks of a Markdown document. Errors of the user's code are results
 * (`isError` with the traceback); errors of the request say what to fix.
 */

export function createMcpServer(options: McpOptions): { server: McpServer; sessions: Sessions } {
  const sessions = options.sessions ?? new Sessions();
  const client = options.client ?? "local";
  const server = new McpServer({ name: "litmus", version: VERSION }, { jsonSchemaValidator });
  /** Runs work once the client has a place (`take`); a refusal is the tool's error, with the reason. */
  const withPlace = async (take: McpOptions["admit"], work: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    const admission = take?.() ?? { release: () => undefined };
    if ("refused" in admission)
      return { content: [{ type: "text", text: `refused: ${admission.refused}` }], isError: true };
    try {
      return await guarded(work);
    } finally {
      admission.release();
    }
  };
  /** Work that runs code: it counts against the client's runs. */
  const admitted = (work: () => Promise<CallToolResult>) => withPlace(options.admit, work);

  server.registerTool(
    "create_session",
    {
      description:
        "Start a sandbox session: variables, imports and files persist between run_code calls that name it. Closed by close_session, or after 10 idle minutes.",
      inputSchema: INPUTS.create_session,
    },
    async ({ language: lang }) =>
      guarded(async () => text(`session_id: ${await sessions.create(lang ?? "python", client)}`)),
  );
  server.registerTool(
    "close_session",
    { description: "End a session and kill its sandbox.", inputSchema: INPUTS.close_session },
    async ({ session_id }) =>
      guarded(async () =>
        text((await sessions.close(session_id, client)) ? `closed ${session_id}` : `no session ${session_id}`),
      ),
  );
  server.registerTool(
    "run_code",
    {
      description:
        "Run code in an isolated sandbox (no network, limits). With session_id it runs in that session's interpreter; without, in a fresh sandbox. Returns stdout, stderr, the value of a trailing expression, images as image content, and the error with its traceback.",
      inputSchema: INPUTS.run_code,
    },
    async ({ code, language: lang, session_id, timeout_seconds }) =>
      admitted(async () => {
        const run = { language: lang ?? "python", ...(timeout_seconds ? { timeoutMs: timeout_seconds * 1000 } : {}) };
        if (session_id) return executionResult(await sessions.get(session_id, client).runCode(code, run));
        await using sandbox = await Sandbox.create({ language: run.language, timeoutMs: 0 });
        return executionResult(await sandbox.runCode(code, run));
      }),
  );
  server.registerTool(
    "list_files",
    {
      description: "List a directory of a session's sandbox (default: the workspace, /home/user).",
      inputSchema: INPUTS.list_files,
    },
    async ({ session_id, path }) =>
      guarded(async () => {
        const entries = await sessions.get(session_id, client).files.list(path ?? ".");
        return text(
          entries.map((entry) => `${entry.type === "dir" ? "d" : "-"} ${entry.size} ${entry.path}`).join("\n") ||
            "(empty)",
        );
      }),
  );
  server.registerTool(
    "read_file",
    {
      description: "Read a text file of a session's sandbox.",
      inputSchema: INPUTS.read_file,
    },
    // Up to 64 MiB each: a read holds one of the client's places, so reads cannot pile up in memory at once.
    async ({ session_id, path }) =>
      withPlace(options.hold, async () => text(await sessions.get(session_id, client).files.read(path))),
  );
  server.registerTool(
    "write_file",
    {
      description: "Write a text file into a session's sandbox (relative paths are in /home/user).",
      inputSchema: INPUTS.write_file,
    },
    async ({ session_id, path, content }) =>
      guarded(async () => text(`wrote ${await sessions.get(session_id, client).files.write(path, content)}`)),
  );
  server.registerTool(
    "solve",
    {
      description:
        "Have litmus's model write code for a task, run it against the tests in the sandbox and repair it until they pass. Returns the code and whether the tests passed.",
      inputSchema: INPUTS.solve,
    },
    async ({ task, tests, language: lang, max_attempts }) =>
      admitted(async () => {
        const parsed = await parseTask(
          { prompt: task, ...(lang && lang !== "bash" ? { language: lang } : {}) },
          { source: "the task" },
        );
        const visible: TaskTests | null = tests ? { kind: "code", code: tests } : null;
        const { model, modelTimeoutMs } = await options.model();
        const outcome = await solve(
          { ...parsed, tests: visible },
          { model, modelTimeoutMs, maxAttempts: max_attempts ?? 3 },
        );
        const summary = `${outcome.success ? "passed" : visible ? "did not pass" : "not verified (no tests)"} after ${outcome.attempts.length} attempt(s)`;
        return {
          content: [{ type: "text", text: `${summary}\n\n${outcome.code ?? "(no code)"}` }],
          structuredContent: { success: outcome.success, code: outcome.code, attempts: outcome.attempts.length },
          isError: !outcome.success,
        };
      }),
  );
  server.registerTool(
    "check_docs",
    {
      description:
        "Run the code blocks of a Markdown document in a sandbox (python, javascript, typescript, bash, console, >>> sessions) and report each block that fails, with its line.",
      inputSchema: INPUTS.check_docs,
    },
    async ({ markdown, name }) =>
      admitted(async () => {
        const document = markdownSnippets(name ?? "document.md", markdown, "markdown");
        const result = await runDocument(document, {
          timeoutMs: 10_000,
          // A block's own timeout= may not take longer than run_code may.
          maxTimeoutMs: MAX_RUN_SECONDS * 1000,
          memoryBytes: parseBytes("512M"),
          languages: LANGUAGES,
          setup: {},
        });
        const failures = result.snippets
          .filter((snippet) => snippet.failure)
          .map(
            (snippet) =>
              `line ${snippet.failure?.position.line}: ${snippet.failure?.message}${snippet.failure?.traceback ? `\n${snippet.failure.traceback}` : ""}`,
          );
        return {
          content: [
            {
              type: "text",
              text: `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped${failures.length ? `\n\n${failures.join("\n\n")}` : ""}`,
            },
          ],
          structuredContent: { passed: result.passed, failed: result.failed, skipped: result.skipped },
          isError: result.failed > 0,
        };
      }),
  );
  return { server, sessions };
}

/** An execution as MCP content: the output as text (with the error), each image as image content. */
function executionResult(execution: Execution): CallToolResult {
  const images = execution.results.flatMap((result) =>
    result.png ? [{ type: "image" as const, data: result.png, mimeType: "image/png" }] : [],
  );
  return {
    content: [{ type: "text", text: executionToText(execution) }, ...images],
    isError: execution.error !== null || execution.timedOut || execution.oomKilled,
  };
}

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

/** A tool's work, its litmus errors turned into an error result the agent can read and act on. */
async function guarded(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    if (!isLitmusError(error)) throw error;
    return { content: [{ type: "text", text: `litmus: ${error.message}` }], isError: true };
  }
}
