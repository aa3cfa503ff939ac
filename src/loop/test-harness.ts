import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Execution } from "../sandbox/index.ts";
import type { TaskLanguage, TaskTests } from "./task.ts";
import { testSourceOf } from "./test-source.ts";

let pythonHarness: string | undefined;

/** The harness source, read when first needed: every command loads this module, few run tests. */
function pythonHarnessSource(): string {
  pythonHarness ??= readFileSync(new URL("./harness/python_tests.py", import.meta.url), "utf8");
  return pythonHarness;
}

/** The kernel's name for the first cell of a context: where the generated code runs. */
export const SOLUTION_CELL_FILE = "<cell-1>";

const TestFailureSchema = z.object({
  test: z.string(),
  line: z.number().nullable(),
  kind: z.enum(["assertion", "exception", "timeout"]),
  message: z.string(),
  exception: z.string(),
  expected: z.string().optional(),
  actual: z.string().optional(),
  /** Frames of the traceback inside the generated code, innermost last. */
  frames: z.array(z.object({ line: z.number(), code: z.string() })),
  /** Where a check written for the harness failed (which input, say). */
  details: z.record(z.string(), z.unknown()).optional(),
});

const TestReportSchema = z.object({
  passed: z.number().nullable(),
  failed: z.number().nullable(),
  failures: z.array(TestFailureSchema),
  /** The tests themselves are broken (cannot be parsed, define no test): the task's fault, not the code's. */
  invalid: z.string().optional(),
  /** Every test the harness ran, in order, passed or not (Python). */
  tests: z.array(z.object({ test: z.string(), line: z.number().nullable(), passed: z.boolean() })).optional(),
});

/** What the tests said. `passed`/`failed` are counts when the harness counts tests (Python). */
export type TestReport = z.infer<typeof TestReportSchema>;

/** The Python test harness as a module to preload into a sandbox (`SandboxOptions.preload`). */
export function pythonHarnessModule(): { name: string; source: string } {
  return { name: PYTHON_HARNESS_MODULE, source: pythonHarnessSource() };
}

const PYTHON_HARNESS_MODULE = "_litmus_tests";

/**
 * The code that runs `tests` against the solution already defined in the same kernel. `harness: "preloaded"`
 * calls the harness the sandbox imported at start (pythonHarnessModule) instead of defining it in the cell:
 * compiling it costs a fresh interpreter about 8 ms.
 */
export function testCellOf(
  tests: TaskTests,
  language: TaskLanguage,
  entryPoint: string | null,
  options: { harness?: "inline" | "preloaded" } = {},
): string {
  if (language === "python") {
    const source = testSourceOf(tests, language, entryPoint);
    // A JSON string is a valid Python string literal.
    const call = `(${JSON.stringify(source)}, globals(), ${JSON.stringify(SOLUTION_CELL_FILE)})`;
    if (options.harness === "preloaded") {
      // Through sys.modules, not an import: a file the code wrote in the workspace cannot stand in for it.
      return `import sys as _litmus_sys\n_litmus_sys.modules[${JSON.stringify(PYTHON_HARNESS_MODULE)}]._litmus_run_tests${call}\n`;
    }
    return `${pythonHarnessSource()}\n_litmus_run_tests${call}\n`;
  }
  const source = testSourceOf(tests, language, entryPoint);
  // A block keeps the tests' own declarations out of the solution's scope; node:assert gives expected/actual.
  return `{\nconst assert = require("node:assert/strict");\n${source}\n}\n`;
}

/** The report of a test cell's execution: the harness's JSON result, or (JavaScript) the first failure. */
export function testReportOf(execution: Execution, language: TaskLanguage): TestReport | null {
  if (language === "python") {
    // Validated: the report comes out of the sandbox, next to untrusted code.
    const parsed = TestReportSchema.safeParse(execution.results.find((result) => result.json !== undefined)?.json);
    return parsed.success ? parsed.data : null;
  }
  if (execution.error === null)
    return execution.timedOut || execution.oomKilled ? null : { passed: null, failed: 0, failures: [] };
  // The code ran on its own, so a test cell that does not even compile is the tests' fault.
  if (execution.error.name === "SyntaxError") {
    return { passed: null, failed: null, failures: [], invalid: `${execution.error.name}: ${execution.error.value}` };
  }
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
