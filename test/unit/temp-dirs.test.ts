import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { processTempDir } from "../../src/sandbox/local/host.ts";

test("processTempDir makes a new private directory each time and sweeps those of dead processes", () => {
  const deadPid = spawnSync("true").pid as number;
  const stale = join(tmpdir(), `litmus-test-${deadPid}-stale`);
  mkdirSync(stale, { recursive: true });
  const first = processTempDir("litmus-test-");
  const second = processTempDir("litmus-test-");
  expect(first).not.toBe(second);
  expect(first.startsWith(join(tmpdir(), `litmus-test-${process.pid}-`))).toBe(true);
  expect(lstatSync(first).isDirectory() && !lstatSync(first).isSymbolicLink()).toBe(true);
  expect(lstatSync(first).mode & 0o777).toBe(0o700);
  expect(existsSync(stale)).toBe(false);
});
