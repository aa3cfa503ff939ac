import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import { Sandbox, SandboxPool } from "../../src/sandbox/index.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf, useSandbox } from "../helpers/sandbox.ts";

const unavailable = sandboxUnavailableReason();

describe.skipIf(unavailable).each(LAUNCH_MODES)(
  `sandbox API on the real local backend, %s launch${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  (launch) => {
    test("python: a trailing expression is a result, output streams, state persists", async () => {
      await using sandbox = await useSandbox({ launch });
      const streamed: string[] = [];
      const first = await sandbox.runCode("import math\nx = 41\nprint('hello')\nx + 1", {
        onStdout: ({ line, error }) => streamed.push(`${line}${error ? " (stderr)" : ""}`),
      });
      expect(first.error).toBeNull();
      expect(first.results).toEqual([{ text: "42", isMainResult: true }]);
      expect(first.text).toBe("42");
      expect(first.logs).toEqual({ stdout: ["hello\n"], stderr: [] });
      expect(streamed).toEqual(["hello\n"]);
      expect(first.executionCount).toBe(1);

      const second = await sandbox.runCode("def double(n):\n    return 2 * n\ndouble(x) + math.floor(0.5)");
      expect(second.results[0]?.text).toBe("82");
      expect(second.executionCount).toBe(2);
    });

    test("output streams while the code runs, not only at the end", async () => {
      await using sandbox = await useSandbox({ launch });
      const lines: string[] = [];
      // The code prints its second line only once the test has seen the first and answered with a file: had
      // output come only at the end, the answer would never come and the code would say so.
      const execution = await sandbox.runCode(
        [
          "import os, time",
          "print('first', flush=True)",
          "deadline = time.monotonic() + 20",
          "while not os.path.exists('seen') and time.monotonic() < deadline:",
          "    time.sleep(0.05)",
          "print('second' if os.path.exists('seen') else 'the first line was not streamed')",
        ].join("\n"),
        {
          onStdout: ({ line }) => {
            lines.push(line);
            if (line === "first\n") void sandbox.files.write("seen", "");
          },
        },
      );
      expect(lines).toEqual(["first\n", "second\n"]);
      expect(execution.logs.stdout).toEqual(["first\n", "second\n"]);
    });

    test("python: errors come back as name, value and the user's traceback, not as exceptions", async () => {
      await using sandbox = await useSandbox({ launch });
      const reported: string[] = [];
      const execution = await sandbox.runCode("def f():\n    return 1 / 0\nf()", {
        onError: (error) => reported.push(error.name),
      });
      expect(reported).toEqual(["ZeroDivisionError"]);
      expect(execution.text).toBeUndefined();
      expect(execution.error?.name).toBe("ZeroDivisionError");
      expect(execution.error?.value).toBe("division by zero");
      expect(execution.error?.traceback).toContain('File "<cell-1>", line 2, in f');
      expect(execution.error?.traceback).toContain("return 1 / 0");
      expect(execution.error?.traceback).not.toContain("python_kernel");
      expect(execution.exitCode).toBe(1);

      const syntax = await sandbox.runCode("def broken(:\n  pass");
      expect(syntax.error?.name).toBe("SyntaxError");

      const exited = await sandbox.runCode("import sys\nsys.exit(3)");
      expect(exited.error).toEqual({ name: "SystemExit", value: "3", traceback: "" });
      expect(exited.exitCode).toBe(3);
      // An exit with status 0 is no error, but says the code stopped there.
      const quiet = await sandbox.runCode("print('before')\nraise SystemExit\nprint('after')");
      expect([quiet.error, quiet.exitCode, quiet.exited, quiet.logs.stdout]).toEqual([null, 0, true, ["before\n"]]);
      expect(exited.exited).toBe(true);
      expect(execution.exited).toBeUndefined();
      expect((await sandbox.runCode("'still alive'")).results[0]?.text).toBe("'still alive'");
    });

    test("python: rich results from _repr_*_ methods and top-level await", async () => {
      await using sandbox = await useSandbox({ launch });
      const rich = await sandbox.runCode(
        "class Page:\n    def _repr_html_(self):\n        return '<b>hi</b>'\n    def __repr__(self):\n        return 'Page()'\nPage()",
      );
      expect(rich.results).toEqual([{ text: "Page()", html: "<b>hi</b>", isMainResult: true }]);
      const awaited = await sandbox.runCode("import asyncio\nawait asyncio.sleep(0.01)\n'done'");
      expect(awaited.results[0]?.text).toBe("'done'");
    });

    test("python imports modules from the workspace and the interpreter's packages, not litmus's", async () => {
      await using sandbox = await useSandbox({ launch });
      await sandbox.files.write("helpers.py", "def greet(name):\n    return 'hello ' + name\n");
      const imported = await sandbox.runCode("import helpers\nhelpers.greet('you')");
      expect(imported.results[0]?.text).toBe("'hello you'");
      const path = await sandbox.runCode(
        "import sys\n[sys.path[0], any('litmus' in p for p in sys.path), any(p.endswith('-packages') for p in sys.path)]",
      );
      expect(path.results[0]?.text).toBe("['', False, True]");
    });

    test("javascript and typescript contexts keep their globals", async () => {
      await using sandbox = await useSandbox({ launch });
      const js = await sandbox.createContext({ language: "javascript" });
      await sandbox.runCode("var total = 40; function add(a, b) { return a + b }", { context: js });
      const sum = await sandbox.runCode("console.log('adding'); add(total, 2)", { context: js });
      expect(sum.results).toEqual([{ text: "42", isMainResult: true }]);
      expect(stdoutOf(sum)).toBe("adding\n");

      const thrown = await sandbox.runCode("null.property", { context: js });
      expect(thrown.error?.name).toBe("TypeError");

      const awaited = await sandbox.runCode("await new Promise((resolve) => setTimeout(() => resolve(7), 10))", {
        language: "javascript",
      });
      expect(awaited.error).toBeNull();

      const ts = await sandbox.runCode("interface Point { x: number }\nconst p: Point = { x: 2 };\np.x * 21", {
        language: "typescript",
      });
      expect(ts.error).toBeNull();
      expect(ts.results[0]?.text).toBe("42");
    });

    test("javascript: a cell with top-level await gives its last value and keeps what it declares", async () => {
      await using sandbox = await useSandbox({ launch });
      const js = async (code: string) => await sandbox.runCode(code, { language: "javascript" });
      expect((await js("const x = await Promise.resolve(40)\nx\n  + 2")).text).toBe("42");
      expect((await js("await new Promise((r) => setTimeout(r, 5)); 'after ' + x")).text).toBe("'after 40'");
      expect((await js("const kept = await 7")).results).toEqual([]);
      expect((await js("kept * 6")).text).toBe("42");
      const failed = await js("\nawait Promise.reject(new Error('boom'))");
      expect(failed.error?.value).toBe("boom");
      expect(failed.error?.traceback).toContain(":2:");
    });

    test("javascript: process.exit ends the cell at once with its status; the context then starts afresh", async () => {
      await using sandbox = await useSandbox({ launch });
      const js = await sandbox.createContext({ language: "javascript" });
      await sandbox.runCode("var kept = 1", { context: js });
      const exited = await sandbox.runCode("console.log('bye'); process.exit(3); console.log('never')", {
        context: js,
        timeoutMs: 10_000,
      });
      expect([stdoutOf(exited), exited.exitCode, exited.error?.name, exited.timedOut]).toEqual([
        "bye\n",
        3,
        "KernelExited",
        false,
      ]);
      expect(exited.durationMs).toBeLessThan(5000);
      expect((await sandbox.runCode("typeof kept", { context: js })).text).toBe("'undefined'");
    });

    test("javascript and typescript cells take import statements and import(), keeping error lines", async () => {
      await using sandbox = await useSandbox({ launch });
      const js = await sandbox.createContext({ language: "javascript" });
      const imported = await sandbox.runCode(
        [
          'import path, { join as joinPath } from "node:path";',
          'import * as os from "node:os";',
          "import {",
          "  EventEmitter,",
          '} from "node:events";',
          'import "node:util";',
          'console.log(path.basename("/a/b.txt"), joinPath("a", "b"), typeof os.cpus, typeof EventEmitter);',
        ].join("\n"),
        { context: js },
      );
      expect([imported.error, stdoutOf(imported)]).toEqual([null, "b.txt a/b function function\n"]);
      const again = await sandbox.runCode('import path from "node:path";\npath.sep', { context: js });
      expect([again.error, again.text]).toEqual([null, "'/'"]);
      // A default with a namespace; comments in a list; what a cell with top-level await imports stays for the next.
      const mixed = await sandbox.runCode(
        'import def, * as ns from "node:path";\nimport {\n  join, // joins\n  sep\n} from "node:path";\nimport { readFile } from "node:fs/promises";\nawait readFile("/etc/hostname");\nconsole.log(typeof def, typeof ns.join, join("a", "b"), sep);',
        { context: js },
      );
      expect([mixed.error, stdoutOf(mixed)]).toEqual([null, "object function a/b /\n"]);
      const later = await sandbox.runCode("typeof readFile", { context: js });
      expect(later.text).toBe("'function'");
      const dynamic = await sandbox.runCode('const { cpus } = await import("node:os");\nnull.x', { context: js });
      expect(dynamic.error?.traceback).toMatch(/cell-\d+\.js:2:6/);
      const ts = await sandbox.runCode(
        'import type { Missing } from "./nowhere";\nimport { strict as assert } from "node:assert";\nassert.equal(1 as number, 1);',
        { language: "typescript" },
      );
      expect(ts.error).toBeNull();
    });

    test("bash keeps variables and the working directory; a failing command sets exitCode", async () => {
      await using sandbox = await useSandbox({ launch });
      await sandbox.runCode("GREETING=hello; mkdir -p work && cd work", { language: "bash" });
      const echoed = await sandbox.runCode('echo "$GREETING from $(pwd)"', { language: "bash" });
      expect(stdoutOf(echoed)).toBe("hello from /home/user/work\n");
      const failed = await sandbox.runCode("ls /does-not-exist", { language: "bash" });
      expect(failed.exitCode).toBe(2);
      expect(failed.error?.name).toBe("NonZeroExit");
      const exited = await sandbox.runCode("exit 4", { language: "bash" });
      expect(exited.exitCode).toBe(4);
      expect(stdoutOf(await sandbox.runCode("echo again", { language: "bash" }))).toBe("again\n");
    });

    test("a run's own environment variables hold for that run only, in every language", async () => {
      await using sandbox = await useSandbox({ launch, envs: { KEPT: "sandbox" } });
      const envs = { ONLY: "this run", KEPT: "overridden" };
      const reads = {
        python: [
          "import os; print(os.environ.get('ONLY'), os.environ['KEPT']); os.environ['ONLY'] = 'changed'",
          "import os; print(os.environ.get('ONLY'), os.environ['KEPT'])",
        ],
        javascript: [
          "console.log(process.env.ONLY, process.env.KEPT); process.env.ONLY = 'changed'",
          "console.log(process.env.ONLY, process.env.KEPT)",
        ],
        bash: [
          'echo "$ONLY" "$KEPT" $(printenv ONLY); ONLY=changed',
          '[ -z "$ONLY" ] && echo None "$KEPT" $(printenv ONLY || echo unset)',
        ],
      } as const;
      for (const [language, [during, after]] of Object.entries(reads)) {
        const first = await sandbox.runCode(during, { language: language as "python", envs });
        expect(first.error, language).toBeNull();
        expect(stdoutOf(first), language).toMatch(/^this run overridden( this run)?\n$/);
        const next = await sandbox.runCode(after, { language: language as "python" });
        expect(stdoutOf(next), language).toMatch(/^(None|undefined) sandbox( unset)?\n$/);
      }
      await expect(sandbox.runCode("1", { envs: { "A=B": "x" } })).rejects.toThrow(
        /cannot name an environment variable/,
      );
      await expect(sandbox.runCode("1", { envs: { A: "x\0y" } })).rejects.toThrow(/without NUL bytes/);
    });

    test("files: write, read, list, remove inside the workspace", async () => {
      await using sandbox = await useSandbox({ launch });
      expect(await sandbox.files.write("data/input.txt", "line one\n")).toBe("/home/user/data/input.txt");
      await sandbox.files.write("data/raw.bin", new Uint8Array([0, 255, 1]));
      expect(await sandbox.files.read("data/input.txt")).toBe("line one\n");
      expect([...(await sandbox.files.read("data/raw.bin", { format: "bytes" }))]).toEqual([0, 255, 1]);
      expect(await sandbox.files.list("data")).toMatchObject([
        { name: "input.txt", path: "/home/user/data/input.txt", type: "file", size: 9 },
        { name: "raw.bin", path: "/home/user/data/raw.bin", type: "file", size: 3 },
      ]);
      const seen = await sandbox.runCode("open('data/input.txt').read().strip()");
      expect(seen.results[0]?.text).toBe("'line one'");
      await sandbox.files.remove("data");
      expect(await sandbox.files.exists("data")).toBe(false);
      const missing = await sandbox.files.read("nope.txt").catch((error: unknown) => error);
      expect(isLitmusError(missing, "NOT_FOUND")).toBe(true);
    });

    test("commands run with streamed output and an exit code", async () => {
      await using sandbox = await useSandbox({ launch, envs: { TOKEN_FOR_SANDBOX: "given-on-purpose" } });
      const streamed: string[] = [];
      const result = await sandbox.commands.run('echo "$TOKEN_FOR_SANDBOX $EXTRA"; echo oops >&2; exit 5', {
        envs: { EXTRA: "x" },
        onStdout: (text) => streamed.push(text),
      });
      expect(result).toMatchObject({ stdout: "given-on-purpose x\n", stderr: "oops\n", exitCode: 5, timedOut: false });
      expect(streamed).toEqual(["given-on-purpose x\n"]);
      // An unfinished UTF-8 sequence at the end of the output is U+FFFD, as everywhere else.
      expect((await sandbox.commands.run(String.raw`printf 'aaa\xe2'`)).stdout).toBe("aaa\ufffd");
    });

    test("contexts are independent, and restart empties one", async () => {
      await using sandbox = await useSandbox({ launch });
      const a = await sandbox.createContext();
      const b = await sandbox.createContext();
      await sandbox.runCode("secret = 1", { context: a });
      expect((await sandbox.runCode("'secret' in globals()", { context: b })).results[0]?.text).toBe("False");
      await sandbox.restartContext(a);
      expect((await sandbox.runCode("'secret' in globals()", { context: a })).results[0]?.text).toBe("False");
      await sandbox.removeContext(b);
      const gone = await sandbox.runCode("1", { context: b }).catch((error: unknown) => error);
      expect(isLitmusError(gone, "NOT_FOUND")).toBe(true);
    });

    test("list shows running sandboxes; kill is final and idempotent", async () => {
      const sandbox = await Sandbox.create({ launch, metadata: { purpose: "list-test" } });
      expect(Sandbox.list().find((info) => info.sandboxId === sandbox.sandboxId)?.metadata).toEqual({
        purpose: "list-test",
      });
      await sandbox.kill();
      await sandbox.kill();
      expect(sandbox.isRunning()).toBe(false);
      expect(Sandbox.list().map((info) => info.sandboxId)).not.toContain(sandbox.sandboxId);
      const after = await sandbox.runCode("1").catch((error: unknown) => error);
      expect(isLitmusError(after, "SANDBOX_CLOSED")).toBe(true);
    });

    test("a sandbox ends when its lifetime runs out", async () => {
      const sandbox = await Sandbox.create({ launch, timeoutMs: 300 });
      await expect.poll(() => sandbox.isRunning()).toBe(false);
      const listed = () => Sandbox.list().some((info) => info.sandboxId === sandbox.sandboxId);
      await expect.poll(listed).toBe(false);
    });

    test("an aborted start rejects with ABORTED and leaves no sandbox behind", async () => {
      const before = Sandbox.list().length;
      const early = await Sandbox.create({ launch, signal: AbortSignal.abort() }).catch((error: unknown) => error);
      expect(isLitmusError(early, "ABORTED")).toBe(true);
      const controller = new AbortController();
      const starting = Sandbox.create({ launch, signal: controller.signal });
      controller.abort();
      const during = await starting.catch((error: unknown) => error);
      expect(isLitmusError(during, "ABORTED")).toBe(true);
      expect(Sandbox.list().length).toBe(before);
    });

    test("an aborted runCode stops the code and rejects with ABORTED", async () => {
      await using sandbox = await useSandbox({ launch });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = performance.now();
      const aborted = await sandbox
        .runCode("import time\ntime.sleep(30)", { signal: controller.signal })
        .catch((e: unknown) => e);
      expect(isLitmusError(aborted, "ABORTED")).toBe(true);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect((await sandbox.runCode("2 + 2")).results[0]?.text).toBe("4");
    });

    test("bad input is refused with a message that says what to use", async () => {
      await expect(Sandbox.create({ language: "cobol" as never })).rejects.toThrow(
        'unsupported language "cobol"; use one of: python, javascript, typescript, bash',
      );
      await expect(Sandbox.create({ limits: { memoryBytes: -1 } })).rejects.toThrow(
        "limits.memoryBytes must be a positive integer",
      );
    });

    test("mounts show host paths read-only (with a bubblewrap of their own); bad ones are refused", async () => {
      const source = mkdtempSync(join(tmpdir(), "litmus-mount-"));
      chmodSync(source, 0o755);
      writeFileSync(join(source, "data.txt"), "from the host\n");
      const mounts = [{ source, target: "/mnt/data" }];
      if (launch === "zygote") {
        await expect(Sandbox.create({ launch, mounts })).rejects.toThrow(
          'a sandbox with mounts starts with its own bubblewrap: use launch "direct" or "auto"',
        );
        return;
      }
      await using sandbox = await useSandbox({ launch, mounts });
      const read = await sandbox.commands.run("cat /mnt/data/data.txt; echo changed > /mnt/data/data.txt");
      expect([read.stdout, read.stderr]).toEqual([
        "from the host\n",
        "bash: line 1: /mnt/data/data.txt: Read-only file system\n",
      ]);
      expect(readFileSync(join(source, "data.txt"), "utf8")).toBe("from the host\n");
      await expect(Sandbox.create({ mounts: [{ source, target: "/etc/passwd" }] })).rejects.toThrow(
        `mount ${source} -> /etc/passwd: the target must be a path under /mnt or /home/user`,
      );
      await expect(Sandbox.create({ mounts: [{ source: "relative/path", target: "/mnt/x" }] })).rejects.toThrow(
        "mount relative/path -> /mnt/x: the source must be an absolute path that exists",
      );
    });

    test("a pool that cannot start sandboxes says why, and an aborted acquire rejects with ABORTED", async () => {
      await using broken = new SandboxPool({ size: 1, launch, runtimes: { python: "/nonexistent/python3" } });
      await expect(broken.warm({ timeoutMs: 10_000 })).rejects.toThrow(
        "the Python interpreter /nonexistent/python3 does not exist; pass the path of a python3 executable",
      );
      await using pool = new SandboxPool({ size: 1, launch });
      const acquired = await pool.acquire({ signal: AbortSignal.abort() }).catch((error: unknown) => error);
      expect(isLitmusError(acquired, "ABORTED")).toBe(true);
    });

    test("a pool hands out each sandbox once, with nothing left from another user", async () => {
      await using pool = new SandboxPool({ size: 2, launch });
      await pool.warm({ timeoutMs: 20_000 });
      expect(pool.available).toBe(2);
      const first = await pool.acquire();
      await first.files.write("mine.txt", "private");
      await first.runCode("left_behind = True");
      const second = await pool.acquire();
      try {
        expect(second.sandboxId).not.toBe(first.sandboxId);
        expect(await second.files.exists("mine.txt")).toBe(false);
        expect((await second.runCode("'left_behind' in globals()")).results[0]?.text).toBe("False");
      } finally {
        await first.kill();
        await second.kill();
      }
    });
  },
);
