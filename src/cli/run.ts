import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import {
  type Execution,
  executionToJson,
  LANGUAGES,
  type Language,
  languageOfFile,
  type OutputMessage,
  parseBytes,
  parseDuration,
  parseLanguage,
  Sandbox,
} from "../sandbox/index.ts";
import { exitCodeForExecution } from "./exit-codes.ts";
import { collectEnv, writeJson } from "./options.ts";

interface RunOptions {
  lang?: string;
  timeout: string;
  memory: string;
  json?: boolean;
  env: Record<string, string>;
  network?: boolean;
  template?: string;
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Run a file (or stdin) in a fresh isolated sandbox")
    .argument("[file]", "file to run; - or nothing reads stdin")
    .option("-l, --lang <language>", `language: ${LANGUAGES.join(", ")} (default: from the file extension)`)
    .option("-t, --timeout <duration>", "wall-clock limit, like 10s or 500ms", "10s")
    .option("-m, --memory <size>", "memory limit of the sandbox, like 512M or 1G", "512M")
    .option("-e, --env <KEY=VALUE>", "environment variable inside the sandbox (repeatable)", collectEnv, {})
    .option("--network", "allow network access (off by default)")
    .option("--template <name>", "a built template's packages in the sandbox (litmus template build NAME)")
    .option("--json", "print one JSON document on stdout")
    .action(async (file: string | undefined, options: RunOptions) => {
      process.exitCode = await runCommand(file, options);
    });
}

async function runCommand(file: string | undefined, options: RunOptions): Promise<number> {
  const language = languageOf(file, options.lang);
  const timeoutMs = parseDuration(options.timeout);
  const memoryBytes = parseBytes(options.memory);
  const code = await readSource(file);
  await using sandbox = await Sandbox.create({
    language,
    // The run itself is bounded by --timeout; the sandbox lives exactly as long as this command.
    timeoutMs: 0,
    limits: { execTimeoutMs: timeoutMs, memoryBytes },
    envs: options.env,
    network: options.network ?? false,
    ...(options.template ? { template: options.template } : {}),
  });
  const streaming = !options.json;
  const execution = await sandbox.runCode(code, {
    language,
    ...(streaming && {
      onStdout: ({ line }: OutputMessage) => process.stdout.write(line),
      onStderr: ({ line }: OutputMessage) => process.stderr.write(line),
    }),
  });
  if (options.json) writeJson(executionToJson(execution));
  else renderExecution(execution, timeoutMs);
  return exitCodeForExecution(execution);
}

function languageOf(file: string | undefined, lang: string | undefined): Language {
  if (lang !== undefined) return parseLanguage(lang, "--lang");
  const fromExtension = file && file !== "-" ? languageOfFile(file) : undefined;
  if (!fromExtension) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot tell the language of ${file && file !== "-" ? file : "stdin"}: pass --lang ${LANGUAGES.join("|")}`,
    );
  }
  return fromExtension;
}

async function readSource(file: string | undefined): Promise<string> {
  if (file === undefined || file === "-") {
    if (process.stdin.isTTY)
      throw new LitmusError(
        "BAD_INPUT",
        "no file given and stdin is a terminal: pass a FILE, or pipe code into `litmus run -`",
      );
    return text(process.stdin);
  }
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
}

/** Human output: results after the program's own output, then what went wrong, readably. */
function renderExecution(execution: Execution, timeoutMs: number): void {
  for (const result of execution.results) {
    if (result.text !== undefined) process.stdout.write(`${result.text}\n`);
  }
  if (execution.truncated) process.stderr.write("litmus: output was truncated at the sandbox's output limit\n");
  if (execution.timedOut) {
    process.stderr.write(`litmus: timed out after ${timeoutMs} ms\n`);
  } else if (execution.error) {
    const { name, value, traceback } = execution.error;
    process.stderr.write(traceback ? ensureNewline(traceback) : `${name}: ${value}\n`);
  }
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
