import { basename } from "node:path";
import { testCellOf, testReportOf } from "../../loop/index.ts";
import { type Language, SANDBOX_NODE, Sandbox } from "../../sandbox/index.ts";
import { shellWord } from "../shell-word.ts";
import { testsOfTap } from "./tap.ts";

/** One test of a suite, and how it went. */
export interface TestOutcome {
  name: string;
  /** Its line in the test file, when known. */
  line: number | null;
  passed: boolean;
  message?: string;
}

/** A test file and the implementation it tests, as files: their names are how the tests import the code. */
export interface SuiteFiles {
  language: Language;
  tests: { name: string; source: string };
  impl: { name: string; source: string };
}

/** What running a suite gave: every test's outcome, or why the suite could not run at all. */
export interface SuiteRun {
  tests: TestOutcome[];
  /** The suite did not run: the implementation does not load, the tests do not parse or define no test. */
  broken?: string;
  timedOut: boolean;
  durationMs: number;
}

export interface SuiteOptions {
  timeoutMs: number;
  memoryBytes?: number;
  signal?: AbortSignal;
}

/**
 * Runs a test file against an implementation in a fresh sandbox: Python through litmus's harness (top-level
 * asserts, test_* functions, Test* classes, `@pytest.mark.parametrize`), in a namespace where the
 * implementation has run and next to it as a module (`from calc import add` works too); JavaScript and
 * TypeScript through Node's test runner, the two files side by side.
 */
export async function runSuite(files: SuiteFiles, options: SuiteOptions): Promise<SuiteRun> {
  const started = performance.now();
  await using sandbox = await Sandbox.create({
    language: files.language === "python" ? "python" : "javascript",
    timeoutMs: 0,
    limits: {
      execTimeoutMs: options.timeoutMs,
      ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await sandbox.files.write(basename(files.impl.name), files.impl.source);
  await sandbox.files.write(basename(files.tests.name), files.tests.source);
  const run =
    files.language === "python" ? await runPython(sandbox, files, options) : await runNode(sandbox, files, options);
  return { ...run, durationMs: performance.now() - started };
}

async function runPython(
  sandbox: Sandbox,
  files: SuiteFiles,
  options: SuiteOptions,
): Promise<Omit<SuiteRun, "durationMs">> {
  const run = { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const loaded = await sandbox.runCode(files.impl.source, run);
  if (loaded.timedOut) return { tests: [], timedOut: true, broken: "the implementation did not finish loading" };
  if (loaded.error) {
    return {
      tests: [],
      timedOut: false,
      broken: `the implementation fails to load: ${loaded.error.name}: ${loaded.error.value}`,
    };
  }
  const execution = await sandbox.runCode(testCellOf({ kind: "code", code: files.tests.source }, "python", null), run);
  if (execution.timedOut || execution.oomKilled) {
    return {
      tests: [],
      timedOut: execution.timedOut,
      broken: execution.oomKilled ? "the tests ran out of memory" : "the tests did not finish",
    };
  }
  const report = testReportOf(execution, "python");
  if (!report)
    return {
      tests: [],
      timedOut: false,
      broken: `the tests crashed: ${execution.error?.name}: ${execution.error?.value}`,
    };
  if (report.invalid) return { tests: [], timedOut: false, broken: `the tests are invalid: ${report.invalid}` };
  const messages = new Map(report.failures.map((failure) => [`${failure.test}\0${failure.line}`, failure.message]));
  const tests = (report.tests ?? []).map(({ test, line, passed }): TestOutcome => {
    const message = messages.get(`${test}\0${line}`);
    return { name: test, line, passed, ...(message && !passed ? { message } : {}) };
  });
  return { tests, timedOut: false };
}

async function runNode(
  sandbox: Sandbox,
  files: SuiteFiles,
  options: SuiteOptions,
): Promise<Omit<SuiteRun, "durationMs">> {
  const command = `${SANDBOX_NODE} --test --test-reporter=tap ${shellWord(`./${basename(files.tests.name)}`)}`;
  const result = await sandbox.commands.run(command, {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.timedOut) return { tests: [], timedOut: true, broken: "the tests did not finish" };
  const tests = testsOfTap(result.stdout);
  if (tests.length === 0) {
    const why =
      result.stderr.trim().split("\n").slice(-3).join(" ") || `node --test exited with status ${result.exitCode}`;
    return { tests: [], timedOut: false, broken: `no test ran: ${why}` };
  }
  return { tests, timedOut: false };
}
