import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { chown, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "../../process-alive.ts";

/** A cgroup (one directory per controller on v1, one on v2) that holds exactly one sandbox. */
export interface SandboxCgroup {
  /** The `cgroup.procs` files a process writes its pid to, to join. */
  readonly procsFiles: string[];
  /**
   * The `cgroup.procs` of the group inside it where user code runs, under the sandbox's memory limit. The
   * supervisor stays outside it with an allowance of its own, so when user code fills the sandbox's memory
   * the OOM killer chooses among user code only: whatever oom_score_adj user code gives itself (it may lower
   * the 800 it starts with), the supervisor is never a candidate.
   */
  readonly codeProcsFile: string;
  /** How many processes the kernel's OOM killer has killed in this cgroup so far. */
  oomKills(): Promise<number>;
  /** Lets `uid` move processes into this cgroup (the zygote's children join it themselves). */
  delegate(uid: number): Promise<void>;
  /** Kills every process still inside, then removes the cgroup. */
  destroy(): Promise<void>;
}

/** What a sandbox's cgroup limits, for the sandbox as a whole. */
interface CgroupLimits {
  memoryBytes: number;
  processes: number;
  /** CPUs' worth of time per period (CFS quota), when the cpu controller is there to enforce it. */
  cpus: number;
}

export interface CgroupManager {
  readonly kind: "cgroup-v1" | "cgroup-v2";
  /** Whether sandboxes' CPU is limited as a whole (the cpu controller was writable). */
  readonly limitsCpu: boolean;
  /** The directories sandbox cgroups are created in. */
  readonly bases: string[];
  create(name: string, limits: CgroupLimits): Promise<SandboxCgroup>;
}

/**
 * Memory the supervisor may use beyond the sandbox's limit for user code: its own interpreter and what it
 * holds for the host (a file read of up to 64 MiB, output on its way out).
 */
const SUPERVISOR_MEMORY_BYTES = 128 * 1024 * 1024;

/** The group user code runs in, inside the sandbox's own. */
const CODE_GROUP = "code";

/** The CFS period: quotas are CPUs times this, in microseconds. */
const CPU_PERIOD_US = 100_000;

const ROOT = "/sys/fs/cgroup";

/** This process's cgroup path per controller, from /proc/self/cgroup ("4:memory:/a/b", "0::/a/b"). */
function ownCgroups(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers === undefined || path === undefined) continue;
    for (const controller of controllers.split(",")) paths.set(controller, path);
  }
  return paths;
}

async function writeControl(directory: string, file: string, value: string): Promise<void> {
  await writeFile(join(directory, file), value);
}

/** 1, 2, 4 ... 32 ms: processes usually finish exiting within a millisecond or two. */
function backoffMs(attempt: number): number {
  return Math.min(32, 2 ** attempt);
}

async function killAll(directory: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    let pids: number[];
    try {
      pids = (await readFile(join(directory, "cgroup.procs"), "utf8")).split("\n").filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(backoffMs(attempt));
  }
}

async function removeDirectory(directory: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await rmdir(directory);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      // EBUSY: the last processes are still exiting.
      await sleep(backoffMs(attempt));
    }
  }
}

async function delegate(procsFiles: string[], uid: number): Promise<void> {
  if (uid === (process.getuid?.() ?? uid)) return;
  await Promise.all(procsFiles.map((file) => chown(file, uid, uid)));
}

/** Sets the memory limit of a v1 memory cgroup (and of memory plus swap, where the kernel accounts swap). */
async function limitMemoryV1(directory: string, bytes: number): Promise<void> {
  await writeControl(directory, "memory.limit_in_bytes", String(bytes));
  if (existsSync(join(directory, "memory.memsw.limit_in_bytes"))) {
    await writeControl(directory, "memory.memsw.limit_in_bytes", String(bytes));
  }
}

function oomKillCount(text: string): number {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match?.[1] ? Number(match[1]) : 0;
}

class CgroupV1 implements CgroupManager {
  readonly kind = "cgroup-v1";
  private readonly memoryBase: string;
  private readonly pidsBase: string;
  private readonly cpuBase: string | null;

  constructor(memoryBase: string, pidsBase: string, cpuBase: string | null) {
    this.memoryBase = memoryBase;
    this.pidsBase = pidsBase;
    this.cpuBase = cpuBase;
  }

