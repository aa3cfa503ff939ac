import { execFile } from "node:child_process";
import { existsSync, realpathSync, statSync } from "node:fs";
import { request } from "node:http";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { serverForSuite } from "../helpers/server.ts";

const NOBODY = 65534;

/** Whether nobody can run this Node.js: every directory on its path searchable by others, the file executable. */
function nobodyCanRunNode(): boolean {
  let path = realpathSync(process.execPath);
  if ((statSync(path).mode & 0o001) === 0) return false;
  while (path !== "/") {
    path = dirname(path);
    if ((statSync(path).mode & 0o001) === 0) return false;
  }
  return true;
}

const skipped =
  sandboxUnavailableReason() ??
  (process.getuid?.() === 0 && existsSync("/usr/bin/setpriv") ? null : "needs root and setpriv, to be another user") ??
  (nobodyCanRunNode() ? null : "nobody cannot run this Node.js (it is under a private directory)");

/** Runs code on the E2B API from 127.0.0.1 or another loopback address; answers the result's text. */
function runFrom(e2bUrl: string, code: string, localAddress = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const sent = request(
      new URL("execute", e2bUrl),
      { method: "POST", localAddress, headers: { "content-type": "application/json" } },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve(body));
      },
    );
    sent.once("error", reject);
    sent.end(JSON.stringify({ code }));
  });
}

/**
 * Without tokens on loopback, the E2B API told clients apart by source address: every local user was one
 * client (nobody read root's variables and files), and one user became many clients by using 127.0.0.2,
 * 127.0.0.3, ... (ten addresses got ten times the limits). A client is now the local user at the other end.
 */
describe.skipIf(skipped)(`loopback clients of the E2B API (${skipped ?? "root and nobody"})`, () => {
  const suite = serverForSuite();

  test("another local user gets a sandbox of its own; another loopback address does not make another client", async () => {
    const e2b = suite.server.e2bUrl as string;
    expect(await runFrom(e2b, "secret = 'root only'\nsecret")).toContain("root only");
    // The same user from 127.0.0.2: the same client, the same sandbox.
    expect(await runFrom(e2b, "secret", "127.0.0.2")).toContain("root only");
    // nobody, from 127.0.0.1: a client of its own, which sees nothing of root's.
    const script = `fetch(${JSON.stringify(new URL("execute", e2b).href)}, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: "'secret' in globals()" }) }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    // Not execFileSync: the server answering it runs in this very process.
    const { stdout: asNobody } = await promisify(execFile)(
      "setpriv",
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", process.execPath, "-e", script],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(asNobody).toContain('"text":"False"');
  });
});
