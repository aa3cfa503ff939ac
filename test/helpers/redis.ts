import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** Why tests that need Redis cannot run here, or null. They skip with this reason, never pass silently. */
export function redisUnavailableReason(): string | null {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return null;
  } catch {
    return "redis-server is not installed: run .ci/run or `apt-get install redis-server`";
  }
}

/**
 * A real redis-server of the test's own, on a free port, without persistence; stopped with `stop`. A port found
 * free can be taken before the server binds it (by another test's server, which would then answer our pings):
 * the server is ours only when it answers with our directory, and otherwise it is started again on another port.
 */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const started = await startRedisOnce();
    if (started) return started;
    if (attempt === 5) throw new Error("redis-server did not start on any of 5 free ports");
  }
}

async function startRedisOnce(): Promise<{ url: string; stop(): Promise<void> } | null> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "litmus-redis-"));
  const server: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const [, answeringDir] = (await client.config("GET", "dir")) as [string, string];
      client.disconnect();
      // Redis reports the directory it runs in with symbolic links resolved.
      if (answeringDir === realpathSync(dir) && server.exitCode === null) return { url, stop };
      await stop();
      return null;
    } catch (error) {
      client.disconnect();
      const gone = server.exitCode !== null;
      if (gone || Date.now() > deadline) {
        await stop();
        if (gone) return null;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