  get limitsCpu(): boolean {
    return this.cpuBase !== null;
  }

  get bases(): string[] {
    return [this.memoryBase, this.pidsBase, ...(this.cpuBase ? [this.cpuBase] : [])];
  }

  async create(name: string, limits: CgroupLimits): Promise<SandboxCgroup> {
    const memory = join(this.memoryBase, name);
    const pids = join(this.pidsBase, name);
    const cpu = this.cpuBase ? join(this.cpuBase, name) : null;
    const code = join(memory, CODE_GROUP);
    const directories = [memory, pids, ...(cpu ? [cpu] : [])];
    await Promise.all(directories.map((directory) => mkdir(directory)));
    await mkdir(code);
    // v1 memory cgroups are hierarchical: the sandbox's group bounds the supervisor and user code together.
    await limitMemoryV1(memory, limits.memoryBytes + SUPERVISOR_MEMORY_BYTES);
    await limitMemoryV1(code, limits.memoryBytes);
    await writeControl(pids, "pids.max", String(limits.processes));
    if (cpu) {
      await writeControl(cpu, "cpu.cfs_period_us", String(CPU_PERIOD_US));
      await writeControl(cpu, "cpu.cfs_quota_us", String(limits.cpus * CPU_PERIOD_US));
    }
    const procsFiles = directories.map((directory) => join(directory, "cgroup.procs"));
    const codeProcsFile = join(code, "cgroup.procs");
    // v1 counts an OOM kill in the group that ran out only (v2 counts it in every ancestor too).
    const killsIn = async (directory: string) =>
      oomKillCount(await readFile(join(directory, "memory.oom_control"), "utf8"));
    return {
      procsFiles,
      codeProcsFile,
      delegate: (uid) => delegate([...procsFiles, codeProcsFile], uid),
      oomKills: async () => (await killsIn(memory)) + (await killsIn(code)),
      destroy: async () => {
        // Every process of the sandbox is in its pids group (user code moves only within the memory
        // hierarchy, into the code group): emptying that one empties them all.
        await killAll(pids);
        await removeDirectory(code);
        await Promise.all(directories.map((directory) => removeDirectory(directory)));
      },
    };
  }
}

class CgroupV2 implements CgroupManager {
  readonly kind = "cgroup-v2";
  readonly limitsCpu: boolean;
  private readonly base: string;

  constructor(base: string, limitsCpu: boolean) {
    this.base = base;
    this.limitsCpu = limitsCpu;
  }

  get bases(): string[] {
    return [this.base];
  }

  async create(name: string, limits: CgroupLimits): Promise<SandboxCgroup> {
    const directory = join(this.base, name);
    // v2 lets only leaves hold processes once controllers are enabled below: the supervisor and user code
    // get one each, the sandbox's group bounds both.
    const supervisor = join(directory, "supervisor");
    const code = join(directory, CODE_GROUP);
    await mkdir(directory);
    await writeControl(directory, "memory.max", String(limits.memoryBytes + SUPERVISOR_MEMORY_BYTES));
    await writeControl(directory, "memory.swap.max", "0").catch(() => {});
    await writeControl(directory, "pids.max", String(limits.processes));
    if (this.limitsCpu) await writeControl(directory, "cpu.max", `${limits.cpus * CPU_PERIOD_US} ${CPU_PERIOD_US}`);
    await writeControl(directory, "cgroup.subtree_control", "+memory");
    await Promise.all([mkdir(supervisor), mkdir(code)]);
    await writeControl(code, "memory.max", String(limits.memoryBytes));
    await writeControl(code, "memory.swap.max", "0").catch(() => {});
    const procsFiles = [join(supervisor, "cgroup.procs")];
    const codeProcsFile = join(code, "cgroup.procs");
    return {
      procsFiles,
      codeProcsFile,
      // Moving a process between the leaves takes write access to their common ancestor's cgroup.procs.
      delegate: (uid) => delegate([...procsFiles, codeProcsFile, join(directory, "cgroup.procs")], uid),
      oomKills: async () => oomKillCount(await readFile(join(directory, "memory.events"), "utf8")),
      destroy: async () => {
        await writeControl(directory, "cgroup.kill", "1").catch(() => {});
        await Promise.all([supervisor, code].map((leaf) => killAll(leaf)));
        await Promise.all([supervisor, code].map((leaf) => removeDirectory(leaf)));
        await removeDirectory(directory);
      },
    };
  }
}

