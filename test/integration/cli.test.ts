import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const unavailable = sandboxUnavailableReason();
const EXAMPLE = fileURLToPath(new URL("../../examples/hello.py", import.meta.url));

describe("litmus usage errors (exit 2, one line on stderr)", () => {
  test("unknown language", async () => {
    const run = await litmus(["run", "-", "--lang", "cobol"], { stdin: "print(1)" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('litmus: unsupported --lang "cobol"; use one of: python, javascript, typescript, bash\n');
    expect(run.stdout).toBe("");
  });

  test("a file that does not exist", async () => {
    const run = await litmus(["run", "/nonexistent/script.py"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("litmus: cannot read /nonexistent/script.py: ENOENT\n");
  });

  test("a language that cannot be inferred", async () => {
    const run = await litmus(["run", "-"], { stdin: "print(1)" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "litmus: cannot tell the language of stdin: pass --lang python|javascript|typescript|bash\n",
    );
  });

  test("a malformed limit", async () => {
    const run = await litmus(["run", EXAMPLE, "--timeout", "soon"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('litmus: invalid duration "soon": use a number with a unit, like 500ms, 10s or 2m\n');
  });

  test("an unknown option", async () => {
    const run = await litmus(["run", EXAMPLE, "--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: unknown option '--frobnicate'\n(run with --help for usage)\n");
  });
});

describe("litmus run without bubblewrap", () => {
  test("no bubblewrap: exit 3 with the install command, never an unisolated run", async () => {
    const run = await litmus(["run", "-", "--lang", "python"], {
      stdin: "print('must not run')",
      env: { PATH: "/nonexistent" },
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^litmus: bubblewrap \(bwrap\) is not installed.*apt-get install bubblewrap.*\n$/);
  });
});

describe.skipIf(unavailable)(`litmus run in the real sandbox${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  test("prints the program's output and the trailing value, exit 0", async () => {
    const run = await litmus(["run", EXAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^1 2 Fizz 4 Buzz Fizz 7 8 Fizz Buzz 11 Fizz 13 14 FizzBuzz\nrunning on Python 3\.\d+\.\d+ as user\n45\n$/,
    );
  });

  test("--json prints exactly the documented document and nothing else on stdout", async () => {
    const run = await litmus(["run", "-", "--lang", "python", "--json"], { stdin: "print('out')\n6 * 7" });
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(Object.keys(document)).toEqual([
      "stdout",
      "stderr",
      "results",
      "error",
      "exitCode",
      "durationMs",
      "timedOut",
      "oomKilled",
      "truncated",
    ]);
    expect(document).toMatchObject({
      stdout: "out\n",
      stderr: "",
      results: [{ text: "42", isMainResult: true }],
      error: null,
      exitCode: 0,
      timedOut: false,
      oomKilled: false,
      truncated: false,
    });
  });

  test("code that raises exits 1 with a readable traceback", async () => {
    const run = await litmus(["run", "-", "--lang", "python"], {
      stdin: "print('before')\nraise ValueError('bad value')",
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("before\n");
    expect(run.stderr).toBe(
      "Traceback (most recent call last):\n" +
        '  File "<cell-1>", line 2, in <module>\n' +
        "    raise ValueError('bad value')\n" +
        "ValueError: bad value\n",
    );
  });

  test("a timeout exits 1 and says so", async () => {
    const run = await litmus(["run", "-", "--lang", "javascript", "--timeout", "500ms", "--json"], {
      stdin: "while (true) {}",
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ timedOut: true, error: { name: "TimeoutError" } });
  });

  test("bash via --lang, with environment passed explicitly and nothing else", async () => {
    const run = await litmus(["run", "-", "--lang", "bash", "-e", "WHO=world", "--json"], {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
      stdin: 'echo "hello $WHO ${LITMUS_CLI_SECRET:-unset}"',
      env: { ...process.env, LITMUS_CLI_SECRET: "leaked" },
    });
    expect(JSON.parse(run.stdout).stdout).toBe("hello world unset\n");
  });

  test("bench sandbox --json has the documented keys", async () => {
    const run = await litmus(["bench", "sandbox", "--json", "--samples", "3", "--duration", "300"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual([
      "coldCreateMs",
      "zygoteCreateMs",
      "poolAcquireMs",
      "warmExecMs",
      "liveExecsPerSec",
      "freshSandboxesPerSec",
      "baselineSpawnMs",
      "machine",
    ]);
    for (const key of ["coldCreateMs", "zygoteCreateMs", "poolAcquireMs", "warmExecMs", "baselineSpawnMs"]) {
      expect(report[key].p50).toBeGreaterThan(0);
      expect(report[key].p99).toBeGreaterThanOrEqual(report[key].p50);
    }
    expect(report.liveExecsPerSec).toBeGreaterThan(0);
    expect(report.freshSandboxesPerSec).toBeGreaterThan(0);
    expect(run.stderr).toContain("litmus bench: warm 1+1 in a live context");
  }, 60_000);
});
