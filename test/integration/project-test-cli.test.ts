import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import type { ProjectTestReport } from "../../src/check/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const PROJECTS = join(import.meta.dirname, "../fixtures/projects");
const unavailable = sandboxUnavailableReason();

/** A copy of a fixture project, so a test that tried to write into it could not hide in the checkout. */
function copyOf(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "litmus-project-")), name);
  cpSync(join(PROJECTS, name), dir, { recursive: true });
  return dir;
}

describe.skipIf(unavailable)(`litmus test (${unavailable ?? "real sandboxes"})`, { timeout: 120_000 }, () => {
  test("a pytest project: counts, the failure, the skip; tests write to their copy, never to the host", async () => {
    const dir = copyOf("python-app");
    const run = await litmus(["test", dir, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ProjectTestReport;
    expect([report.runner, report.exitCode, report.timedOut]).toEqual(["pytest", 1, false]);
    expect(report.results).toEqual({
      passed: 4,
      failed: 1,
      skipped: 1,
      failures: [{ name: "tests/test_shop.py::test_wrong_rounding", message: "assert 0.3 == 0.31" }],
    });
    expect(existsSync(join(dir, "generated.txt"))).toBe(false);
    expect(existsSync(join(dir, ".pytest_cache"))).toBe(false);
  });

  test("a node project through npm test: no network inside, and the summary for people", async () => {
    const run = await litmus(["test", copyOf("node-app")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ok 3 - cannot reach the network");
    expect(run.stderr).toMatch(
      /litmus test: npm test --offline --no-update-notifier in .*node-app \(sandboxed\): 3 passed, 0 failed, exit 0, [\d.]+ s\n$/,
    );
  });

  test("a command after --: host secrets stay out, dependencies are read-only, a timeout stops it", async () => {
    const dir = copyOf("node-app");
    // As root, sandboxes run as an unprivileged uid: the directories above the project must let it through.
    chmodSync(dirname(dir), 0o755);
    writeFileSync(
      join(dir, "secret-check.sh"),
      // A shell parameter, not a template: bash expands it inside the sandbox.
      ['echo "secret=$', '{LITMUS_HOST_SECRET:-none}"; touch node_modules/x 2>&1 || true\n'].join(""),
    );
    mkdirSync(join(dir, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "dep", "index.js"), "export default 1;\n");
    const env = { ...process.env, LITMUS_HOST_SECRET: "s3cret" };
    const secret = await litmus(["test", dir, "--json", "--", "bash secret-check.sh"], { env });
    const report = JSON.parse(secret.stdout) as ProjectTestReport;
    expect([secret.code, report.runner, report.results]).toEqual([0, "command", null]);
    expect(report.stdout).toContain("secret=none\n");
    expect(report.stdout).toContain("node_modules/x': Read-only file system");
    expect(report.workspace).toEqual({
      path: "/home/user/project",
      readOnly: ["/home/user/project/node_modules"],
      missing: [],
    });
    if (process.getuid?.() === 0) {
      chmodSync(dirname(dir), 0o700);
      const hidden = await litmus(["test", dir, "--", "ls node_modules | wc -l"]);
      expect(hidden.stdout).toBe("0\n");
      expect(hidden.stderr).toContain(
        `note: node_modules was left out: the sandbox's user cannot read ${join(dir, "node_modules")} (make it and the directories above it readable by others)`,
      );
    }
    const slow = await litmus(["test", dir, "--timeout", "1s", "--json", "--", "sleep", "30"]);
    const timedOut = JSON.parse(slow.stdout) as ProjectTestReport;
    expect([slow.code, timedOut.command, timedOut.timedOut]).toEqual([1, "sleep 30", true]);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toContain('"node-app"');
  });

  test("a node_modules that is a symlink to elsewhere on the host is neither mounted nor followed", async () => {
    const outside = mkdtempSync(join(tmpdir(), "litmus-outside-"));
    chmodSync(outside, 0o755);
    writeFileSync(join(outside, "secret.txt"), "host secret\n");
    const dir = copyOf("node-app");
    chmodSync(dirname(dir), 0o755);
    symlinkSync(outside, join(dir, "node_modules"));
    const run = await litmus(["test", dir, "--json", "--", "cat node_modules/secret.txt; ls -la node_modules"]);
    const report = JSON.parse(run.stdout) as ProjectTestReport;
    expect(report.stdout).not.toContain("host secret");
    expect(report.workspace.readOnly).toEqual([]);
  });

  test("bad input: not a directory, no runner, operands in the wrong place", async () => {
    const empty = mkdtempSync(join(tmpdir(), "litmus-empty-"));
    const none = await litmus(["test", empty]);
    expect([none.code, none.stderr]).toEqual([
      2,
      `litmus: no test runner found in ${empty} (no pytest configuration or test files, no package.json test script, no *.test.js, no go.mod): give the command after --, like: litmus test ${empty} -- make test\n`,
    ]);
    const missing = await litmus(["test", join(empty, "nope")]);
    expect([missing.code, missing.stderr]).toEqual([2, `litmus: ${join(empty, "nope")}: not a directory\n`]);
    const twoDirs = await litmus(["test", empty, "other", "--", "true"]);
    expect([twoDirs.code, twoDirs.stderr]).toEqual([
      2,
      `litmus: one project directory, then the command after --: got ${empty} other\n`,
    ]);
  });
});
