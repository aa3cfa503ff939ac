import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { chownSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { LitmusError } from "../../errors.ts";
import { bwrapArgs } from "./bwrap-args.ts";
import { hostLayout, KERNELS_MOUNT, NOBODY, processTempDir, type RuntimeOverrides, SANDBOX_UID } from "./host.ts";
import { SANDBOX_UID_RANGE } from "./host-uids.ts";
import { templateEnv, templateMounts } from "./launch.ts";
import { filtersSyscalls, sendSeccompProgram } from "./seccomp.ts";
import { USERNS_FDS, writeUserNamespaceMap } from "./user-namespace-map.ts";

/** What a forked sandbox needs to know; sent as the first line on its connection. */
export interface SpawnRequest {
  sandboxId: string;
  uid: number;
  /** The host uid the sandbox runs as, mapped by the zygote; null: the zygote's own uid. */
  hostUid: number | null;
  /** Keep the template's network namespace (the host's network) instead of a new one with only loopback. */
  network: boolean;
  diskBytes: number;
  /** cgroup.procs files as the zygote sees them. */
  cgroupProcs: string[];
  /** The code cgroup's cgroup.procs as the zygote sees it (user code runs there); null without cgroups. */
  codeCgroupProcs: string | null;
  env: Record<string, string>;
  config: Record<string, unknown>;
}

export interface ZygoteOptions {
  network: boolean;
  runtimes: RuntimeOverrides;
  /** Host cgroup directories under which sandbox cgroups are created; mounted writable at /.litmus/cgroup/N. */
  cgroupBases: string[];
  /** A built template's directory, mounted read-only at TEMPLATE_MOUNT; null: none. */
  template: string | null;
}

const RUN_MOUNT = "/.litmus/run";
const CGROUP_MOUNT = "/.litmus/cgroup";

/**
 * The host side of zygote.py: a long-lived template sandbox (one per network setting and Python) that forks
 * fresh sandboxes on request. Each fork gets its own user, mount, PID, network, IPC, UTS and cgroup namespaces
 * and tmpfs before its capabilities are dropped, so sandboxes share nothing writable with each other or the
 * template. Dies with this process.
 */
export class Zygote {
  /** The zygote's own host uid. */
  readonly hostUid: number;
  /** Whether sandboxes forked from it can each get a host uid of their own (SANDBOX_UID_RANGE). */
  readonly mapsUidRange: boolean;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly socketPath: string;
  private readonly cgroupBases: string[];
  private readonly runDir: string;
  private closed = false;

  private constructor(
    child: ChildProcessWithoutNullStreams,
    runDir: string,
    cgroupBases: string[],
    hostUid: number,
    mapsUidRange: boolean,
  ) {
    this.child = child;
    this.mapsUidRange = mapsUidRange;
    this.runDir = runDir;
    this.socketPath = join(runDir, "zygote.sock");
    this.cgroupBases = cgroupBases;
    this.hostUid = hostUid;
    child.once("close", () => {
      this.closed = true;
      rmSync(runDir, { recursive: true, force: true });
    });
  }

  static async start(options: ZygoteOptions): Promise<Zygote> {
    const layout = hostLayout(options.runtimes);
    const dropToNobody = layout.setpriv !== null;
    const runDir = processTempDir("litmus-zygote-");
    if (dropToNobody) chownSync(runDir, NOBODY, NOBODY);
    // As root, the host writes the template's uid map itself, adding the range of sandbox uids, so every
    // sandbox forked from it can run as a host uid of its own. Also when it cannot drop to nobody: left to
    // itself, bwrap run by root sets up as root of a first user namespace (so it covers /proc/irq and
    // /proc/bus read-only) and runs the template in a second one, where those covers are locked mounts and
    // the kernel refuses every sandbox a /proc of its own (mount_too_revealing).
    const mapsUidRange = process.getuid?.() === 0;
    const filtered = filtersSyscalls();
    const extraFds: Array<"pipe"> = mapsUidRange ? ["pipe", "pipe"] : [];
    const seccompFd = 3 + extraFds.length;
    const args = bwrapArgs({
      layout,
      network: options.network,
      envs: templateEnv(options.template),
      diskBytes: 1024 * 1024,
      mode: "zygote",
      writableBinds: [
        { source: runDir, target: RUN_MOUNT },
        ...options.cgroupBases.map((source, index) => ({ source, target: `${CGROUP_MOUNT}/${index}` })),
      ],
      readOnlyBinds: templateMounts(options.template),
      ...(mapsUidRange && { externalUidMap: USERNS_FDS }),
      seccompFd: filtered ? seccompFd : null,
    });
    const sandboxed = [
      layout.bwrap,
      ...args,
      "--",
      layout.python.executable,
      "-I",
      "-S",
      "-B",
      `${KERNELS_MOUNT}/zygote.py`,
    ];
    const argv = dropToNobody
      ? [layout.setpriv as string, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", ...sandboxed]
      : sandboxed;
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe", ...extraFds, filtered ? "pipe" : "ignore"],
      env: {},
    }) as ChildProcessWithoutNullStreams;
    if (filtered) sendSeccompProgram(child.stdio[seccompFd] as Writable);
    if (mapsUidRange) {
      // The sandbox user (1000) is the template's uid; the range is for the sandboxes it forks.
      const { first, count } = SANDBOX_UID_RANGE;
      const templateUid = dropToNobody ? NOBODY : 0;
      await writeUserNamespaceMap(child, `${SANDBOX_UID} ${templateUid} 1\n${first} ${first} ${count}\n`).catch(() =>
        child.kill("SIGKILL"),
      );
    }
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const ready = await new Promise<boolean>((resolve) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().includes('"ready"')));
      child.once("exit", () => resolve(false));
      child.once("error", () => resolve(false));
    });
    if (!ready) {
      child.kill("SIGKILL");
      rmSync(runDir, { recursive: true, force: true });
      throw new LitmusError(
        "SANDBOX_UNAVAILABLE",
        `the sandbox template (zygote) did not start: ${stderr.trim() || "no output"}`,
      );
    }
    // The template must never keep this process alive on its own.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref?.();
    return new Zygote(
      child,
      runDir,
      options.cgroupBases,
      dropToNobody ? NOBODY : (process.getuid?.() ?? 0),
      mapsUidRange,
    );
  }

  get alive(): boolean {
    return !this.closed && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Where the zygote sees a host cgroup file. */
  cgroupPathInside(hostPath: string): string {
    const index = this.cgroupBases.findIndex((base) => hostPath.startsWith(`${base}/`));
    if (index === -1) throw new LitmusError("INTERNAL", `cgroup ${hostPath} is outside the zygote's cgroup mounts`);
    return `${CGROUP_MOUNT}/${index}${hostPath.slice((this.cgroupBases[index] as string).length)}`;
  }

  /** Asks for a new sandbox; the returned socket is its supervisor channel. */
  spawn(request: SpawnRequest): Socket {
    const socket = connect(this.socketPath);
    socket.write(`${JSON.stringify(request)}\n`);
    return socket;
  }

  kill(sandboxId: string): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify({ op: "kill", sandboxId })}\n`);
  }

  /** For tests and benchmarks that need a cold start: ends the template (its sandboxes end with it). */
  close(): void {
    this.closed = true;
    this.child.kill("SIGKILL");
    rmSync(this.runDir, { recursive: true, force: true });
  }
}
