import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox as E2bSandbox } from "@e2b/code-interpreter";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ServerAccess } from "../../src/server/auth.ts";
import { createE2bApp } from "../../src/server/e2b/e2b-app.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { hostProcessesWith, sandboxUnavailableReason } from "../helpers/sandbox.ts";

const unavailable = sandboxUnavailableReason();

describe.skipIf(unavailable)(
  `the E2B-compatible API, driven by E2B's own SDK (${unavailable ?? "debug mode, offline"})`,
  { timeout: 60_000 },
  () => {
    let server: RunningServer;
    const store = RunStore.open(":memory:");
    beforeAll(async () => {
      // The SDK's debug mode: no account, no API; it talks to a code interpreter on localhost:49999.
      process.env.E2B_DEBUG = "true";
      server = await startServer({
        store,
        artifactsDir: join(tmpdir(), "litmus-e2b-artifacts"),
        model: () => Promise.reject(new Error("no model here")),
        port: 0,
      });
    });
    afterAll(async () => {
      await server.close();
      store.close();
      delete process.env.E2B_DEBUG;
    });

    test("runCode: output, the trailing value, errors, state across calls, streaming callbacks", async () => {
      const sandbox = await E2bSandbox.create();
      const streamed: string[] = [];
      const first = await sandbox.runCode("x = 40\nprint('hello')\nx + 2", {
        onStdout: (out) => void streamed.push(out.line),
      });
      expect([first.logs.stdout, first.text, first.error, streamed]).toEqual([
        ["hello\n"],
        "42",
        undefined,
        ["hello\n"],
      ]);
      expect(first.executionCount).toBeGreaterThan(0);
      const failed = await sandbox.runCode("x / 0");
      expect([failed.error?.name, failed.error?.value]).toEqual(["ZeroDivisionError", "division by zero"]);
      expect(failed.error?.traceback).toContain("ZeroDivisionError");
      const js = await sandbox.runCode("const n = 21; n * 2", { language: "js" });
      expect(js.text).toBe("42");
    });

    test("envs of one runCode hold for that run only; names a process cannot hold are a 400", async () => {
      const sandbox = await E2bSandbox.create();
      const read = "import os; os.getenv('FOO', 'unset')";
      expect((await sandbox.runCode(read, { envs: { FOO: "bar" } })).text).toBe("bar");
      expect((await sandbox.runCode(read)).text).toBe("unset");
      const response = await fetch(new URL("execute", server.e2bUrl as string), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "1", env_vars: { "A=B": "x" } }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("cannot name an environment variable");
    });

    test("E2B_DEBUG alone: files and commands reach envd's port; gzip and multi-file uploads; removing nothing", async () => {
      const sandbox = await E2bSandbox.create();
      const written = await sandbox.files.write("zipped.txt", "sent compressed", { gzip: true });
      expect(written).toMatchObject({ name: "zipped.txt", path: "/home/user/zipped.txt" });
      expect(await sandbox.files.read("zipped.txt")).toBe("sent compressed");
      const many = await sandbox.files.writeFiles([
        { path: "many/one.txt", data: "1" },
        { path: "many/two.txt", data: "2" },
      ]);
      expect(many.map((info) => info.path)).toEqual(["/home/user/many/one.txt", "/home/user/many/two.txt"]);
      expect((await sandbox.commands.run("cat many/one.txt many/two.txt")).stdout).toBe("12");
      await sandbox.files.remove("never-there.txt");
      const info = await sandbox.files.getInfo("many/one.txt");
      expect([info.mode, info.permissions, info.owner, info.modifiedTime instanceof Date]).toEqual([
        0o644,
        "-rw-r--r--",
        "user",
        true,
      ]);
    });

    test("envd's polling watcher: changes kept until asked for, then gone; an unknown watcher is 404", async () => {
      const sandbox = await E2bSandbox.create();
      await sandbox.files.makeDir("polled");
      const rpc = async (method: string, body: unknown) => {
        const response = await fetch(new URL(`filesystem.Filesystem/${method}`, server.e2bUrl as string), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const { watcherId } = (await rpc("CreateWatcher", { path: "/home/user/polled" })).body;
      await sandbox.files.write("polled/one.txt", "1");
      const events = async () => (await rpc("GetWatcherEvents", { watcherId })).body.events as unknown[];
      await expect.poll(events).toEqual(expect.arrayContaining([{ name: "one.txt", type: "EVENT_TYPE_CREATE" }]));
      expect(await events()).toEqual([]);
      expect((await rpc("RemoveWatcher", { watcherId })).status).toBe(200);
      expect((await rpc("GetWatcherEvents", { watcherId })).status).toBe(404);
    });

    test("contexts: create, run in, list, restart, remove", async () => {
      const sandbox = await E2bSandbox.create();
      const context = await sandbox.createCodeContext({ language: "python" });
      await sandbox.runCode("kept = 'in the context'", { context });
      // E2B's server strips the quotes of a string's repr.
      expect((await sandbox.runCode("kept", { context })).text).toBe("in the context");
      const listed = await sandbox.listCodeContexts();
      // The default contexts of python and javascript first, as E2B lists them; the new one last.
      expect(listed.slice(0, 2).map((each) => each.language)).toEqual(["python", "javascript"]);
      expect(listed.at(-1)?.id).toBe(context.id);
      const byDefault = listed[1] as { id: string };
      await sandbox.runCode("const shared = 7", { language: "javascript" });
      expect((await sandbox.runCode("shared * 6", { context: byDefault as never })).text).toBe("42");
      await sandbox.restartCodeContext(context);
      const after = await sandbox.runCode("kept", { context });
      expect(after.error?.name).toBe("NameError");
      await sandbox.removeCodeContext(context);
      expect((await sandbox.listCodeContexts()).map((listed) => listed.id)).not.toContain(context.id);
    });

    test("runs last as long as the SDK waits, not 30 s: a 31 s run returns", { timeout: 90_000 }, async () => {
      const sandbox = await E2bSandbox.create();
      const slow = await sandbox.runCode("import time\ntime.sleep(31)\n'done'", { timeoutMs: 60_000 });
      expect([slow.error, slow.text]).toEqual([undefined, "done"]);
    });

    test("a client that gives up interrupts the run: nothing is left running", async () => {
      const sandbox = await E2bSandbox.create();
      const marker = `e2b-timeout-${Date.now()}`;
      await expect(
        sandbox.runCode(`import time\nmarker = '${marker}'\ntime.sleep(30)`, { timeoutMs: 1_000 }),
      ).rejects.toThrow();
      // The interpreter was interrupted, not killed: it answers at once and keeps its state.
      const next = await sandbox.runCode("marker");
      expect(next.text).toBe(marker);
      expect(hostProcessesWith("time.sleep(30)")).toEqual([]);
    });

    test("limits: a body over the limit is 413; runs beyond a client's concurrency are 429", async () => {
      const { app, close } = createE2bApp({
        access: new ServerAccess([]),
        limits: {
          concurrent: 2,
          perMinute: 100,
          bodyBytes: 64 * 1024,
          sessions: 1,
          contexts: 1,
          sandboxes: 8,
          sandboxIdleMs: 60_000,
        },
      });
      try {
        const big = await app.request("/execute", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code: "x".repeat(100_000) }),
        });
        expect([big.status, await big.json()]).toEqual([413, { error: "the request body is over 64 KiB" }]);
        const run = () =>
          app.request("/execute", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: "Bearer same-client" },
            body: JSON.stringify({ code: "import time\ntime.sleep(1)" }),
          });
        const [one, two] = await Promise.all([run(), run()]);
        const third = await run();
        expect([one.status, two.status, third.status]).toEqual([200, 200, 429]);
        expect(await third.json()).toEqual({
          error: "2 runs of yours are in progress (at most 2 at once): wait for one to end",
        });
        await Promise.all([one.text(), two.text()]);
        expect((await run()).status).toBe(200);
      } finally {
        await close();
      }
    });
  },
);
