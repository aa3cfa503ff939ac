import { describe, expect, test } from "vitest";
import { javascriptMutants } from "../../src/check/tests/js-mutants.ts";
import { testsOfTap } from "../../src/check/tests/tap.ts";
import { joinUnits, testUnitsOf } from "../../src/check/tests/test-units.ts";

describe("reading node --test's TAP", () => {
  test("leaf tests named after their suites, with the failure's message and line; skips left out", () => {
    const tap = [
      "TAP version 13",
      "# Subtest: clamp",
      "    # Subtest: inside",
      "    ok 1 - inside",
      "      ---",
      "      duration_ms: 0.4",
      "      ...",
      "    # Subtest: outside",
      "    not ok 2 - outside",
      "      ---",
      "      duration_ms: 0.9",
      "      location: '/home/user/calc.test.mjs:11:3'",
      "      failureType: 'testCodeFailure'",
      "      error: |-",
      "        Expected values to be strictly equal:",
      "        ",
      "        10 !== 20",
      "        ",
      "      code: 'ERR_ASSERTION'",
      "      ...",
      "    1..2",
      "not ok 1 - clamp",
      "  ---",
      "  duration_ms: 2",
      "  ...",
      "# Subtest: it''s \\# fine",
      "ok 2 - it's \\# fine",
      "  ---",
      "  duration_ms: 0.1",
      "  ...",
      "ok 3 - later # SKIP not yet",
      "1..3",
    ].join("\n");
    expect(testsOfTap(tap)).toEqual([
      { name: "clamp > inside", line: null, passed: true },
      {
        name: "clamp > outside",
        line: 11,
        passed: false,
        message: "Expected values to be strictly equal: 10 !== 20",
      },
      { name: "it's # fine", line: null, passed: true },
    ]);
  });
});

describe("JavaScript and TypeScript mutants", () => {
  test("operators, constants and return values, one per site, in source order", () => {
    const source =
      'import { x } from "./x.js";\n"use strict";\nexport function f(a, b) {\n  if (a < b && !done) return a + 1;\n  return require("m");\n}\n';
    const mutants = javascriptMutants(source, "javascript", "f.js");
    expect(mutants.map((mutant) => [mutant.line, mutant.description])).toEqual([
      [4, "a < b && !done: && -> ||"],
      [4, "a < b: < -> <="],
      [4, "!done: ! -> "],
      [4, "return a + 1;: a + 1 -> undefined"],
      [4, "a + 1: + -> -"],
      [4, "1: 1 -> 2"],
      [5, 'return require("m");: require("m") -> undefined'],
    ]);
    expect(mutants[4]?.source).toContain("if (a < b && !done) return a - 1;");
  });

  test("TypeScript keeps its types: the mutant is the original text with one change", () => {
    const source = "export const half = (n: number): number => n / 2;\n";
    const [operator, constant] = javascriptMutants(source, "typescript", "half.ts");
    expect(operator?.source).toBe("export const half = (n: number): number => n * 2;\n");
    expect(constant?.source).toBe("export const half = (n: number): number => n / 3;\n");
  });

  test("unparsable code is bad input naming the file", () => {
    expect(() => javascriptMutants("function (", "javascript", "broken.js")).toThrow(/^broken\.js cannot be parsed: /);
  });
});

describe("a generated test file as units", () => {
  test("JavaScript: the cut-off tail dropped, tests by title, bare calls left out", async () => {
    const source = [
      'import assert from "node:assert/strict";',
      'import { test } from "node:test";',
      'import { slug } from "./slug.mjs";',
      'slug("x");',
      'test("joins words", () => assert.equal(slug("a b"), "a-b"));',
      "test('drops ends', () => {",
      '  assert.equal(slug(" a "), "a");',
      "});",
      'test("cut off", () => { assert.equal(slug(',
    ].join("\n");
    const units = await testUnitsOf(source, "javascript");
    expect(units.map((unit) => [unit.isTest, unit.title ?? null])).toEqual([
      [false, null],
      [false, null],
      [false, null],
      [true, "joins words"],
      [true, "drops ends"],
    ]);
    const { source: joined, ranges } = joinUnits(units.slice(3));
    expect(ranges).toEqual([
      { start: 1, end: 1 },
      { start: 4, end: 6 },
    ]);
    expect(joined.split("\n")[3]).toBe("test('drops ends', () => {");
  });
});
