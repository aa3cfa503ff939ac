import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { ServerAccess } from "../../src/server/auth.ts";
import { createE2bApp } from "../../src/server/e2b/e2b-app.ts";
import { DEFAULT_CLIENT_LIMITS } from "../../src/server/limits.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

/** Whether a process with exactly these arguments runs anywhere on the host. */
function hostRuns(args: string): boolean {
  return execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })
    .split("\n")
    .some((line) => line.trim() === args);
}

/** The NDJSON events of one POST /execute. */
async function execute(app: ReturnType<typeof createE2bApp>["app"], code: string): Promise<Record<string, unknown>[]> {
  const response = await app.request("/execute", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  expect(response.status).toBe(200);
  return (await response.text())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.type !== "keepalive");
}

/**
 * A client of the E2B API gets a sandbox on its first request. It used to live as long as the server, with
 * whatever the client left running in it: now it lives until the client has been idle for `sandboxIdleMs`
 * (E2B's sandbox timeout), is then killed with everything in it, and the next request gets a fresh one.
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("sandboxes of E2B API clients", () => {
  test("live while used (a long run included), die with their background processes once idle", async () => {
    const { app, close } = createE2bApp({
      access: new ServerAccess([]),
      limits: { ...DEFAULT_CLIENT_LIMITS, sandboxIdleMs: 800 },
    });
    try {
      // A background process of its own session: the cell's end does not stop it (as in E2B).
      const marker = `sleep ${(299 + Math.random()).toFixed(6)}`;
      await execute(
        app,
        `import subprocess\nx = 7\nsubprocess.Popen(${JSON.stringify(marker.split(" "))}, start_new_session=True)`,
      );
      expect(hostRuns(marker)).toBe(true);
      // Longer than the idle time, while running: the sandbox stays, and so does x.
      const long = await execute(app, "import time\ntime.sleep(1.5)\nx");
      expect(long.find((event) => event.type === "result")?.text).toBe("7");
      await expect
        .poll(() => hostRuns(marker), {
          message: "the idle sandbox was killed with its background process",
        })
        .toBe(false);
      const after = await execute(app, "x");
      expect(after.find((event) => event.type === "error")?.name, "a fresh sandbox").toBe("NameError");
    } finally {
      await close();
    }
  });
});
