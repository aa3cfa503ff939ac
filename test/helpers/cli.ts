import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/litmus.js", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI on this checkout with the Node running the tests (Node 24 from node_modules). */
export function litmus(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? process.env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** Starts the CLI in the background (stdout ignored, stderr collected), to kill it mid-run. */
export function spawnLitmus(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: { text: string } } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  const stderr = { text: "" };
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr.text += chunk;
  });
  return { child, stderr };
}

/** Polls `condition` until it holds; on timeout, fails with what the run printed. */
export async function waitFor(condition: () => boolean, stderr: { text: string }, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; the run said:\n${stderr.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
