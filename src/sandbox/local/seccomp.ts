/**
 * A seccomp filter for every sandbox. System calls that user code never needs and that are the kernel's most
 * exploited surfaces fail with EPERM, as in Docker's default profile: kernel keyrings, BPF, perf events,
 * userfaultfd, io_uring (libuv and others fall back to threads), loading modules and kernels, the new mount
 * API, setting clocks, swap, accounting, the kernel log, file handles. A denylist, not Docker's allowlist:
 * the template sets sandboxes up with unshare and mount, which must stay allowed (user code has no
 * capability that makes them work), and an allowlist that misses one call a runtime needs breaks it.
 * bubblewrap loads the filter (`--seccomp FD`) just before it starts the template or the sandbox, so every
 * process inherits it; filters cannot be removed, only added.
 */

/** Each architecture's audit number and the numbers of the denied calls (from the kernel's unistd headers). */
const ARCHITECTURES: Partial<Record<NodeJS.Architecture, { audit: number; x32: boolean; denied: number[] }>> = {
  x64: {
    audit: 0xc000003e,
    x32: true,
    // keyctl, add_key, request_key, bpf, perf_event_open, userfaultfd, kexec_load, kexec_file_load,
    // init_module, finit_module, delete_module, reboot, swapon, swapoff, acct, syslog, quotactl,
    // open_by_handle_at, name_to_handle_at, io_uring_setup/enter/register, iopl, ioperm, settimeofday,
    // clock_settime, clock_adjtime, adjtimex, uselib, _sysctl, lookup_dcookie, vhangup, open_tree,
    // move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr, quotactl_fd, open_tree_attr, modify_ldt.
    denied: [
      250, 248, 249, 321, 298, 323, 246, 320, 175, 313, 176, 169, 167, 168, 163, 103, 179, 304, 303, 425, 426, 427, 172,
      173, 164, 227, 305, 159, 134, 156, 212, 153, 428, 429, 430, 431, 432, 433, 442, 443, 467, 154,
    ],
  },
  arm64: {
    audit: 0xc00000b7,
    x32: false,
    // The same calls in the generic table (no iopl, ioperm, uselib, _sysctl or modify_ldt there).
    denied: [
      219, 217, 218, 280, 241, 282, 104, 294, 105, 273, 106, 142, 224, 225, 89, 116, 60, 265, 264, 425, 426, 427, 170,
      112, 266, 171, 18, 58, 428, 429, 430, 431, 432, 433, 442, 443, 467,
    ],
  },
};

const EPERM = 1;
const ENOSYS = 38;
// Classic BPF, as seccomp runs it: load a word of seccomp_data, compare and jump, return.
const LOAD_WORD = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JUMP_IF_EQUAL = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RETURN = 0x06; // BPF_RET | BPF_K
const ALLOW = 0x7fff0000;
const FAIL_WITH = (errno: number) => 0x00050000 | errno;
const SYSCALL_NUMBER = 0; // offsetof(struct seccomp_data, nr)
const ARCH = 4; // offsetof(struct seccomp_data, arch)
const X32_BIT = 0x40000000;

/** Whether sandboxes on this machine get the filter (an architecture litmus has the numbers for). */
export function filtersSyscalls(arch: NodeJS.Architecture = process.arch): boolean {
  return ARCHITECTURES[arch] !== undefined;
}

/**
 * The filter as the kernel's `struct sock_filter` array, for `bwrap --seccomp`. Calls of another ABI (i386
 * through int 0x80, x32) fail with ENOSYS: they would otherwise reach the denied calls under other numbers.
 */
export function seccompProgram(arch: NodeJS.Architecture = process.arch): Buffer | null {
  const table = ARCHITECTURES[arch];
  if (!table) return null;
  const { denied } = table;
  // Layout: [arch check] [x32 check] [one compare per denied call] allow, deny, foreign.
  const instructions: Array<[code: number, jumpIfTrue: number, jumpIfFalse: number, k: number]> = [];
  const prologue = table.x32 ? 4 : 3;
  const allowAt = prologue + denied.length;
  const jumpTo = (from: number, target: number) => target - from - 1;
  instructions.push([LOAD_WORD, 0, 0, ARCH]);
  instructions.push([JUMP_IF_EQUAL, 0, jumpTo(1, allowAt + 2), table.audit]);
  instructions.push([LOAD_WORD, 0, 0, SYSCALL_NUMBER]);
  if (table.x32) instructions.push([JUMP_IF_AT_LEAST, jumpTo(3, allowAt + 2), 0, X32_BIT]);
  for (const [index, number] of denied.entries()) {
    instructions.push([JUMP_IF_EQUAL, jumpTo(prologue + index, allowAt + 1), 0, number]);
  }
  instructions.push([RETURN, 0, 0, ALLOW]);
  instructions.push([RETURN, 0, 0, FAIL_WITH(EPERM)]);
  instructions.push([RETURN, 0, 0, FAIL_WITH(ENOSYS)]);
  const program = Buffer.alloc(instructions.length * 8);
  for (const [index, [code, jumpIfTrue, jumpIfFalse, k]] of instructions.entries()) {
    program.writeUInt16LE(code, index * 8);
    program.writeUInt8(jumpIfTrue, index * 8 + 2);
    program.writeUInt8(jumpIfFalse, index * 8 + 3);
    program.writeUInt32LE(k, index * 8 + 4);
  }
  return program;
}

/**
 * Hands the filter to a bwrap just started with a pipe at that descriptor (it reads the program to its end
 * before it starts anything). Kept in memory, not in a file a temp cleaner could remove from under a
 * long-running server.
 */
let hostProgram: Buffer | null | undefined;

export function sendSeccompProgram(pipe: NodeJS.WritableStream | null | undefined): void {
  hostProgram ??= seccompProgram();
  const program = hostProgram;
  if (!program || !pipe) return;
  // A bwrap that dies before it reads (a start aborted at once) resets the pipe: its start fails and is
  // reported on its own, so the write's error is not another one.
  pipe.on("error", () => {});
  pipe.end(program);
}
