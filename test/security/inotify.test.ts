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
