import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

const GRAB_ALL = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
held = []
while len(held) < 10_000:
    fd = libc.inotify_init()
    if fd < 0:
        break
    held.append(fd)
print(len(held))
`;
const ONE = "import ctypes\nprint(ctypes.CDLL(None).inotify_init() >= 0)";
/** More sandboxes than the budget of all of them allows at their share each (8 each, 96 in all). */
const MANY = 13;

/**
 * inotify instances are counted per user across user namespaces: the sandboxes forked from one template shared
 * one budget (128), so one sandbox holding them all broke inotify (file watchers, dev servers) in every other.
 */
describe.skipIf(Boolean(sandboxUnavailableReason())).each(LAUNCH_MODES)("inotify between sandboxes (%s)", (launch) => {
  test("a sandbox that takes every inotify instance it can leaves others theirs", async () => {
    await using greedy = await Sandbox.create({ launch });
    await using other = await Sandbox.create({ launch });
    const taken = Number(stdoutOf(await greedy.runCode(GRAB_ALL)).trim());
    expect(taken).toBeGreaterThan(0);
    expect(stdoutOf(await other.runCode(ONE))).toBe("True\n");
  });
});

/**
 * All of them also count against their owner's budget (fs.inotify.max_user_instances, 128 here): the host user's
 * when litmus does not run as root, where 8 sandboxes at 16 each took that user's last instances (file watchers
 * of the user's own editor and dev servers then fail). The sandboxes of a template hold at most 96 together.
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("inotify between sandboxes and their host user", () => {
  test("sandboxes that all take what they can hold at most the template's share", async () => {
    await using stack = new AsyncDisposableStack();
    const sandboxes = await Promise.all(Array.from({ length: MANY }, () => Sandbox.create({ launch: "zygote" })));
    for (const sandbox of sandboxes) stack.use(sandbox);
    const taken = await Promise.all(sandboxes.map(async (s) => Number(stdoutOf(await s.runCode(GRAB_ALL)).trim())));
    expect(taken.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(96);
    expect(Math.max(...taken)).toBeLessThanOrEqual(8);
    const host = spawnSync("python3", ["-c", ONE], { encoding: "utf8" });
    expect(host.stdout).toBe("True\n");
  });
});