async function tryV1(own: Map<string, string>): Promise<CgroupManager | null> {
  const memoryPath = own.get("memory");
  const pidsPath = own.get("pids");
  if (memoryPath === undefined || pidsPath === undefined) return null;
  const memoryBase = join(ROOT, "memory", memoryPath, `litmus-${process.pid}`);
  const pidsBase = join(ROOT, "pids", pidsPath, `litmus-${process.pid}`);
  try {
    await mkdir(memoryBase, { recursive: true });
    await mkdir(pidsBase, { recursive: true });
  } catch {
    return null;
  }
  // The cpu controller is optional: without it, CPU stays limited per process only (and isolation says so).
  const cpuPath = own.get("cpu");
  let cpuBase: string | null = cpuPath === undefined ? null : join(ROOT, "cpu", cpuPath, `litmus-${process.pid}`);
  if (cpuBase) await mkdir(cpuBase, { recursive: true }).catch(() => (cpuBase = null));
  const bases = [memoryBase, pidsBase, ...(cpuBase ? [cpuBase] : [])];
  await sweepStaleBases(bases.map((base) => dirname(base)));
  registerCleanup(bases);
  return new CgroupV1(memoryBase, pidsBase, cpuBase);
}

async function tryV2(own: Map<string, string>): Promise<CgroupManager | null> {
  const ownPath = own.get("");
  if (ownPath === undefined || !existsSync(join(ROOT, "cgroup.controllers"))) return null;
  // Controllers can only be delegated to children of a cgroup that holds no processes itself, so sandboxes
  // live under a sibling group the user has delegated to us (systemd user slices allow this).
  const base = join(ROOT, ownPath, `litmus-${process.pid}`);
  try {
    await mkdir(base, { recursive: true });
    await writeControl(base, "cgroup.subtree_control", "+memory +pids");
  } catch {
    await rmdir(base).catch(() => {});
    return null;
  }
  // The cpu controller is optional (a systemd user slice delegates it only where configured to).
  const limitsCpu = await writeControl(base, "cgroup.subtree_control", "+cpu").then(
    () => true,
    () => false,
  );
  await sweepStaleBases([dirname(base)]);
  registerCleanup([base]);
  return new CgroupV2(base, limitsCpu);
}

/** Removes a group and every group inside it, deepest first (their processes are killed first). */
async function removeBase(base: string): Promise<void> {
  const children = await readdir(base, { withFileTypes: true }).catch(() => []);
  await Promise.all(children.filter((entry) => entry.isDirectory()).map((entry) => removeBase(join(base, entry.name))));
  await killAll(base);
  await removeDirectory(base);
}

/** The same, synchronously and without killing (at exit): what is still busy is left for the next sweep. */
function removeTreeAtExit(directory: string): void {
  try {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTreeAtExit(join(directory, entry.name));
    }
    rmdirSync(directory);
  } catch {
    // still busy: the next litmus process sweeps it
  }
}

/**
 * Sandbox groups live under one parent per litmus process, `litmus-<pid>`. Parents of processes that are
 * gone (killed, crashed) are swept when the next litmus process starts; this one's are removed on exit.
 */
async function sweepStaleBases(parents: string[]): Promise<void> {
  for (const parent of parents) {
    const entries = await readdir(parent).catch(() => []);
    for (const name of entries) {
      const pid = /^litmus-(\d+)$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !isProcessAlive(Number(pid)))
        await removeBase(join(parent, name));
    }
  }
}

function registerCleanup(directories: string[]): void {
  process.once("exit", () => {
    for (const directory of directories) removeTreeAtExit(directory);
  });
}

let detected: Promise<CgroupManager | null> | undefined;

/** The cgroup manager for this machine, or null when no writable memory+pids controllers exist. Cached. */
export function detectCgroups(): Promise<CgroupManager | null> {
  detected ??= (async () => {
    if (!existsSync("/proc/self/cgroup")) return null;
    const own = ownCgroups();
    return (await tryV1(own)) ?? (await tryV2(own));
  })();
  return detected;
}
