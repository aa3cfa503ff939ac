import { describe, expect, test } from "vitest";
import { LitmusError } from "../../src/errors.ts";
import { checkCode, parseTask, type SolveEvent, solve, type Task } from "../../src/loop/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const unavailable = sandboxUnavailableReason();

const task: Task = await parseTask(
  {
    id: "add",
    prompt: "Write add(a, b) that returns the sum of a and b.",
    entryPoint: "add",
    tests: { asserts: ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"] },
    hiddenTests: { asserts: ["assert add(10, 20) == 30"] },
    limits: { timeout: "3s" },
  },
  { source: "test" },
);

describe.skipIf(unavailable)(
  `diagnosis of real runs in the sandbox${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    test.each([
      [
        "def add(a, b):\n    return a + b\n",
        { kind: "ok", message: "all 2 tests passed", tests: { passed: 2, failed: 0 } },
      ],
      [
        "def add(a, b)\n    return a + b\n",
        { kind: "syntax", message: "SyntaxError: expected ':' (line 1: def add(a, b))", line: 1 },
      ],
      [
        "import numpyy\ndef add(a, b):\n    return a + b\n",
        { kind: "import", message: "ModuleNotFoundError: No module named 'numpyy' (line 1: import numpyy)", line: 1 },
      ],
      [
        "def add(a, b):\n    return a - b\n",
        {
          kind: "test_failure",
          message: "assert add(1, 2) == 3: expected 3, got -1 (2 of 2 tests failed)",
          expected: "3",
          actual: "-1",
          tests: { passed: 0, failed: 2 },
        },
      ],
      [
        "def add(a, b):\n    total = a + b\n    return total / 0\n",
        {
          kind: "runtime",
          message:
            "assert add(1, 2) == 3 raised ZeroDivisionError: division by zero\n  at line 3: return total / 0 (2 of 2 tests failed)",
          line: 3,
          tests: { passed: 0, failed: 2 },
        },
      ],
      [
        "def add(a, b):\n    while True:\n        pass\n",
        { kind: "timeout", message: expect.stringMatching(/^the tests did not finish within the time limit/) },
      ],
      ["x = bytearray(2 * 1024 ** 3)\n", { kind: "memory", message: "the code ran out of memory" }],
      // An exit with status 0 is no error, but the tests never run: the code fails (as in EvalPlus).
      [
        "def add(a, b):\n    return a + b\n\nimport sys\nsys.exit(0)\n",
        {
          kind: "runtime",
          message: "the code exited (SystemExit: sys.exit or exit at its top level) before it could be tested",
        },
      ],
      [
        "def add(a, b):\n    raise SystemExit(0)\n",
        {
          kind: "runtime",
          message:
            "assert add(1, 2) == 3 raised SystemExit: the code called exit (status 0)\n  at line 2: raise SystemExit(0) (2 of 2 tests failed)",
          line: 2,
          tests: { passed: 0, failed: 2 },
        },
      ],
    ])("%j", async (code, diagnosis) => {
      const checked = await checkCode(
        code,
        { ...task, limits: { timeoutMs: 2000, memoryBytes: 256 * 1024 * 1024 } },
        task.tests,
      );
      expect(checked.diagnosis).toEqual(diagnosis);
    });

    test.each([
      [
        "test_* functions",
        "def test_small():\n    assert add(1, 1) == 2\n\ndef test_big():\n    assert add(2, 2) == 4\n",
        "def add(a, b):\n    return 2\n",
        { message: "assert add(2, 2) == 4: expected 4, got 2 (1 of 2 tests failed)", expected: "4", actual: "2" },
        "PASS test_small\nFAIL test_big: AssertionError: assert add(2, 2) == 4: expected 4, got 2\n",
      ],
      [
        "Test* classes, a fresh instance per test",
        "class TestAdd:\n    def test_small(self):\n        assert add(1, 1) == 2\n    def test_wrong(self):\n        assert add(2, 2) == 5\n",
        "def add(a, b):\n    return a + b\n",
        { message: "assert add(2, 2) == 5: expected 5, got 4 (1 of 2 tests failed)", expected: "5", actual: "4" },
        "PASS TestAdd.test_small\nFAIL TestAdd.test_wrong: AssertionError: assert add(2, 2) == 5: expected 5, got 4\n",
      ],
    ])("pytest style: %s, expected and actual from inside the test", async (_name, code, solution, failure, stdout) => {
      const checked = await checkCode(solution, task, { kind: "code", code });
      expect(checked.diagnosis).toEqual({ kind: "test_failure", ...failure, tests: { passed: 1, failed: 1 } });
      expect(checked.execution.stdout).toBe(stdout);
    });

    test("a test with a huge literal is reported with its middle cut out, so a repair prompt stays small", async () => {
      const big = `[${Array.from({ length: 5000 }, (_, index) => index).join(", ")}]`;
      const checked = await checkCode("def add(a, b):\n    return []\n", task, {
        kind: "code",
        code: `assert add(${big}, []) == ${big}\n`,
      });
      const { diagnosis } = checked;
      expect(diagnosis.kind).toBe("test_failure");
      expect(diagnosis.message.length).toBeLessThan(1000);
      expect(diagnosis.message).toMatch(
        /^assert add\(\[0, 1, 2, .+ \.\.\. .+, 4999\] \(57800 characters\): expected \[0, 1, 2, .+ \.\.\. .+, 4999\] \(28890 characters\), got \[\] \(1 of 1 tests failed\)$/,
      );
      expect(diagnosis.expected).toMatch(/^\[0, 1, 2, .* \.\.\. .*4998, 4999\] \(28890 characters\)$/);
      expect(diagnosis.actual).toBe("[]");
    });

    test("without tests, success is only that the code ran, and says so", async () => {
      const checked = await checkCode("print('hi')\n", task, null);
      expect(checked.diagnosis).toEqual({ kind: "ok", message: "the code ran without error (no tests: unverified)" });
      expect(checked.execution.stdout).toBe("hi\n");
    });

    test("JavaScript tests with node:assert and input/output examples", async () => {
      const js: Task = {
        ...task,
        language: "javascript",
        tests: {
          kind: "examples",
          examples: [
            { input: [1, 2], output: 3 },
            { input: [[1], [2]], output: [1, 2] },
          ],
        },
      };
      const passing = await checkCode(
        "function add(a, b) { return Array.isArray(a) ? [...a, ...b] : a + b; }\n",
        js,
        js.tests,
      );
      expect(passing.diagnosis.kind).toBe("ok");
      const failing = await checkCode("function add(a, b) { return a + b; }\n", js, js.tests);
      expect(failing.diagnosis).toEqual({
        kind: "test_failure",
        message: "Expected values to be strictly deep-equal:\n+ actual - expected\n\n+ '12'\n- [\n-   1,\n-   2\n- ]\n",
        tests: { passed: null, failed: 1 },
      });
      const crashing = await checkCode(
        "function add(a, b) {\n  const pair = null;\n  return pair.first + a;\n}\n",
        js,
        js.tests,
      );
      expect(crashing.diagnosis).toEqual({
        kind: "runtime",
        message: "TypeError: Cannot read properties of null (reading 'first') (line 3: return pair.first + a;)",
        line: 3,
      });
    });
  },
);

describe.skipIf(unavailable)(`the repair loop${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  test("feeds the failure back, stops when the tests pass, scores hidden tests and records the run", async () => {
    const { model, fake } = scripted([
      "I think this is it.",
      "```python\ndef add(a, b):\n    return a - b\n```",
      "```python\ndef add(a, b):\n    return a + b\n```",
      "never asked for",
    ]);
    using store = RunStore.open(":memory:");
    const events: string[] = [];
    const outcome = await solve(task, { model, maxAttempts: 4, store, onEvent: (event) => events.push(event.type) });

    expect(outcome.success).toBe(true);
    expect(outcome.verified).toBe(true);
    expect(outcome.code).toBe("def add(a, b):\n    return a + b\n");
    expect(outcome.attempts.map((attempt) => attempt.diagnosis.kind)).toEqual(["no_code", "test_failure", "ok"]);
    expect(outcome.hidden).toEqual({ kind: "ok", message: "all 1 tests passed", tests: { passed: 1, failed: 0 } });
    expect(outcome.usage).toMatchObject({ inputTokens: 30, outputTokens: 15 });
    expect(outcome.usage.costUsd).toBeCloseTo((30 * 1 + 15 * 2) / 1e6, 12);
    expect(fake.calls).toHaveLength(3);
    expect(userText(fake.calls[1])).toContain("The previous answer had no code in it.");
    expect(userText(fake.calls[2])).toContain(
      "This previous attempt failed:\ndef add(a, b):\n    return a - b\nFailure (test_failure): assert add(1, 2) == 3: expected 3, got -1 (2 of 2 tests failed)",
    );
    expect(userText(fake.calls[0])).not.toContain("add(10, 20)");
    expect(fake.calls.map((call) => call.temperature)).toEqual([0, 0.8, 0.8]);
    expect(events.filter((type) => type === "attempt-start")).toHaveLength(3);
    expect(events.at(-1)).toBe("hidden-tests-end");

    const stored = store.get(outcome.runId);
    if (stored === null) throw new Error("the run was not recorded");
    expect(stored.summary).toMatchObject({ taskId: "add", model: "scripted:test", success: true, attempts: 3 });
    expect((stored.document as { outcome: unknown }).outcome).toEqual(JSON.parse(JSON.stringify(outcome)));
  });

  test("a run cut short by a failing model is still recorded, with the attempts it finished", async () => {
    const { model } = scripted([
      "```python\ndef add(a, b):\n    return 0\n```",
      new Error("the model server fell over"),
    ]);
    using store = RunStore.open(":memory:");
    await expect(solve(task, { model, maxAttempts: 3, store })).rejects.toMatchObject({
      code: "INTERNAL",
      message: "scripted:test failed: the model server fell over",
    });
    const [summary] = store.list();
    expect(summary).toMatchObject({ taskId: "add", success: false, attempts: 1 });
    const document = store.get(summary?.id ?? "")?.document as { error: string; outcome: { attempts: unknown[] } };
    expect(document.error).toBe("scripted:test failed: the model server fell over");
    expect(document.outcome.attempts).toHaveLength(1);
  });

  test("a completion model continues the signature; backslashes in the task cannot break the docstring", async () => {
    const windows = await parseTask(
      {
        prompt: "Write is_palindrome(s). Paths like C:\\Users\\me and \\x are plain text.",
        tests: { asserts: ["assert is_palindrome('aba') == True"] },
      },
      { source: "test" },
    );
    const { model, fake } = scripted(["    return s == s[::-1]\n"], "completion");
    const outcome = await solve(windows, { model, maxAttempts: 1 });
    expect(outcome.attempts[0]?.diagnosis.kind).toBe("ok");
    expect(outcome.code).toMatch(/^def is_palindrome\(s\):\n {4}"""Write is_palindrome\(s\)\. Paths like C:\\\\Users/);
    expect(fake.calls[0]?.stopSequences).toContain("\ndef ");
  });

  test("timeoutMs bounds the whole run; the attempts made are recorded", async () => {
    // Each attempt is new code (a repeat would be drawn again) and slow when the tests call it.
    const { model } = scripted(
      Array.from(
        { length: 50 },
        (_, index) => `\`\`\`python\nimport time\ndef add(a, b):\n    time.sleep(0.2)\n    return -${index}\n\`\`\``,
      ),
    );
    using store = RunStore.open(":memory:");
    await expect(solve(task, { model, maxAttempts: 50, timeoutMs: 1500, store })).rejects.toMatchObject({
      code: "ABORTED",
    });
    const [summary] = store.list();
    expect(summary?.success).toBe(false);
    expect(summary?.attempts).toBeGreaterThanOrEqual(1);
    expect(summary?.attempts).toBeLessThan(50);
  });

  test("gives up after maxAttempts and returns the last code, unsolved", async () => {
    const { model } = scripted(Array(2).fill("```python\ndef add(a, b):\n    return 0\n```"));
    const outcome = await solve(task, { model, maxAttempts: 2 });
    expect(outcome.success).toBe(false);
    expect(outcome.attempts).toHaveLength(2);
    expect(outcome.code).toBe("def add(a, b):\n    return 0\n");
    expect(outcome.hidden?.kind).toBe("test_failure");
  });

  test("a repair whose prompt is too long for the model ends the loop with the attempts made; a first one is an error", async () => {
    const tooLong = () =>
      new LitmusError(
        "PROMPT_TOO_LONG",
        "the prompt (3742 tokens) does not fit the local model's context of 2048 tokens",
      );
    const { model } = scripted(["```python\ndef add(a, b):\n    return 0\n```", tooLong()]);
    const events: SolveEvent[] = [];
    const outcome = await solve(task, { model, maxAttempts: 3, onEvent: (event) => events.push(event) });
    expect(outcome.success).toBe(false);
    expect(outcome.attempts.map((attempt) => attempt.diagnosis.kind)).toEqual(["test_failure"]);
    expect(outcome.code).toBe("def add(a, b):\n    return 0\n");
    expect(events).toContainEqual({
      type: "repairs-stopped",
      n: 2,
      reason: expect.stringMatching(/^the prompt \(3742 tokens\)/),
    });

    const first = scripted([tooLong()]);
    await expect(solve(task, { model: first.model, maxAttempts: 3 })).rejects.toMatchObject({
      code: "PROMPT_TOO_LONG",
    });
  });

  test("a repair that repeats earlier code is drawn again, hotter, until it is new (or 3 redraws are spent)", async () => {
    const wrong = "```python\ndef add(a, b):\n    return 0\n```";
    // Attempt 2 repeats attempt 1 (with other blank lines) and is drawn again; attempt 3 repeats four times.
    const { model, fake } = scripted([
      wrong,
      "```python\ndef add(a, b):\n\n    return 0   \n```",
      "```python\ndef add(a, b):\n    return a - b\n```",
      wrong,
      wrong,
      wrong,
      wrong,
    ]);
    const outcome = await solve(task, { model, maxAttempts: 3 });
    expect(outcome.attempts.map((attempt) => attempt.code)).toEqual([
      "def add(a, b):\n    return 0\n",
      "def add(a, b):\n    return a - b\n",
      "def add(a, b):\n    return 0\n",
    ]);
    expect(fake.calls.map((call) => Math.round((call.temperature ?? -1) * 10) / 10)).toEqual([
      0, 0.8, 1, 0.8, 1, 1.2, 1.4,
    ]);
    expect(new Set(fake.calls.map((call) => call.seed)).size).toBe(7);
    // The redraw is told what failed but not shown the code it copied.
    expect(userText(fake.calls[1])).toContain("This previous attempt failed:\ndef add(a, b):\n    return 0");
    expect(userText(fake.calls[2])).toContain("An earlier attempt failed (test_failure): assert add(1, 2) == 3");
    expect(userText(fake.calls[2])).toContain("Write a different solution that avoids this failure.");
    expect(userText(fake.calls[2])).not.toContain("return 0");
    // Every draw's tokens are paid for: the scripted model reports 5 output tokens a call.
    expect(outcome.attempts.map((attempt) => attempt.usage.outputTokens)).toEqual([5, 10, 20]);
  });

  test("best-of-n stops drawing at the first passing sample", async () => {
    const { model, fake } = scripted([
      "```python\ndef add(a, b):\n    return 0\n```",
      "```python\ndef add(a, b):\n    return a + b\n```",
      "never asked for",
    ]);
    const outcome = await solve(task, { model, maxAttempts: 1, samples: 3 });
    expect(outcome.success).toBe(true);
    expect(outcome.attempts[0]?.samples?.map((sample) => sample.diagnosis.kind)).toEqual(["test_failure", "ok"]);
    expect(fake.calls.map((call) => [call.temperature, call.seed])).toEqual([
      [0.8, 1],
      [0.8, 2],
    ]);
  });
});

describe.skipIf(unavailable)(
  `tests that cannot judge the code are the task's fault${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    test.each([
      ["x = 1\n", "the task's tests are invalid: no tests found: write assert lines or test_* functions"],
      ["assert add(1, 2) == 3 +\n", "the task's tests are invalid: line 1: invalid syntax"],
    ])("python tests %j", async (code, message) => {
      await expect(checkCode("def add(a, b):\n    return a + b\n", task, { kind: "code", code })).rejects.toMatchObject(
        { code: "BAD_INPUT", message },
      );
    });

    test("javascript tests that do not compile", async () => {
      const js: Task = { ...task, language: "javascript" };
      await expect(
        checkCode("function add(a, b) { return a + b; }\n", js, { kind: "code", code: "assert.equal(add(1, 2), 3" }),
      ).rejects.toMatchObject({
        code: "BAD_INPUT",
        message: expect.stringMatching(/^the task's tests are invalid: SyntaxError: /),
      });
    });
  },
);
