import { stripTypeScriptTypes } from "node:module";
import { parse } from "acorn";
import type { Language } from "../../sandbox/index.ts";
import { runPythonTool } from "../python-tool.ts";

/**
 * A test file as units: its top-level statements, each a test or something tests need (an import, a helper).
 * Kept or dropped one by one, so a file's good tests survive its wrong ones.
 */
export interface TestUnit {
  source: string;
  /** The name a test runner gives it (JavaScript: the test's title); Python tests are found by line instead. */
  title?: string;
  isTest: boolean;
}

/** What a file may keep besides tests: imports, definitions and assignments, never a bare call that checks nothing. */
const PYTHON_SUPPORT = /^(import |from \S+ import |def |async def |class |@|[A-Za-z_][\w.]*\s*(?::[^=\n]+)?=(?!=))/;
const JAVASCRIPT_SUPPORT = /^(import\b|export\b|(?:async\s+)?function\b|class\b|const\b|let\b|var\b)/;

const PYTHON_UNITS = new URL("./python_test_units.py", import.meta.url);

/** The units of a generated test file, its cut-off tail dropped: Python's `ast` in a sandbox, acorn here. */
export async function testUnitsOf(source: string, language: Language, signal?: AbortSignal): Promise<TestUnit[]> {
  if (language !== "python") return javascriptUnits(source, language === "typescript");
  const units = await runPythonTool(
    PYTHON_UNITS,
    (out) => `_litmus_test_units(${JSON.stringify(source)}, ${JSON.stringify(out)})`,
    "the generated tests",
    signal,
  ).catch(() => []);
  return (Array.isArray(units) ? units : [])
    .filter((unit): unit is string => typeof unit === "string")
    .map((unit) => ({ source: unit, isTest: /^(assert\b|def test_|async def test_|class Test|@)/.test(unit) }))
    .filter((unit) => unit.isTest || PYTHON_SUPPORT.test(unit.source));
}

/** The units as one file, two lines apart, and the lines (1-based, inclusive) each occupies. */
export function joinUnits(units: TestUnit[]): { source: string; ranges: Array<{ start: number; end: number }> } {
  const ranges: Array<{ start: number; end: number }> = [];
  let line = 1;
  for (const unit of units) {
    const lines = unit.source.split("\n").length;
    ranges.push({ start: line, end: line + lines - 1 });
    line += lines + 2;
  }
  return { source: `${units.map((unit) => unit.source).join("\n\n\n")}\n`, ranges };
}

const TEST_CALL = /^(?:test|it|describe)(?:\.\w+)?\(\s*(["'`])((?:\\.|(?!\1).)*)\1/;

function javascriptUnits(source: string, typescript: boolean): TestUnit[] {
  const lines = source.split("\n");
  for (let end = lines.length; end > 0; end--) {
    const text = lines.slice(0, end).join("\n");
    let program: ReturnType<typeof parse>;
    try {
      // TypeScript is parsed with its types blanked out: every position stays where it was.
      program = parse(typescript ? stripTypeScriptTypes(text, { mode: "strip" }) : text, {
        ecmaVersion: "latest",
        sourceType: "module",
      });
    } catch {
      continue;
    }
    return program.body
      .map((statement): TestUnit => {
        const unit = text.slice(statement.start, statement.end);
        const title = TEST_CALL.exec(unit)?.[2];
        return { source: unit, isTest: title !== undefined, ...(title !== undefined ? { title } : {}) };
      })
      .filter((unit) => unit.isTest || JAVASCRIPT_SUPPORT.test(unit.source));
  }
  return [];
}
