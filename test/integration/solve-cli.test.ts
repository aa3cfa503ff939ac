import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { DIAGNOSIS_KINDS } from "../../src/loop/index.ts";
import { defaultModelPath } from "../../src/models/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const directory = mkdtempSync(join(tmpdir(), "litmus-solve-"));
/** Runs are recorded in a store of the test's own, never the user's. */
const env: NodeJS.ProcessEnv = { ...process.env, LITMUS_DATA_DIR: join(directory, "data") };
const unavailable =
  sandboxUnavailableReason() ??
  (existsSync(defaultModelPath()) ? null : "the embedded model is not pulled: run `litmus models pull`");

describe("litmus solve: bad usage and bad input (exit 2, one line on stderr)", () => {
  test.each([
    [
      ["solve"],
      'litmus: give the task either in words (litmus solve "write ...") or as a file (--task FILE), not both\n',
    ],
    [["solve", "x", "--lang", "cobol"], 'litmus: --lang must be one of python, javascript, typescript, not "cobol"\n'],
    [
      ["solve", "--generate", "tests"],
      "litmus: --generate tests needs --code FILE: the correct code to write tests for\n",
    ],
    [
      ["solve", "--generate", "docs"],
      "error: option '--generate <what>' argument 'docs' is invalid. expected code or tests, got \"docs\"\n(run with --help for usage)\n",
    ],
    [
      ["solve", "x", "--model", "gpt4"],
      'litmus: invalid model spec "gpt4": unknown provider "gpt4". Known forms: local, local:NAME (see litmus models list), local:PATH.gguf, local:hf:OWNER/REPO:FILE, openai:MODEL, anthropic:MODEL, ollama:MODEL, openai-compatible:MODEL (with --base-url)\n',
    ],
  ])("%j", async (args, stderr) => {
    const run = await litmus(args, { env });
    expect(run).toEqual({ code: 2, stdout: "", stderr });
  });

  test("a task file with a bad field names it", async () => {
    const path = join(directory, "bad.yaml");
    writeFileSync(path, "prompt: x\ntests:\n  asserts: []\n");
    const run = await litmus(["solve", "--task", path], { env });
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: `litmus: ${path}: tests.asserts: Too small: expected array to have >=1 items\n`,
    });
  });

  test("a hosted model without its key is an infrastructure failure (exit 3) naming the variable", async () => {
    const { OPENAI_API_KEY: _, ...withoutKey } = env;
    const run = await litmus(["solve", "x", "--model", "openai:gpt-4o-mini"], { env: withoutKey });
    expect(run).toEqual({
      code: 3,
      stdout: "",
      stderr:
        "litmus: openai models need an API key: set OPENAI_API_KEY in the environment (or use the embedded model: --model local)\n",
    });
  });
});

describe.skipIf(unavailable)(
  `litmus solve on the embedded model, offline${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    test("the README's task end to end: JSON contract, exit code, the run recorded and shown", {
      timeout: 180_000,
    }, async () => {
      const tests = fileURLToPath(new URL("../../examples/odd_indexes_test.py", import.meta.url));
      const out = join(directory, "out");
      const run = await litmus(
        [
          "solve",
          "write a function odd_values_string(s) that removes the characters at odd indexes of s",
          "--tests",
          tests,
          "--max-attempts",
          "2",
          "--out",
          out,
          "--json",
        ],
        { env },
      );
      const outcome = JSON.parse(run.stdout);
      expect(Object.keys(outcome)).toEqual([
        "runId",
        "taskId",
        "model",
        "success",
        "verified",
        "code",
        "attempts",
        "hidden",
        "playbook",
        "usage",
        "durationMs",
      ]);
      // As the README says: the first answer keeps the odd indexes, and the repair passes.
      expect([
        run.code,
        outcome.success,
        outcome.attempts.map((a: { diagnosis: { kind: string } }) => a.diagnosis.kind),
      ]).toEqual([0, true, ["test_failure", "ok"]]);
      expect(outcome.attempts[0].diagnosis.message).toContain("expected 'ace', got 'bdf'");
      expect(outcome.model).toBe("local");
      expect(outcome.verified).toBe(true);
      expect(outcome.playbook).toEqual({ used: [], size: 0 });
      expect(outcome.usage.costUsd).toBe(0);
      expect(outcome.attempts.length).toBeGreaterThanOrEqual(1);
      expect(outcome.attempts.length).toBeLessThanOrEqual(2);
      for (const [index, attempt] of outcome.attempts.entries()) {
        expect(Object.keys(attempt)).toEqual([
          "n",
          "code",
          "execution",
          "diagnosis",
          "usage",
          "durationMs",
          "bullets",
          "cited",
          "generations",
        ]);
        expect([attempt.bullets, attempt.cited]).toEqual([[], []]);
        expect(attempt.n).toBe(index + 1);
        expect(DIAGNOSIS_KINDS).toContain(attempt.diagnosis.kind);
        expect(attempt.usage.outputTokens).toBeGreaterThan(0);
        if (attempt.code !== null) expect(attempt.code).toMatch(/^def odd_values_string\(s\):\n/m);
      }
      expect(outcome.success).toBe(outcome.attempts.at(-1).diagnosis.kind === "ok");
      expect(run.stderr).toMatch(/^model local \(chat prompts\)\nattempt 1\/2\n {2}generating…\n/);

      if (outcome.code !== null) expect(readFileSync(join(out, "solution.py"), "utf8")).toBe(outcome.code);
      expect(JSON.parse(readFileSync(join(out, "metadata.json"), "utf8")).runId).toBe(outcome.runId);

      const list = JSON.parse((await litmus(["runs", "list", "--json"], { env })).stdout);
      expect(list[0]).toMatchObject({ id: outcome.runId, kind: "solve", model: "local", success: outcome.success });
      const shown = await litmus(["runs", "show", outcome.runId.slice(0, 8), "--json"], { env });
      expect(JSON.parse(shown.stdout).outcome).toEqual(outcome);
    });
  },
);

describe.skipIf(unavailable)(
  `litmus solve --generate tests on the embedded model${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    test("every test kept passes on the code; the candidates are reported", { timeout: 180_000 }, async () => {
      const code = join(directory, "mathx.py");
      writeFileSync(code, "def add(a, b):\n    return a + b\n\n\ndef is_even(n):\n    return n % 2 == 0\n");
      const run = await litmus(
        ["solve", "--generate", "tests", "--code", code, "--samples", "2", "--max-tokens", "128", "--json"],
        { env },
      );
      expect([0, 1]).toContain(run.code);
      const generated = JSON.parse(run.stdout);
      expect(generated.candidates).toHaveLength(2);
      expect(run.stderr).toMatch(/^model local: writing tests for .*mathx\.py, 2 samples\nsample 1\/2: generating…\n/);
      if (generated.source !== null) {
        expect(run.code).toBe(0);
        expect(generated.validation.wrongTests).toEqual([]);
        expect(generated.validation.tests.length).toBeGreaterThan(0);
      } else expect(run.stderr).toContain("no good test: every test the model wrote was wrong or caught no mutant");
    });
  },
);

test("runs show with an unknown id is bad input", async () => {
  const run = await litmus(["runs", "show", "nope"], { env });
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(`litmus: no run "nope" in ${join(directory, "data", "runs.db")} (see litmus runs list)\n`);
});
