import { testsOfTap } from "../tests/tap.ts";

/** What a test run's output says, read from whichever format it is in. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Failing tests by name, with the runner's one-line reason when it gives one. */
  failures: Array<{ name: string; message?: string }>;
}

const PYTEST_LINE = /^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)(?: - (.*))?$/;
const PYTEST_TOTALS = /^=+ (.*\b(?:passed|failed|error|errors|skipped)\b.*) in [\d.]+s.* =+$/;

/**
 * Counts from pytest's `-rA` summary (or its closing totals line), or from TAP (node --test); null when the
 * output is in no format litmus reads: then only the exit status says how the run went.
 */
export function readTestResults(output: string): TestCounts | null {
  return pytestResults(output) ?? tapResults(output);
}

function pytestResults(output: string): TestCounts | null {
  const lines = output.split("\n");
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  let seen = false;
  for (const line of lines) {
    // "SKIPPED [2] tests/test_x.py:31: reason" stands for 2 tests.
    const skipped = /^SKIPPED \[(\d+)\] /.exec(line);
    if (skipped) {
      seen = true;
      counts.skipped += Number(skipped[1]);
      continue;
    }
    const match = PYTEST_LINE.exec(line.trimEnd());
    if (!match) continue;
    seen = true;
    const [, status, name, message] = match;
    if (status === "PASSED" || status === "XFAIL" || status === "XPASS") counts.passed++;
    else {
      counts.failed++;
      counts.failures.push({ name: name ?? "", ...(message ? { message } : {}) });
    }
  }
  if (seen) return counts;
  // Without -rA: the totals line, "==== 2 failed, 10 passed, 1 skipped in 0.52s ====".
  const totals = lines.map((line) => PYTEST_TOTALS.exec(line.trim())).find(Boolean);
  if (!totals) return null;
  const count = (word: RegExp) => Number(word.exec(totals[1] ?? "")?.[1] ?? 0);
  return {
    passed: count(/(\d+) passed/),
    failed: count(/(\d+) failed/) + count(/(\d+) errors?/),
    skipped: count(/(\d+) skipped/),
    failures: [],
  };
}

function tapResults(output: string): TestCounts | null {
  const tests = testsOfTap(output);
  if (tests.length === 0) return null;
  const failed = tests.filter((test) => !test.passed);
  return {
    passed: tests.length - failed.length,
    failed: failed.length,
    skipped: 0,
    failures: failed.map((test) => ({ name: test.name, ...(test.message ? { message: test.message } : {}) })),
  };
}
