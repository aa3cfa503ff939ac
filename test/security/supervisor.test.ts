import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { litmus } from "../helpers/cli.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

/**
 * User code runs beside the sandbox's supervisor, as the same user. It could end the supervisor with a
 * signal (Python's SIGINT handler, on the namespace's init) or with a line it cannot parse on the kernel's
 * event pipe, and `litmus run` then reported an infrastructure failure (exit 3) for code that simply failed.
 */
describe.skipIf(Boolean(sandboxUnavailableReason())).each(LAUNCH_MODES)(
  "the supervisor against its own user (%s)",
  (launch) => {
    test("signals to init change nothing; the sandbox goes on", async () => {
      await using sandbox = await Sandbox.create({ launch });
      const hit = await sandbox.runCode(
        "import os, signal\nfor sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGQUIT):\n    os.kill(1, sig)\nprint('sent')",
      );
      expect(stdoutOf(hit)).toBe("sent\n");
      expect((await sandbox.runCode("6 * 7")).text).toBe("42");
    });

    test("a deeply nested line, a list, a fake result on the kernel's event pipe change nothing", async () => {
      await using sandbox = await Sandbox.create({ launch });
      const forged = await sandbox.runCode(
        [
          "import os",
          "for fd in os.listdir('/proc/self/fd'):",
          "    try:",
          '        os.write(int(fd), b\'[\' * 200000 + b\']\' * 200000 + b\'\\n[1, 2]\\n{"ev": "done", "exitCode": "x", "error": 7}\\n\')',
          "    except OSError:",
          "        pass",
        ].join("\n"),
      );
      expect(forged.error?.name ?? "no error").not.toBe("LitmusError");
      expect((await sandbox.runCode("6 * 7")).text).toBe("42");
    });
  },
);

describe.skipIf(Boolean(sandboxUnavailableReason()))("litmus run when the code attacks its supervisor", () => {
  test("exits 1 (the code failed), not 3 (litmus failed)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "litmus-supervisor-")), "attack.py");
    writeFileSync(file, "import os, signal\nos.kill(1, signal.SIGINT)\nraise SystemExit(5)\n");
    const run = await litmus(["run", file]);
    expect([run.code, run.stderr]).toEqual([1, expect.not.stringContaining("litmus: the sandbox")]);
  });
});
