import { performance } from "node:perf_hooks";
import { type Context, type Execution, type Language, Sandbox } from "../../sandbox/index.ts";
import { shellFailure, wrapShellBlock } from "./bash-wrapper.ts";
import { CellOrigins, describePosition, offset, placeOf } from "./cell-origins.ts";
import { consoleCommands } from "./console.ts";
import type { OutputMatch } from "./directives.ts";
import { doctestCell, doctestVerdict } from "./doctest.ts";
import { matchOutput } from "./output-match.ts";
import type { DocumentPosition, Snippet, SnippetDocument, SnippetKind } from "./snippet.ts";

/** How the snippets of a document run. */
export interface DocumentSettings {
  /** Wall-clock limit of one block unless it sets its own (`timeout=`). */
  timeoutMs: number;
  /** The most a block may set with `timeout=` (a server's cap: the document's author is not trusted). */
  maxTimeoutMs?: number;
  /** Memory of each document's sandbox. */
  memoryBytes: number;
  /** Languages to run; blocks in others are reported as skipped. */
  languages: readonly Language[];
  /** Code each fresh interpreter of a language runs before the document's first block in it. */
  setup: Partial<Record<Language, string>>;
  signal?: AbortSignal;
}

/** Why a snippet failed, placed in the document. */
export interface SnippetFailure {
  /**
   * "error": the code raised or exited non-zero; "timeout" and "memory": it hit a limit; "output": it printed
   * something else than shown; "expectation": it did not fail as `expect-error` said; "setup": the configured
   * setup code failed.
   */
  kind: "error" | "timeout" | "memory" | "output" | "expectation" | "setup";
  message: string;
  position: DocumentPosition;
  /** The document's line at `position`. */
  source?: string;
  /** The traceback, its frames pointing at the document, frames outside it left out. */
  traceback?: string;
  /** Expected output against actual, as a unified diff. */
  diff?: string;
}

export interface SnippetResult {
  index: number;
  language: Language;
  kind: SnippetKind;
  position: DocumentPosition;
  status: "passed" | "failed" | "skipped";
  /** Why it was skipped. */
  reason?: string;
  durationMs: number;
  stdout: string;
  stderr: string;
  failure?: SnippetFailure;
}

