import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { detectRunner } from "../../src/check/project/detect-runner.ts";
import { readTestResults } from "../../src/check/project/read-results.ts";

describe("reading a test run's output", () => {
  test("pytest -rA: every outcome, skips by count, failures with their reason", () => {
    const output = [
      "....Fs    [100%]",
      "=========================== short test summary info ============================",
      "PASSED tests/test_shop.py::test_total",
      "PASSED tests/test_shop.py::test_discount[0.1]",
      "SKIPPED [2] tests/test_shop.py:31: not on this machine",
      "XFAIL tests/test_shop.py::test_known - flaky",
      "FAILED tests/test_shop.py::test_wrong_rounding - assert 0.3 == 0.31",
      "ERROR tests/test_db.py::test_connect - ConnectionError",
      "2 failed, 3 passed, 2 skipped in 0.02s",
    ].join("\n");
    expect(readTestResults(output)).toEqual({
      passed: 3,
      failed: 2,
      skipped: 2,
      failures: [
        { name: "tests/test_shop.py::test_wrong_rounding", message: "assert 0.3 == 0.31" },
        { name: "tests/test_db.py::test_connect", message: "ConnectionError" },
      ],
    });
  });

  test("pytest without -rA: the totals line", () => {
    expect(readTestResults("...F\n===== 1 failed, 3 passed, 1 skipped, 2 errors in 0.52s =====\n")).toEqual({
      passed: 3,
      failed: 3,
      skipped: 1,
      failures: [],
    });
  });

  test("TAP from node --test; output in no known format gives no counts", () => {
    expect(readTestResults("TAP version 13\nok 1 - a\nnot ok 2 - b\n1..2\n")).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      failures: [{ name: "b" }],
    });
    expect(readTestResults("All good!\n")).toBeNull();
  });
});

describe("detecting a project's test runner", () => {
  const project = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-project-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  test("npm test, pytest, node --test and go test, from the files that are there", () => {
    expect(detectRunner(project({ "package.json": '{"scripts": {"test": "vitest run"}}' })).name).toBe("npm-test");
    expect(detectRunner(project({ "src/app/tests/test_app.py": "" })).name).toBe("pytest");
    expect(detectRunner(project({ "pyproject.toml": "" })).name).toBe("pytest");
    expect(detectRunner(project({ "test/slug.test.mjs": "", "package.json": "{}" })).name).toBe("node-test");
    expect(detectRunner(project({ "go.mod": "module x" })).name).toBe("go-test");
  });

  test("npm's placeholder test script and dependencies' tests do not count; nothing found says what to do", () => {
    const dir = project({
      "package.json": '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}',
      "node_modules/dep/test_dep.py": "",
    });
    expect(() => detectRunner(dir)).toThrow(
      `no test runner found in ${dir} (no pytest configuration or test files, no package.json test script, no *.test.js, no go.mod): give the command after --, like: litmus test ${dir} -- make test`,
    );
  });
});
