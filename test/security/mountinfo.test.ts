import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

const CHECKOUT = realpathSync(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * /proc/self/mountinfo showed where each of the template's binds came from on the host: the checkout or
 * install directory of litmus (its kernels, the node binary's directory) and its temporary directories
 * (/tmp/litmus-etc-PID-..., the template's control socket directory). A sandbox forked from the template now
 * sees its own paths only. (A sandbox launched with a bubblewrap of its own still shows them: docs/security.md.)
 */
describe.skipIf(Boolean(sandboxUnavailableReason()))("/proc/self/mountinfo", () => {
  test("names no host path of litmus's", async () => {
    await using sandbox = await Sandbox.create({ launch: "zygote" });
    const mountinfo = stdoutOf(await sandbox.runCode("print(open('/proc/self/mountinfo').read())"));
    expect(mountinfo).toContain(" /usr ");
    for (const hostPath of [CHECKOUT, dirname(realpathSync(process.execPath)), `${realpathSync(tmpdir())}/litmus-`]) {
      expect(mountinfo).not.toContain(hostPath);
    }
  });
});
