import { describe, expect, test } from "vitest";
import { Sandbox } from "../../src/sandbox/index.ts";
import { seccompProgram } from "../../src/sandbox/local/seccomp.ts";
import { LAUNCH_MODES, sandboxUnavailableReason, stdoutOf } from "../helpers/sandbox.ts";

// Each call the way an exploit starts: a keyring lookup, an io_uring, a userfaultfd, a perf event, a key
// added, and keyctl through the 32-bit entry point (int 0x80), where it has another number.
const PROBE = String.raw`
import ctypes, mmap, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(*args):
    result = libc.syscall(*[a if isinstance(a, ctypes.c_char_p) else ctypes.c_long(a) for a in args])
    return "ok" if result >= 0 else os.strerror(ctypes.get_errno())
params = ctypes.create_string_buffer(120)
attr = ctypes.create_string_buffer(128)
ctypes.memmove(attr, (1).to_bytes(4, "little") + (128).to_bytes(4, "little"), 8)  # software event, its size
print("keyctl", call(250, 0, -3, 0))
print("io_uring_setup", call(425, 4, ctypes.addressof(params)))
print("userfaultfd", call(323, 0))
print("perf_event_open", call(298, ctypes.addressof(attr), 0, -1, -1, 0))
print("add_key", call(248, ctypes.c_char_p(b"user"), ctypes.c_char_p(b"k"), ctypes.c_char_p(b"v"), 1, -3))
# int 0x80 with eax = 288 (keyctl in the i386 table): mov eax, 288; int 0x80; ret
code = bytes([0xB8, 0x20, 0x01, 0x00, 0x00, 0xCD, 0x80, 0xC3])
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
i386 = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
print("keyctl-i386", "ok" if i386 >= 0 else os.strerror(-i386))
`;

/**
 * The sandbox's kernel surface was everything its namespaces allow: kernel keyrings, io_uring, userfaultfd and
 * perf events, the usual first steps of kernel exploits, all worked from user code. A seccomp filter now makes
 * them fail with EPERM (and every call through a foreign ABI with ENOSYS).
 */
describe.skipIf(Boolean(sandboxUnavailableReason()) || process.arch !== "x64").each(LAUNCH_MODES)(
  "system calls (%s)",
  (launch) => {
    test("the kernel's riskiest calls are refused, ordinary code runs", async () => {
      await using sandbox = await Sandbox.create({ launch });
      expect(sandbox.getInfo().isolation?.syscalls).toBe("filtered");
      const lines = stdoutOf(await sandbox.runCode(PROBE))
        .trim()
        .split("\n");
      expect(lines).toEqual([
        "keyctl Operation not permitted",
        "io_uring_setup Operation not permitted",
        "userfaultfd Operation not permitted",
        "perf_event_open Operation not permitted",
        "add_key Operation not permitted",
        "keyctl-i386 Function not implemented",
      ]);
      const node = await sandbox.runCode("console.log([1, 2, 3].map((n) => n * 2).join(','))", {
        language: "javascript",
      });
      expect(stdoutOf(node)).toBe("2,4,6\n");
    });
  },
);

describe("the seccomp program", () => {
  test("has no filter for an architecture it lacks the numbers of, rather than a wrong one", () => {
    expect(seccompProgram("x64")?.length).toBeGreaterThan(0);
    expect(seccompProgram("riscv64")).toBeNull();
  });
});
