import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

/**
 * RLIMIT_CPU is per process and starts again in every fork: nine forks once burned 13.5 CPU seconds under
 * `cpuSeconds: 2`. The sandbox as a whole gets a CPU quota instead (its cgroup's CFS quota), which forks,
 * threads and background processes all count against.
 */
const BURN = `
import os, resource, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            pass
        os._exit(0)
    children.append(pid)
started = time.monotonic()
for pid in children:
    os.waitpid(pid, 0)
wall = time.monotonic() - started
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round((used.ru_utime + used.ru_stime) / wall, 2))
`;

describe.skipIf(Boolean(sandboxUnavailableReason()))("CPU for the sandbox as a whole", () => {
  test("four forked busy loops share one CPU's quota: CPU time over wall time stays near 1", async () => {
    await using sandbox = await Sandbox.create({ limits: { cpus: 1 } });
    const isolation = sandbox.getInfo().isolation;
    if (isolation?.cpu !== "sandbox") {
      // Without a writable cpu controller the fallback is per-process RLIMIT_CPU, and the sandbox says so.
      expect(isolation?.cpu).toBe("per-process");
      return;
    }
    const execution = await sandbox.runCode(BURN, { timeoutMs: 20_000 });
    expect(execution.error).toBeNull();
    const cpusUsed = Number(stdoutOf(execution).trim());
    expect(cpusUsed).toBeGreaterThan(0.3); // it did burn (the other tests' sandboxes share the machine's cores)
    expect(cpusUsed).toBeLessThanOrEqual(1.15);
  });
});
