import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

/** /proc/cmdline is the host kernel's boot command line (options, sometimes secrets): a sandbox reads nothing. */
describe.skipIf(Boolean(sandboxUnavailableReason())).each(LAUNCH_MODES)("/proc/cmdline (%s)", (launch) => {
  test("is empty inside, whatever the host's says", async () => {
    expect(readFileSync("/proc/cmdline", "utf8").trim()).not.toBe("");
    await using sandbox = await Sandbox.create({ launch });
    const execution = await sandbox.runCode("print(repr(open('/proc/cmdline').read()))");
    expect(stdoutOf(execution)).toBe("''\n");
  });
});
