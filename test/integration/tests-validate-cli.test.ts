import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { TestValidation } from "../../src/check/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/tests-validate");
const unavailable = sandboxUnavailableReason();

async function validate(args: string[], cwd = FIXTURES) {
  const run = await litmus(["tests", "validate", ...args, "--json"], { cwd });
  return { code: run.code, validation: JSON.parse(run.stdout) as TestValidation, stderr: run.stderr };
}

describe.skipIf(unavailable)(`litmus tests validate (${unavailable ?? "real sandboxes"})`, { timeout: 120_000 }, () => {
  test("Python: a wrong test, a weak one, parametrized and pytest.raises tests, mutants caught and missed", async () => {
    const { code, validation } = await validate(["--tests", "calc_test.py", "--impl", "calc.py"]);
    expect(code).toBe(1);
    expect(validation.wrongTests).toEqual(["test_average_wrong"]);
    expect(validation.tests.find((test) => test.name === "test_average_wrong")?.message).toBe(
      "assert average([2, 4]) == 4: expected 4, got 3.0",
    );
    expect(validation.weakTests).toEqual(["test_clamp_exists"]);
    expect(validation.tests.map((test) => test.name)).toEqual([
      "assert is_leap(2000)",
      "test_clamp[0]",
      "test_clamp[1]",
      "test_clamp[2]",
      "test_clamp[3]",
      "test_clamp[4]",
      "test_average",
      "test_average_of_nothing_raises",
      "test_leap_years",
      "test_average_wrong",
      "test_clamp_exists",
    ]);
    // The boundary mutants of clamp are equivalent (value == low returns low either way): they survive.
    expect(
      validation.mutants.filter((mutant) => mutant.status === "survived").map((mutant) => mutant.description),
    ).toEqual(["value < low -> value <= low", "value > high -> value >= high", "'average of nothing' -> ''"]);
    expect(validation.mutants.find((mutant) => mutant.description === "return low -> return None")?.killedBy).toEqual([
      "test_clamp[0]",
    ]);
    expect([validation.mutantSites, validation.mutants.length, validation.mutationScore]).toEqual([24, 24, 21 / 24]);
  });

  test("JavaScript with node:test: suites, a wrong and a weak test; a sample of the mutants", async () => {
    const { code, validation } = await validate(["--tests", "calc.test.mjs", "--impl", "calc.mjs", "--mutants", "5"]);
    expect(code).toBe(1);
    expect(validation.tests.map((test) => [test.name, test.reference])).toEqual([
      ["clamp > keeps values inside the range", "passed"],
      ["clamp > limits values outside it", "passed"],
      ["leap years", "passed"],
      ["a wrong expectation", "failed"],
      ["a weak check", "passed"],
    ]);
    expect(validation.tests[3]).toMatchObject({ line: 21, message: "Expected values to be strictly equal: 10 !== 20" });
    expect([validation.mutantSites, validation.mutants.length]).toEqual([20, 5]);
  });

  test("good tests on TypeScript pass, and a mutant that hangs counts as caught", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-validate-"));
    writeFileSync(
      join(dir, "count.ts"),
      "export function countUp(n: number): number {\n  let i = 0;\n  while (i < n) i += 1;\n  return i;\n}\n",
    );
    writeFileSync(
      join(dir, "count.test.ts"),
      'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { countUp } from "./count.ts";\n\ntest("counts", () => {\n  assert.equal(countUp(3), 3);\n  assert.equal(countUp(0), 0);\n});\n',
    );
    const { code, validation } = await validate(
      ["--tests", "count.test.ts", "--impl", "count.ts", "--min-score", "0.5"],
      dir,
    );
    expect(code).toBe(0);
    expect(validation.wrongTests).toEqual([]);
    const hung = validation.mutants.find((mutant) => mutant.description === "i += 1: += -> -=");
    expect(hung?.status).toBe("timeout");
    expect(validation.mutationScore).toBeGreaterThanOrEqual(0.5);
  });

  test("tests that cannot run, and bad input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-validate-"));
    writeFileSync(join(dir, "impl.py"), "def f():\n    return 1\n");
    writeFileSync(join(dir, "broken_test.py"), "def test_f(:\n    pass\n");
    const broken = await validate(["--tests", "broken_test.py", "--impl", "impl.py"], dir);
    expect([broken.code, broken.validation.broken, broken.validation.mutants]).toEqual([
      1,
      "the tests are invalid: line 1: invalid syntax",
      [],
    ]);
    const missing = await litmus(["tests", "validate", "--tests", "nope.py", "--impl", "impl.py"], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([2, "litmus: cannot read the tests file nope.py: no such file\n"]);
    const language = await litmus(["tests", "validate", "--tests", "broken_test.py", "--impl", "impl.rb"], {
      cwd: dir,
    });
    expect([language.code, language.stderr]).toEqual([
      2,
      "litmus: impl.rb: cannot tell the language; use a .py, .js, .mjs, .cjs, .ts or .mts file\n",
    ]);
  });
});
