import { readFileSync } from "node:fs";
import type { Execution } from "../sandbox/index.ts";
import type { TaskLanguage, TaskTests } from "./task.ts";
import { testSourceOf } from "./test-source.ts";

const PYTHON_HARNESS = readFileSync(new URL("./harness/python_tests.py", import.meta.url), "utf8");

/** The kernel's name for the first cell of a context: where the generated code runs. */
export const SOLUTION_CELL_FILE = "<cell-1>";

/** One failed test, as the harness saw it. */
interface TestFailure {
  test: string;
  line: number | null;
  kind: "assertion" | "exception";
  message: string;
  exception: string;
  expected?: string;
  actual?: string;
  /** Frames of the traceback inside the generated code, innermost last. */
  frames: { line: number; code: string }[];
}

/** What the tests said. `passed`/`failed` are counts when the harness counts tests (Python). */
export interface TestReport {
  passed: number | null;
  failed: number | null;
  failures: TestFailure[];
}

/** The code that runs `tests` against the solution already defined in the same kernel. */
export function testCellOf(tests: TaskTests, language: TaskLanguage, entryPoint: string | null): string {
  if (language === "python") {
    const source = testSourceOf(tests, language, entryPoint);
    // A JSON string is a valid Python string literal.
    return `${PYTHON_HARNESS}\n_litmus_run_tests(${JSON.stringify(source)}, globals(), ${JSON.stringify(SOLUTION_CELL_FILE)})\n`;
  }
  const source = testSourceOf(tests, language, entryPoint);
  // A block keeps the tests' own declarations out of the solution's scope; node:assert gives expected/actual.
  return `{\nconst assert = require("node:assert/strict");\n${source}\n}\n`;
}

/** The report of a test cell's execution: the harness's JSON result, or (JavaScript) the first failure. */
export function testReportOf(execution: Execution, language: TaskLanguage): TestReport | null {
  if (language === "python") {
    const json = execution.results.find((result) => result.json !== undefined)?.json;
    return json === undefined ? null : (json as TestReport);
  }
  if (execution.error === null)
    return execution.timedOut || execution.oomKilled ? null : { passed: null, failed: 0, failures: [] };
  if (execution.error.name !== "AssertionError") return null;
  return {
    passed: null,
    failed: 1,
    failures: [
      {
        test: "assert",
        line: null,
        kind: "assertion",
        message: execution.error.value,
        exception: "AssertionError",
        frames: [],
      },
    ],
  };
}
