import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/index.ts";
import type { RunningServer } from "../../src/server/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { startTestServer } from "../helpers/server.ts";

/**
 * The Sandbox API's contract, run against every backend: the local one; the E2B one through E2B's official
 * SDK against litmus's own E2B-compatible server (the SDK's debug mode, offline: the SDK's real requests,
 * answered by a local sandbox); and the E2B one against E2B's cloud when E2B_API_KEY is set.
 */
function contract(name: string, options: () => SandboxOptions) {
  const open = (extra: SandboxOptions = {}) => Sandbox.create({ ...options(), ...extra });

  test(`${name}: code runs with state, output, results and errors`, async () => {
    await using sandbox = await open();
    const streamed: string[] = [];
    const first = await sandbox.runCode("x = 40\nprint('hello')\nx + 2", {
      onStdout: (output) => void streamed.push(output.line),
    });
    expect([first.logs.stdout.join(""), first.text, first.error, first.exitCode]).toEqual(["hello\n", "42", null, 0]);
    expect(streamed.join("")).toBe("hello\n");
    const failed = await sandbox.runCode("x / 0");
    expect([failed.error?.name, failed.error?.value, failed.exitCode]).toEqual([
      "ZeroDivisionError",
      "division by zero",
      1,
    ]);
    expect((await sandbox.runCode("const n = 21; n * 2", { language: "javascript" })).text).toBe("42");
  });

  test(`${name}: a run past its time limit is stopped and says so`, async () => {
    await using sandbox = await open();
    const slow = await sandbox.runCode("import time\ntime.sleep(30)", { timeoutMs: 1000 });
    expect([slow.timedOut, slow.error?.name]).toEqual([true, "TimeoutError"]);
    expect(slow.durationMs).toBeLessThan(10_000);
  });

  test(`${name}: an aborted run is let go of at once`, async () => {
    await using sandbox = await open();
    const started = performance.now();
    const aborted = await sandbox
      .runCode("import time\ntime.sleep(5)", { signal: AbortSignal.timeout(300) })
      .catch((error: unknown) => error);
    expect(isLitmusError(aborted, "ABORTED")).toBe(true);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  test(`${name}: contexts keep their own state; restart empties one, remove ends it`, async () => {
    await using sandbox = await open();
    const context = await sandbox.createContext({ language: "python" });
    await sandbox.runCode("kept = 'mine'", { context });
    // Printed, not the repr: E2B's server strips the quotes of a string's repr.
    expect((await sandbox.runCode("print(kept)", { context })).logs.stdout.join("")).toBe("mine\n");
    expect((await sandbox.runCode("'kept' in globals()")).text).toBe("False");
    await sandbox.restartContext(context);
    expect((await sandbox.runCode("kept", { context })).error?.name).toBe("NameError");
    await sandbox.removeContext(context);
  });

  test(`${name}: preloaded modules are there in every Python context`, async () => {
    const source = "MARK = 'null] \\u00e9 \"q\"'\ndef seven():\n    return 7\n";
    await using sandbox = await open({ preload: [{ name: "contract_helper", source }, "json"] });
    expect((await sandbox.runCode("import contract_helper\ncontract_helper.seven() * 6")).text).toBe("42");
    // The source arrives as written, whatever it holds.
    const mark = await sandbox.runCode("import contract_helper\nprint(contract_helper.MARK)");
    expect(mark.logs.stdout.join("")).toBe('null] é "q"\n');
    const context = await sandbox.createContext();
    expect((await sandbox.runCode("import contract_helper\ncontract_helper.seven()", { context })).text).toBe("7");
  });

  test(`${name}: files are written, read, listed, found and removed`, async () => {
    await using sandbox = await open();
    expect(await sandbox.files.write("notes/a.txt", "hello")).toBe("/home/user/notes/a.txt");
    expect(await sandbox.files.read("notes/a.txt")).toBe("hello");
    expect(await sandbox.files.read("/home/user/notes/a.txt", { format: "bytes" })).toEqual(
      new Uint8Array(Buffer.from("hello")),
    );
    const listed = await sandbox.files.list("notes");
    expect(listed).toMatchObject([
      { name: "a.txt", path: "/home/user/notes/a.txt", type: "file", size: 5, mode: 0o644, permissions: "-rw-r--r--" },
    ]);
    expect([listed[0]?.owner, listed[0]?.group]).toEqual(["user", "user"]);
    expect(Math.abs((listed[0]?.modifiedTime.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect((await sandbox.runCode("print(open('notes/a.txt').read())")).logs.stdout.join("")).toBe("hello\n");
    expect([await sandbox.files.exists("notes/a.txt"), await sandbox.files.exists("nothing")]).toEqual([true, false]);
    await sandbox.files.makeDir("made/deep");
    expect((await sandbox.files.list("made")).map((entry) => [entry.name, entry.type])).toEqual([["deep", "dir"]]);
    await sandbox.files.remove("notes");
    expect(await sandbox.files.exists("notes/a.txt")).toBe(false);
    const missing = await sandbox.files.read("nothing").catch((error: unknown) => error);
    expect(isLitmusError(missing, "NOT_FOUND")).toBe(true);
  });

  test(`${name}: files: information, listing levels down, renames, links`, async () => {
    await using sandbox = await open();
    await sandbox.files.write("tree/a/one.txt", "1");
    await sandbox.files.makeDir("tree/b/deeper");
    const info = await sandbox.files.getInfo("tree/a");
    expect(info).toMatchObject({ name: "a", path: "/home/user/tree/a", type: "dir", mode: 0o755 });
    expect(info.permissions).toBe("drwxr-xr-x");
    const paths = async (depth: number) =>
      (await sandbox.files.list("tree", { depth })).map((entry) => entry.path.replace("/home/user/tree/", ""));
    expect(await paths(1)).toEqual(["a", "b"]);
    expect(await paths(2)).toEqual(["a", "a/one.txt", "b", "b/deeper"]);
    const renamed = await sandbox.files.rename("tree/a/one.txt", "tree/b/two.txt");
    expect(renamed).toMatchObject({ name: "two.txt", path: "/home/user/tree/b/two.txt", type: "file", size: 1 });
    expect(await sandbox.files.exists("tree/a/one.txt")).toBe(false);
    expect(await sandbox.files.read("tree/b/two.txt")).toBe("1");
    await sandbox.commands.run("ln -s two.txt tree/b/link");
    expect(await sandbox.files.getInfo("tree/b/link")).toMatchObject({
      type: "file",
      symlinkTarget: "/home/user/tree/b/two.txt",
    });
    await sandbox.files.write("tree/tagged.txt", "t", { metadata: { author: "mish", purpose: "upload" } });
    expect((await sandbox.files.getInfo("tree/tagged.txt")).metadata).toEqual({ author: "mish", purpose: "upload" });
    await sandbox.files.rename("tree/tagged.txt", "tree/still-tagged.txt");
    const listedTagged = (await sandbox.files.list("tree")).find((entry) => entry.name === "still-tagged.txt");
    expect(listedTagged?.metadata).toEqual({ author: "mish", purpose: "upload" });
    expect((await sandbox.files.getInfo("tree/a")).metadata).toBeUndefined();
    await sandbox.files.write("tree/still-tagged.txt", "rewritten");
    expect((await sandbox.files.getInfo("tree/still-tagged.txt")).metadata).toBeUndefined();
    await expect(sandbox.files.write("tree/bad.txt", "x", { metadata: { "no spaces": "x" } })).rejects.toThrow(
      /metadata key/,
    );
    await sandbox.commands.run("ln -s nothing tree/b/dangling");
    expect(await sandbox.files.getInfo("tree/b/dangling")).toMatchObject({ type: "symlink" });
    const missing = await sandbox.files.getInfo("tree/nothing").catch((error: unknown) => error);
    expect(isLitmusError(missing, "NOT_FOUND")).toBe(true);
    const notMoved = await sandbox.files.rename("tree/nothing", "tree/else").catch((error: unknown) => error);
    expect(isLitmusError(notMoved, "NOT_FOUND")).toBe(true);
  });

  test(`${name}: commands give their output and status; a slow one is stopped`, async () => {
    await using sandbox = await open();
    const chunks: string[] = [];
    const result = await sandbox.commands.run("echo out; echo err >&2; exit 3", {
      onStdout: (text) => void chunks.push(text),
    });
    expect([result.stdout, result.stderr, result.exitCode, chunks.join("")]).toEqual(["out\n", "err\n", 3, "out\n"]);
    expect((await sandbox.commands.run("pwd; echo $GREETING", { envs: { GREETING: "hi" } })).stdout).toBe(
      "/home/user\nhi\n",
    );
    const slow = await sandbox.commands.run("sleep 30", { timeoutMs: 1000 });
    expect(slow.timedOut).toBe(true);
  });

  test(`${name}: a watched directory reports its changes, below it too with recursive, until stopped`, async () => {
    await using sandbox = await open();
    await sandbox.files.makeDir("watched/inner");
    const seen: string[] = [];
    const entries: Array<string | undefined> = [];
    const watch = await sandbox.files.watchDir(
      "watched",
      (event) => {
        seen.push(`${event.type} ${event.name}`);
        if (event.name === "new.txt" && event.type === "create") entries.push(event.entry?.path);
      },
      { recursive: true, includeEntry: true },
    );
    await sandbox.files.write("watched/new.txt", "1");
    await sandbox.commands.run(
      "echo more >> watched/new.txt; mkdir watched/inner/fresh; echo x > watched/inner/fresh/deep.txt",
    );
    await sandbox.files.remove("watched/new.txt");
    await expect
      .poll(() => seen)
      .toEqual(
        expect.arrayContaining([
          "create new.txt",
          "write new.txt",
          "create inner/fresh",
          "create inner/fresh/deep.txt",
          "remove new.txt",
        ]),
      );
    await watch.stop();
    expect(entries[0]).toBe("/home/user/watched/new.txt");
    const count = seen.length;
    await sandbox.files.write("watched/after.txt", "unseen");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toHaveLength(count);
    const missing = await sandbox.files.watchDir("nowhere", () => {}).catch((error: unknown) => error);
    expect(isLitmusError(missing, "NOT_FOUND")).toBe(true);
  });

  test(`${name}: commands in the background: a real pid, stdin, listing, kill`, async () => {
    await using sandbox = await open();
    const seen: string[] = [];
    const echo = await sandbox.commands.start('while read line; do echo "got $line"; done', {
      stdin: true,
      onStdout: (text) => void seen.push(text),
    });
    expect(echo.pid).toBeGreaterThan(1);
    const sleeper = await sandbox.commands.start("sleep 60");
    expect((await sandbox.commands.list()).map((command) => command.pid).sort()).toEqual(
      [echo.pid, sleeper.pid].sort(),
    );
    await echo.sendStdin("one\n");
    await sandbox.commands.sendStdin(echo.pid, "two\n");
    await echo.closeStdin();
    const echoed = await echo.wait();
    expect([echoed.exitCode, echoed.stdout, seen.join("")]).toEqual([0, "got one\ngot two\n", "got one\ngot two\n"]);
    await sleeper.kill();
    // Gone by the time kill returns: not even a zombie for `kill -0` to find.
    expect((await sandbox.commands.run(`kill -0 ${sleeper.pid}`)).exitCode).not.toBe(0);
    expect((await sleeper.wait()).exitCode).not.toBe(0);
    expect(await sandbox.commands.list()).toEqual([]);
    const gone = await sandbox.commands.kill(sleeper.pid).catch((error: unknown) => error);
    expect(isLitmusError(gone, "NOT_FOUND")).toBe(true);
    const noStdin = await sandbox.commands.start("sleep 5");
    await expect(noStdin.sendStdin("x")).rejects.toThrow();
    await noStdin.kill();
  });

  test(`${name}: a command killed the moment it has started is gone, every time`, async () => {
    await using sandbox = await open();
    // Killed before its process could lead a group of its own, it used to find no group to kill and run on.
    for (let round = 0; round < 20; round++) {
      const sleeper = await sandbox.commands.start("sleep 30");
      await sleeper.kill();
      expect(await sandbox.commands.list()).toEqual([]);
    }
    // SIGTERM too: before its set-up a new command still ignores what the supervisor ignores, so the signal is
    // held until the command can act on it, never lost.
    for (let round = 0; round < 10; round++) {
      const sleeper = await sandbox.commands.start("sleep 30");
      const term = sandbox.commands.kill(sleeper.pid, { with: "term" });
      if (name === "local") {
        await term;
        expect((await sleeper.wait()).exitCode).toBe(128 + 15);
      } else {
        // The E2B SDK can only kill: SIGTERM is refused, never silently replaced by a kill.
        expect(isLitmusError(await term.catch((error: unknown) => error), "BAD_INPUT")).toBe(true);
        await sleeper.kill();
      }
    }
  });

  test(`${name}: a killed sandbox refuses work`, async () => {
    const sandbox = await open();
    await sandbox.kill();
    expect(sandbox.isRunning()).toBe(false);
    const refused = await sandbox.runCode("1").catch((error: unknown) => error);
    expect(isLitmusError(refused, "SANDBOX_CLOSED")).toBe(true);
  });
}

const unavailable = sandboxUnavailableReason();

describe.skipIf(unavailable)(`the Sandbox contract (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  describe("local", () => {
    contract("local", () => ({ backend: "local" }));
  });

  describe("e2b, offline: the official SDK against litmus's E2B-compatible server", () => {
    let server: RunningServer;
    const store = RunStore.open(":memory:");
    beforeAll(async () => {
      server = await startTestServer(store);
      // The SDK's debug mode makes no API call; E2B_SANDBOX_URL sends its code, files and commands here.
      process.env.E2B_DEBUG = "true";
      process.env.E2B_SANDBOX_URL = (server.e2bUrl as string).replace(/\/$/, "");
    });
    afterAll(async () => {
      delete process.env.E2B_DEBUG;
      delete process.env.E2B_SANDBOX_URL;
      await server?.close();
      store.close();
    });
    contract("e2b (offline)", () => ({ backend: "e2b" }));

    test("litmus --sandbox e2b runs the command's code in E2B; without a key it says what to set", async () => {
      const ran = await litmus(["--sandbox", "e2b", "run", "-l", "python", "--json"], { stdin: "print(6 * 7)" });
      expect(ran.code, ran.stderr).toBe(0);
      expect(JSON.parse(ran.stdout)).toMatchObject({ stdout: "42\n", error: null });
      const { E2B_API_KEY: _key, E2B_DEBUG: _debug, ...withoutKey } = process.env;
      const refused = await litmus(["--sandbox", "e2b", "run", "-l", "python"], { stdin: "1", env: withoutKey });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain("the e2b backend needs an API key: set E2B_API_KEY");
      const unknown = await litmus(["--sandbox", "docker", "run", "-l", "python"], { stdin: "1" });
      expect([unknown.code, unknown.stderr.trim()]).toEqual([
        2,
        'litmus: unknown sandbox backend "docker"; use one of: local, e2b',
      ]);
    });
  });

  describe.skipIf(!process.env.E2B_API_KEY)(
    `e2b, live in E2B's cloud (${process.env.E2B_API_KEY ? "E2B_API_KEY is set" : "skipped: E2B_API_KEY is not set"})`,
    () => {
      contract("e2b (live)", () => ({ backend: "e2b" }));
    },
  );
});