export interface DocumentResult {
  path: string;
  format: SnippetDocument["format"];
  snippets: SnippetResult[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

type StepVerdict = Pick<SnippetResult, "stdout" | "stderr"> & { failure?: SnippetFailure };

/**
 * Runs a document's snippets in order in one fresh sandbox, each language in one interpreter that keeps its
 * state from block to block (like a notebook), and reports every snippet. Failing snippets do not stop the
 * document: later ones run and are reported too.
 */
export async function runDocument(document: SnippetDocument, settings: DocumentSettings): Promise<DocumentResult> {
  const started = performance.now();
  const anyToRun = document.snippets.some((snippet) => skipReason(snippet, settings) === undefined);
  // A document with nothing to run costs no sandbox.
  await using sandbox = anyToRun
    ? await Sandbox.create({
        // The document's blocks are bounded one by one; the sandbox lives as long as the document takes.
        timeoutMs: 0,
        limits: { execTimeoutMs: settings.timeoutMs, memoryBytes: settings.memoryBytes },
        network: false,
        ...(settings.signal ? { signal: settings.signal } : {}),
        metadata: { purpose: "check docs", document: document.path },
      })
    : undefined;
  const runner = sandbox && new DocumentRunner(sandbox, document.path, settings);
  const results: SnippetResult[] = [];
  for (const snippet of document.snippets) {
    const reason = skipReason(snippet, settings);
    results.push(reason === undefined && runner ? await runner.run(snippet) : skipped(snippet, reason ?? ""));
  }
  const count = (status: SnippetResult["status"]) => results.filter((result) => result.status === status).length;
  return {
    path: document.path,
    format: document.format,
    snippets: results,
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    durationMs: performance.now() - started,
  };
}

function skipReason(snippet: Snippet, settings: DocumentSettings): string | undefined {
  if (snippet.directives.skip !== undefined) return snippet.directives.skip || "skip";
  if (!settings.languages.includes(snippet.language)) return `${snippet.language} is not among the checked languages`;
  return undefined;
}

function skipped(snippet: Snippet, reason: string): SnippetResult {
  return { ...identity(snippet), status: "skipped", reason, durationMs: 0, stdout: "", stderr: "" };
}

function identity(snippet: Snippet): Pick<SnippetResult, "index" | "language" | "kind" | "position"> {
  return { index: snippet.index, language: snippet.language, kind: snippet.kind, position: snippet.position };
}

/** One interpreter per language, with the cells it ran, so errors can point back at the document. */
interface Interpreter {
  context: Context;
  origins: CellOrigins;
}

class DocumentRunner {
  private readonly interpreters = new Map<Language, Promise<Interpreter>>();
  private readonly sandbox: Sandbox;
  private readonly path: string;
  private readonly settings: DocumentSettings;

  constructor(sandbox: Sandbox, path: string, settings: DocumentSettings) {
    this.sandbox = sandbox;
    this.path = path;
    this.settings = settings;
  }

  async run(snippet: Snippet): Promise<SnippetResult> {
    const started = performance.now();
    if (snippet.directives.reset) await this.reset();
    const verdict = await this.verdictOf(snippet);
    const failure = expectationOf(snippet, verdict);
    return {
      ...identity(snippet),
      status: failure ? "failed" : "passed",
      durationMs: performance.now() - started,
      stdout: verdict.stdout,
      stderr: verdict.stderr,
      ...(failure ? { failure } : {}),
    };
  }

  private async verdictOf(snippet: Snippet): Promise<StepVerdict> {
    let interpreter: Interpreter;
    try {
      interpreter = await this.interpreter(snippet.language);
    } catch (error) {
      // Every block of the language fails with the same reason: the interpreter it needs never got ready.
      if (!(error instanceof SetupFailed)) throw error;
      return { stdout: "", stderr: "", failure: { kind: "setup", message: error.message, position: snippet.position } };
    }
    switch (snippet.kind) {
      case "doctest":
        return this.runDoctest(snippet, interpreter);
      case "console":
        return this.runConsole(snippet, interpreter);
      default:
        return this.runCode(snippet, interpreter);
    }
  }

  private async runCode(snippet: Snippet, interpreter: Interpreter): Promise<StepVerdict> {
    const { execution, stdout, stderr, shellLine } = await this.execute(interpreter, snippet.code, {
      position: snippet.position,
      timeoutMs: snippet.directives.timeoutMs,
    });
    const failure = this.failureOf(execution, interpreter, snippet.position, snippet.code, shellLine);
    if (failure || !snippet.expectedOutput) return { stdout, stderr, ...(failure ? { failure } : {}) };
    const compared = matchOutput(snippet.expectedOutput.text, stdout, outputMatchOf(snippet));
    if (compared.ok) return { stdout, stderr };
    return {
      stdout,
      stderr,
      failure: {
        kind: "output",
        message: `printed something other than the output block at ${describePosition(snippet.expectedOutput.position)}`,
        position: snippet.expectedOutput.position,
        diff: compared.diff,
      },
    };
  }

  private async runConsole(snippet: Snippet, interpreter: Interpreter): Promise<StepVerdict> {
    const printed = { stdout: "", stderr: "" };
    for (const command of consoleCommands(snippet.code)) {
      const position = offset(snippet.position, command.line);
      const { execution, stdout, stderr, shellLine } = await this.execute(interpreter, command.command, {
        position,
        timeoutMs: snippet.directives.timeoutMs,
      });
      printed.stdout += stdout;
      printed.stderr += stderr;
      const failure = this.failureOf(execution, interpreter, position, command.command, shellLine);
      if (failure) return { ...printed, failure };
      if (!command.output) continue;
      const match = outputMatchOf(snippet);
      const compared = matchOutput(command.output, stdout, match);
      if (!compared.ok && !matchOutput(command.output, stdout + stderr, match).ok) {
        return {
          ...printed,
          failure: {
            kind: "output",
            message: `$ ${command.command.split("\n", 1)[0]} printed something other than the session shows`,
            position,
            source: `$ ${command.command}`,
            diff: compared.diff,
          },
        };
      }
    }
    return printed;
  }

  private async runDoctest(snippet: Snippet, interpreter: Interpreter): Promise<StepVerdict> {
    const name = placeOf(this.path, snippet.position);
    const cell = doctestCell(snippet.code, name, outputMatchOf(snippet).mode);
    const { execution, stdout, stderr } = await this.execute(interpreter, cell, {
      position: snippet.position,
      timeoutMs: snippet.directives.timeoutMs,
      label: "doctest",
    });
    const verdict = doctestVerdict(stdout);
    if (!verdict) {
      return {
        stdout,
        stderr,
        failure: this.failureOf(execution, interpreter, snippet.position, snippet.code) ?? {
          kind: "error",
          message: "the doctest session did not finish",
          position: snippet.position,
        },
      };
    }
    const { failure } = verdict;
    if (!failure) return { stdout: verdict.stdout, stderr };
    const position = offset(snippet.position, failure.line);
    const expected = failure.want || "(nothing)\n";
    return {
      stdout: verdict.stdout,
      stderr,
      failure: {
        kind: failure.exception ? "error" : "output",
        message: failure.exception
          ? `raised ${failure.exception.trim()}`
          : "printed something other than the session shows",
        position,
        source: `>>> ${failure.source.trimEnd()}`,
        ...(failure.exception
          ? { traceback: `Expected:\n${indent(expected)}Got:\n${indent(failure.exception)}` }
          : { diff: diffOf(failure.want, failure.got ?? "") }),
      },
    };
  }

  /** Runs code in the interpreter, recording where its cell came from; shell code runs stopped at its first failure. */
  private async execute(
    interpreter: Interpreter,
    code: string,
    options: { position: DocumentPosition; timeoutMs: number | undefined; label?: string },
  ): Promise<{ execution: Execution; stdout: string; stderr: string; shellLine?: number }> {
    const shell = interpreter.context.language === "bash";
    const execution = await this.sandbox.runCode(shell ? wrapShellBlock(code) : code, {
      context: interpreter.context,
      ...(options.timeoutMs === undefined
        ? {}
        : { timeoutMs: Math.min(options.timeoutMs, this.settings.maxTimeoutMs ?? Number.POSITIVE_INFINITY) }),
      ...(this.settings.signal ? { signal: this.settings.signal } : {}),
    });
    interpreter.origins.record(execution.executionCount, {
      position: options.position,
      code,
      ...(options.label ? { label: options.label } : {}),
    });
    const stdout = execution.logs.stdout.join("");
    const stderr = execution.logs.stderr.join("");
    if (!shell) return { execution, stdout, stderr };
    const reported = shellFailure(stderr);
    return { execution, stdout, stderr: reported.stderr, ...(reported.line ? { shellLine: reported.line } : {}) };
  }

  /** Why an execution failed, placed at the innermost line of the document it reached; undefined if it passed. */
  private failureOf(
    execution: Execution,
    interpreter: Interpreter,
    position: DocumentPosition,
    code: string,
    shellLine?: number,
  ): SnippetFailure | undefined {
    if (execution.timedOut) {
      return {
        kind: "timeout",
        message: `timed out after ${seconds(execution.durationMs)} (give the block more: timeout=30s)`,
        position,
      };
    }
    if (execution.oomKilled) return { kind: "memory", message: "ran out of memory", position };
    if (!execution.error && execution.exitCode === 0) return undefined;
    const error = execution.error ?? { name: "Exit", value: `exited with status ${execution.exitCode}`, traceback: "" };
    if (interpreter.context.language === "bash") {
      // Bash reports no line for a failure inside `a && b` or at the block's end: the block is the place then.
      if (shellLine === undefined)
        return { kind: "error", message: `exited with status ${execution.exitCode}`, position };
      return {
        kind: "error",
        message: `exited with status ${execution.exitCode}`,
        position: offset(position, shellLine - 1),
        source: code.split("\n")[shellLine - 1] ?? "",
      };
    }
    const placed = interpreter.origins.placeTraceback(error.traceback, this.path, interpreter.context.language);
    const innermost = placed.innermost ?? { position, source: code.split("\n", 1)[0] ?? "" };
    return {
      kind: "error",
      message: `${error.name}: ${error.value}`,
      position: innermost.position,
      source: innermost.source,
      ...(placed.traceback ? { traceback: placed.traceback } : {}),
    };
  }

  private interpreter(language: Language): Promise<Interpreter> {
    let interpreter = this.interpreters.get(language);
    if (!interpreter) {
      interpreter = this.startInterpreter(language);
      this.interpreters.set(language, interpreter);
    }
    return interpreter;
  }

  private async startInterpreter(language: Language): Promise<Interpreter> {
    const context = await this.sandbox.createContext({
      language,
      ...(this.settings.signal ? { signal: this.settings.signal } : {}),
    });
    const interpreter = { context, origins: new CellOrigins() };
    const setup = this.settings.setup[language];
    if (setup) {
      const { execution, stderr } = await this.execute(interpreter, setup, {
        position: { line: 1 },
        timeoutMs: undefined,
        label: "setup",
      });
      if (execution.error || execution.exitCode !== 0 || execution.timedOut) {
        const reason = execution.error
          ? `${execution.error.name}: ${execution.error.value}`
          : stderr.trim() || `exit status ${execution.exitCode}`;
        throw new SetupFailed(`the ${language} setup code (from the configuration) failed: ${reason}`);
      }
    }
    return interpreter;
  }

  /** Fresh interpreters for every language: nothing earlier blocks defined is left. */
  private async reset(): Promise<void> {
    const running = [...this.interpreters.values()];
    this.interpreters.clear();
    for (const interpreter of running) {
      const started = await interpreter.catch(() => undefined);
      if (started) await this.sandbox.removeContext(started.context);
    }
  }
}

class SetupFailed extends Error {}

/** The failure of a snippet once its expectation is applied: `expect-error` turns a failure into a pass. */
function expectationOf(snippet: Snippet, verdict: StepVerdict): SnippetFailure | undefined {
  const expected = snippet.directives.expectError;
  if (!expected) return verdict.failure;
  if (!verdict.failure) {
    return {
      kind: "expectation",
      message: `was expected to fail${expected.name ? ` with ${expected.name}` : ""}, but it succeeded`,
      position: snippet.position,
    };
  }
  // Only an error can be the expected failure: a block that hangs or runs out of memory is broken either way.
  if (verdict.failure.kind !== "error") return verdict.failure;
  if (!expected.name || failedWith(verdict.failure, expected.name)) return undefined;
  return {
    ...verdict.failure,
    kind: "expectation",
    message: `was expected to fail with ${expected.name}, but: ${verdict.failure.message}`,
  };
}

/** Whether a failure is the expected one: an exception's name, or a shell block's exit status. */
function failedWith(failure: SnippetFailure, name: string): boolean {
  return failure.message.startsWith(`${name}:`) || failure.message === `exited with status ${name}`;
}

function outputMatchOf(snippet: Snippet): OutputMatch {
  return { mode: snippet.directives.match ?? "exact", normalize: snippet.directives.normalize ?? [] };
}

function diffOf(expected: string, actual: string): string {
  const compared = matchOutput(expected, actual, { mode: "exact", normalize: [] });
  return compared.ok ? "" : compared.diff;
}

function indent(text: string): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => `    ${line}\n`)
    .join("");
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
