import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Sandbox } from "@e2b/code-interpreter";
import { describe, expect, test } from "vitest";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

const unavailable = sandboxUnavailableReason();

/**
 * E2B's SDK in its normal mode, pointed at litmus as at E2B's cloud: `apiUrl` (E2B_API_URL) for the control
 * plane and `sandboxUrl` (E2B_SANDBOX_URL) for every sandbox, both litmus's E2B port. No debug mode: each
 * `Sandbox.create()` is a sandbox of its own, with the id, envs, metadata, lifetime and tokens E2B would give.
 */
describe.skipIf(unavailable)(
  `E2B's control plane, driven by E2B's own SDK (${unavailable ?? "normal mode, offline"})`,
  { timeout: 60_000 },
  () => {
    const suite = serverForSuite();
    const connection = () => {
      const url = (suite.server.e2bUrl as string).replace(/\/$/, "");
      return { apiUrl: url, sandboxUrl: url, apiKey: `e2b_${"0".repeat(40)}`, debug: false };
    };

    test("each create is a sandbox of its own, with its envs and metadata; kill ends it", async () => {
      const first = await Sandbox.create({ ...connection(), envs: { GREETING: "hello" }, metadata: { run: "one" } });
      const second = await Sandbox.create({ ...connection(), metadata: { run: "two" } });
      try {
        expect(first.sandboxId).not.toBe(second.sandboxId);
        // Create-time envs reach the kernel and commands; the other sandbox has none of them.
        expect((await first.runCode("import os; os.environ['GREETING']")).text).toBe("hello");
        expect((await first.commands.run("echo $GREETING")).stdout).toBe("hello\n");
        expect((await second.runCode("import os; os.getenv('GREETING', 'unset')")).text).toBe("unset");
        // Files are each sandbox's own.
        await first.files.write("/home/user/mine.txt", "first's");
        expect(await second.files.exists("/home/user/mine.txt")).toBe(false);

        const info = await first.getInfo();
        expect(info).toMatchObject({ sandboxId: first.sandboxId, metadata: { run: "one" }, state: "running" });
        expect(info.templateId).toBe("code-interpreter-v1");
        // The SDK's default lifetime: 300 s.
        expect(info.endAt.getTime() - info.startedAt.getTime()).toBeCloseTo(300_000, -3);

        const listed = await Sandbox.list({ ...connection(), query: { metadata: { run: "two" } } }).nextItems();
        expect(listed.map((sandbox) => sandbox.sandboxId)).toEqual([second.sandboxId]);
      } finally {
        await first.kill();
        await second.kill();
      }
      expect(await first.isRunning()).toBe(false);
      const left = await Sandbox.list(connection()).nextItems();
      expect(left.map((sandbox) => sandbox.sandboxId)).not.toContain(first.sandboxId);
      await expect(first.runCode("1")).rejects.toThrow();
      await expect(Sandbox.connect(first.sandboxId, connection())).rejects.toThrow(/not found/);
      // A template that is not built here is said as such, with what to do.
      await expect(Sandbox.create("no-such-template", connection())).rejects.toThrow(
        /404: template no-such-template is not built here: run `litmus template build no-such-template --from REQUIREMENTS` first/,
      );
    });

    test("connect finds a running sandbox again; setTimeout moves its end, and at the end it is killed", async () => {
      const sandbox = await Sandbox.create({ ...connection(), timeoutMs: 60_000 });
      await sandbox.files.write("/home/user/kept.txt", "still here");
      const again = await Sandbox.connect(sandbox.sandboxId, connection());
      expect(await again.files.read("/home/user/kept.txt")).toBe("still here");

      await again.setTimeout(5_000);
      const info = await sandbox.getInfo();
      expect(info.endAt.getTime() - Date.now()).toBeLessThanOrEqual(5_000);
      expect(await sandbox.isRunning()).toBe(true);
      await sleep(5_000);
      await expect.poll(() => sandbox.isRunning()).toBe(false);
      await expect(Sandbox.getInfo(sandbox.sandboxId, connection())).rejects.toThrow(/not found/);
    });

    test("runs and commands in progress when their sandbox is killed end as E2B's do: killed while in progress", async () => {
      const sandbox = await Sandbox.create(connection());
      // Each says when it is running, so the kill comes while both are, however slow their start.
      const running = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
      const run = sandbox.runCode("print('running', flush=True)\nimport time; time.sleep(60)", {
        timeoutMs: 60_000,
        onStdout: () => running[0]?.resolve(),
      });
      const outcome = run.then(
        () => "finished",
        (error: Error) => `${error.name}: ${error.message}`,
      );
      const command = sandbox.commands
        .run("echo running; sleep 60", { timeoutMs: 60_000, onStdout: () => running[1]?.resolve() })
        .then(
          () => "finished",
          (error: Error) => error.constructor.name,
        );
      await Promise.all(running.map(({ promise }) => promise));
      // Underneath, a reset connection (TCP RST), seen on the socket itself: a plain close (FIN) reads as a body
      // cut short in E2B's Python SDK, not as a sandbox gone.
      const sent = Promise.withResolvers<void>();
      const raw = new Promise<string>((resolve) => {
        const url = new URL(suite.server.e2bUrl as string);
        const body = JSON.stringify({ code: "import time; time.sleep(60)" });
        const token = (sandbox as unknown as { envdAccessToken: string }).envdAccessToken;
        const socket = connect(Number(url.port), url.hostname, () =>
          socket.write(
            `POST /execute HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
              `E2b-Sandbox-Id: ${sandbox.sandboxId}\r\nX-Access-Token: ${token}\r\n` +
              `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            () => sent.resolve(),
          ),
        );
        socket.on("data", () => {});
        socket.on("end", () => resolve("closed"));
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
      await sent.promise;
      await sleep(500); // for the server to read the raw request (it queues behind the run)
      await sandbox.kill();
      expect(await outcome).toMatch(/^TimeoutError: The sandbox was killed while the request was in progress/);
      expect(await command).toBe("TimeoutError");
      expect(await raw).toBe("ECONNRESET");
    });

    test("an interpreter killed from inside the sandbox comes back for the next run, its state gone", async () => {
      const sandbox = await Sandbox.create(connection());
      try {
        const pid = (await sandbox.runCode("import os; kept = 1; os.getpid()")).text;
        await sandbox.commands.run(`kill -9 ${pid}`);
        const after = await sandbox.runCode("'kept' in globals(), os.getpid() if 'os' in globals() else None");
        expect(after.text).toBe("(False, None)");
        expect((await sandbox.runCode("1 + 1")).text).toBe("2");
      } finally {
        await sandbox.kill();
      }
    });

    test("signed file URLs work without headers; a changed path or an expired signature is refused", async () => {
      const sandbox = await Sandbox.create(connection());
      try {
        const upload = await sandbox.uploadUrl("/home/user/up.txt");
        const form = new FormData();
        form.append("file", new Blob(["uploaded"]), "up.txt");
        expect((await fetch(upload, { method: "POST", body: form })).status).toBe(200);
        // A form filled by hand: the file's content as a plain text field.
        const typed = new FormData();
        typed.append("file", "typed in");
        const textUpload = await sandbox.uploadUrl("typed.txt", { useSignatureExpiration: 60 });
        expect((await fetch(textUpload, { method: "POST", body: typed })).status).toBe(200);
        expect(await sandbox.files.read("typed.txt")).toBe("typed in");
        const download = await sandbox.downloadUrl("/home/user/up.txt");
        expect(download).toMatch(/[?&]signature=v1_/);
        expect(await (await fetch(download)).text()).toBe("uploaded");

        // The signature covers the path: the same signature for another file opens nothing.
        const other = new URL(download);
        other.searchParams.set("path", "/home/user/.bashrc");
        expect((await fetch(other)).status).toBe(401);
        // A signature made for reading does not write.
        expect((await fetch(download, { method: "POST", body: form })).status).toBe(401);
        const expired = await sandbox.downloadUrl("/home/user/up.txt", { useSignatureExpiration: -10 });
        const refused = await fetch(expired);
        expect([refused.status, await refused.json()]).toEqual([
          401,
          { code: 401, message: "signature is already expired" },
        ]);
      } finally {
        await sandbox.kill();
      }
    });
  },
);
