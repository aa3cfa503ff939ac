import { readdirSync, realpathSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

/**
 * As root, litmus runs each sandbox as an unprivileged host uid of its own. Where that uid could not read what
 * the sandbox runs (a Python under /root, litmus installed under a private directory), a sandbox must still never
 * run as host root: root without capabilities still owns, and may write, the machine's sysctls.
 */
function privatePython(): string | undefined {
  const root = "/root/.pyenv/versions";
  try {
    for (const version of readdirSync(root).sort().reverse()) {
      if (!version.startsWith("3.")) continue;
      const python = realpathSync(`${root}/${version}/bin/python3`);
      return python;
    }
  } catch {
    // no pyenv here
  }
  return undefined;
}

const python = process.getuid?.() === 0 ? privatePython() : undefined;
const skip =
  sandboxUnavailableReason() ?? (python ? "" : " (skipped: needs root and a Python under /root, like pyenv's)");

// Opens a global sysctl for writing (never writes it) and reports who the sandbox is on the host.
const ATTACK = `
uid_map = open('/proc/self/uid_map').read().split()
try:
    open('/proc/sys/kernel/printk_ratelimit', 'r+').close()
    print('sysctl writable', uid_map)
except OSError as error:
    print('sysctl refused', error.errno, uid_map)
`;

describe.skipIf(Boolean(skip))(`root that cannot drop privileges${skip}`, () => {
  test("a sandbox of its own bubblewrap is refused, saying what cannot be read and what to do", async () => {
    await expect(Sandbox.create({ launch: "direct", runtimes: { python: python as string } })).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
      message: expect.stringMatching(
        /must drop to an unprivileged uid, and cannot: other users cannot read \/root\/.*Install litmus and its Python where other users can read them/,
      ),
    });
  });

  test("a zygote's sandbox runs as a host uid of its own and cannot rewrite sysctls", async () => {
    await using sandbox = await Sandbox.create({ launch: "zygote", runtimes: { python: python as string } });
    const execution = await sandbox.runCode(ATTACK);
    expect(execution.error).toBeNull();
    const [, verdict, hostUid] = /^sysctl (\w+).*'1000', '(\d+)', '1'\]$/.exec(stdoutOf(execution).trim()) ?? [];
    expect(verdict).toBe("refused");
    expect(Number(hostUid), "the sandbox's host uid").toBeGreaterThanOrEqual(100_000);
    expect(sandbox.getInfo().isolation?.hostUid).toBeGreaterThanOrEqual(100_000);
  });
});
