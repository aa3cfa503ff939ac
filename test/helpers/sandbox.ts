import { execFileSync } from "node:child_process";
import { onTestFailed } from "vitest";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/index.ts";

/** Both ways a local sandbox starts; integration tests run against each. */
export const LAUNCH_MODES = ["zygote", "direct"] as const;

/** Why sandbox tests cannot run here, or null when they can. Tests skip with this reason, never pass silently. */
export function sandboxUnavailableReason(): string | null {
  try {
    execFileSync("bwrap", ["--version"], { stdio: "ignore" });
  } catch {
    return "bubblewrap (bwrap) is not installed: run .ci/run or `apt-get install bubblewrap`";
  }
  return null;
}

/** Creates a real sandbox for one test, prints its id if the test fails, and always kills it. */
export async function useSandbox(options: SandboxOptions = {}): Promise<Sandbox & AsyncDisposable> {
  const sandbox = await Sandbox.create(options);
  onTestFailed(() => {
    console.error(`sandbox of the failed test: ${sandbox.sandboxId} (${JSON.stringify(sandbox.getInfo().isolation)})`);
  });
  return sandbox;
}

/**
 * Host processes whose argv[0] is `marker` (sandboxed code names them with `exec -a`), to prove that nothing
 * outlived a sandbox. Matching argv[0] only keeps the test's own processes, whose arguments mention the
 * marker, out of the count.
 */
export function hostProcessesWith(marker: string): string[] {
  const output = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return output.split("\n").filter((line) => line.trim().split(/\s+/)[1] === marker);
}

export function stdoutOf(execution: { logs: { stdout: string[] } }): string {
  return execution.logs.stdout.join("");
}
