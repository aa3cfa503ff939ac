import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { LAUNCH_MODES, sandboxUnavailableReason } from "../helpers/sandbox.ts";

// Lowers its OOM score back to the supervisor's (user code starts at 800 and may go down to 0), then fills the
// sandbox's memory with tmpfs files written by small processes: the supervisor became the biggest candidate.
const FILL_MEMORY = `
import subprocess
open("/proc/self/oom_score_adj", "w").write("0")
for directory in ["/dev/shm", "/tmp", "/home/user"]:
    for i in range(2):
        subprocess.run(["dd", "if=/dev/zero", "of=%s/fill%d" % (directory, i), "bs=1M", "count=45"], capture_output=True)
`;

/**
 * The sandbox's memory limit covered its supervisor too, and user code may lower its own OOM score: code that
 * filled the memory after lowering it got the supervisor killed, and the sandbox with it. User code now runs in
 * a cgroup of its own inside the sandbox's, which holds the limit; the supervisor is never a candidate.
 */
describe.skipIf(Boolean(sandboxUnavailableReason())).each(LAUNCH_MODES)("out of memory (%s)", (launch) => {
  test("code that lowers its OOM score and fills the memory kills its own processes, never the sandbox", async () => {
    await using sandbox = await Sandbox.create({
      launch,
      limits: { memoryBytes: 128 * 1024 * 1024, diskBytes: 100 * 1024 * 1024 },
    });
    const filled = await sandbox.runCode(FILL_MEMORY, { timeoutMs: 60_000 });
    expect(filled.oomKilled).toBe(true);
    // The supervisor is alive: it answers, and once it has removed the files (they hold the memory) code runs.
    for (const directory of ["/dev/shm", "/tmp", "/home/user"]) {
      for (const name of ["fill0", "fill1"]) await sandbox.files.remove(`${directory}/${name}`).catch(() => {});
    }
    const after = await sandbox.runCode("1 + 1");
    expect(after.results[0]?.text).toBe("2");
  });
});
