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

const WATCH_SHARED = `
import ctypes, os, select, struct
libc = ctypes.CDLL(None, use_errno=True)
inotify = libc.inotify_init()
watched = {}
for path in ["/usr/lib/python3.11/json", "/usr/bin", "/etc/ld.so.cache", "/etc/passwd", "/opt/litmus/kernels", "/opt/litmus/bin/node"]:
    if os.path.exists(path):
        watched[libc.inotify_add_watch(inotify, path.encode(), 0x1 | 0x20)] = path  # IN_ACCESS | IN_OPEN

def seen():
    paths = set()
    while select.select([inotify], [], [], 0.3)[0]:
        data = os.read(inotify, 65536)
        offset = 0
        while offset < len(data):
            wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
            paths.add(watched.get(wd))
            offset += 16 + length
    return sorted(paths)
`;
const ACTIVITY = `import json.decoder, subprocess
subprocess.run(["/usr/bin/true"])
subprocess.run(["/opt/litmus/bin/node", "-e", "0"])
open("/etc/passwd").read()`;

/**
 * The host's read-only files are the same inodes in every sandbox, and inotify reports events per inode: a watch
 * on /usr, /etc/ld.so.cache or the node binary saw what other sandboxes imported and ran, and when. Each sandbox
 * forked from the template sees them through overlays and copies of its own. (Sandboxes launched with a
 * bubblewrap of their own still share them: docs/security.md.)
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("inotify watches on shared files", () => {
  test("see the sandbox's own activity, never another sandbox's", async () => {
    await using watcher = await Sandbox.create({ launch: "zygote" });
    await using other = await Sandbox.create({ launch: "zygote" });
    expect((await watcher.runCode(WATCH_SHARED)).error).toBeNull();
    expect((await other.runCode(ACTIVITY)).error).toBeNull();
    expect(stdoutOf(await watcher.runCode("print(seen())"))).toBe("[]\n");
    await watcher.runCode(ACTIVITY);
    const own = stdoutOf(await watcher.runCode("print(seen())"));
    for (const path of ["/usr/bin", "/etc/ld.so.cache", "/etc/passwd", "/opt/litmus/bin/node"])
      expect(own).toContain(path);
  });
});
