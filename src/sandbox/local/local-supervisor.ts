import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { LitmusError } from "../../errors.ts";
import type { IsolationReport, Language, SandboxLimits } from "../types.ts";
import { BASE_ENV, bwrapArgs, NAMESPACES } from "./bwrap-args.ts";
import { type CgroupManager, detectCgroups, type SandboxCgroup } from "./cgroups.ts";
import {
  hostLayout,
  KERNELS_MOUNT,
  NOBODY,
  NODE_MOUNT,
  type RuntimeOverrides,
  SANDBOX_HOME,
  SANDBOX_UID,
} from "./host.ts";
import { allocateHostUid, releaseHostUid } from "./host-uids.ts";
import { SupervisorChannel } from "./supervisor-channel.ts";
import { Zygote } from "./zygote.ts";

/**
 * How a sandbox is started. "zygote": forked from a pre-initialised template (a few ms). "direct": its own
 * bubblewrap and interpreter (tens of ms). "auto" uses the zygote where this machine allows it.
 */
export type LaunchMode = "auto" | "zygote" | "direct";

export interface LocalSupervisorOptions {
  limits: SandboxLimits;
  network: boolean;
  envs: Record<string, string>;
  runtimes: RuntimeOverrides;
  defaultLanguage: Language;
  launch: LaunchMode;
  /** "auto": a cgroup per sandbox where one is writable, else rlimits. "rlimit": rlimits only. */
  resourceControl: "auto" | "rlimit";
}

/** One running sandbox on this machine: its process tree, its channel and its cgroup. */
export interface LocalSupervisor {
  readonly channel: SupervisorChannel;
  readonly isolation: IsolationReport;
  /** Resolves when the sandbox's processes are gone. */
  readonly exited: Promise<void>;
  oomKills(): Promise<number>;
  kill(): Promise<void>;
}

/** A started process tree, before the supervisor said it is ready. */
interface Launched {
  input: Writable;
  output: Readable;
  /** Calls back once when the tree's channel closes. */
  onClose(callback: () => void): void;
  stop(): void;
  stderr(): string;
  hostUid: number;
  launch: "zygote" | "direct";
}

// Joins the sandbox's cgroups before anything else runs, so every descendant is accounted from the start.
// Its arguments are data ($1 is a count, then cgroup.procs paths, then the command): no user input is
// interpolated into the script text.
const JOIN_CGROUPS_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** What the supervisor inside needs to know (supervisor.py `configure`). */
function supervisorConfig(options: LocalSupervisorOptions, cgroup: SandboxCgroup | null): Record<string, unknown> {
  const { limits } = options;
  return {
    limits: {
      timeoutMs: limits.execTimeoutMs,
      graceMs: limits.graceMs,
      outputBytes: limits.outputBytes,
      fileSizeBytes: limits.fileSizeBytes,
      openFiles: limits.openFiles,
      cpuSeconds: limits.cpuSeconds,
      memoryBytes: limits.memoryBytes,
      // Without cgroups, per-process rlimits are the only memory and process limits left.
      rlimitMemoryBytes: cgroup ? null : limits.memoryBytes,
      rlimitProcesses: cgroup ? null : limits.processes,
    },
    home: SANDBOX_HOME,
    node: NODE_MOUNT,
    defaultLanguage: options.defaultLanguage,
  };
}

/** [cgroup join] -> [setpriv to the sandbox's own uid when root] -> bwrap -> python supervisor.py. */
function launchDirect(options: LocalSupervisorOptions, cgroup: SandboxCgroup | null, hostUid: number | null): Launched {
  const layout = hostLayout(options.runtimes);
  const sandboxed = [
    layout.bwrap,
    ...bwrapArgs({ layout, network: options.network, envs: options.envs, diskBytes: options.limits.diskBytes }),
    "--",
    layout.python.executable,
    "-I",
    "-S",
    "-B",
    `${KERNELS_MOUNT}/supervisor.py`,
    JSON.stringify(supervisorConfig(options, cgroup)),
  ];
  const privilegeDrop =
    layout.setpriv !== null && hostUid !== null
      ? [layout.setpriv, `--reuid=${hostUid}`, `--regid=${hostUid}`, "--clear-groups", "--"]
      : [];
  const join = cgroup
    ? ["/bin/sh", "-c", JOIN_CGROUPS_SCRIPT, "litmus-join", String(cgroup.procsFiles.length), ...cgroup.procsFiles]
    : [];
  const [executable, ...args] = [...join, ...privilegeDrop, ...sandboxed] as [string, ...string[]];
  const child = spawn(executable, args, { stdio: ["pipe", "pipe", "pipe"], env: {} });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 16_384) stderr += chunk;
  });
  child.once("error", (error) => {
    stderr += String(error);
  });
  return {
    input: child.stdin,
    output: child.stdout,
    onClose: (callback) => {
      child.once("close", callback);
      child.once("error", callback);
    },
    // bwrap --die-with-parent takes the whole PID namespace down with it.
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    stderr: () => stderr,
    hostUid: hostUid ?? process.getuid?.() ?? NOBODY,
    launch: "direct",
  };
}

async function launchFromZygote(
  sandboxId: string,
  zygote: Zygote,
  options: LocalSupervisorOptions,
  cgroup: SandboxCgroup | null,
  hostUid: number | null,
): Promise<Launched> {
  await cgroup?.delegate(zygote.hostUid);
  const socket = zygote.spawn({
    sandboxId,
    uid: SANDBOX_UID,
    hostUid,
    network: options.network,
    diskBytes: options.limits.diskBytes,
    cgroupProcs: cgroup ? cgroup.procsFiles.map((file) => zygote.cgroupPathInside(file)) : [],
    env: { ...BASE_ENV, ...options.envs, PWD: SANDBOX_HOME },
    config: supervisorConfig(options, cgroup),
  });
  let stderr = "";
  socket.once("error", (error) => {
    stderr += String(error);
  });
  return {
    input: socket,
    output: socket,
    onClose: (callback) => socket.once("close", callback),
    stop: () => {
      zygote.kill(sandboxId);
      socket.destroy();
    },
    stderr: () => stderr,
    hostUid: hostUid ?? zygote.hostUid,
    launch: "zygote",
  };
}

/** Turns bwrap's complaint into the fix for this machine, on one line. */
export function explainStartFailure(stderr: string): string {
  const lines = [`the sandbox failed to start (${stderr.trim().replaceAll("\n", "; ") || "no output"}).`];
  if (/namespace|uid map|Operation not permitted|Permission denied/i.test(stderr)) {
    if (readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1") {
      lines.push(
        "AppArmor restricts unprivileged user namespaces here (Ubuntu 23.10+). Either allow them: " +
          "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give bwrap an AppArmor profile " +
          "that permits `userns` (see /etc/apparmor.d/ and `man apparmor.d`).",
      );
    }
    if (readSysctl("/proc/sys/kernel/unprivileged_userns_clone") === "0") {
      lines.push("Unprivileged user namespaces are disabled: `sudo sysctl -w kernel.unprivileged_userns_clone=1`.");
    }
    if (readSysctl("/proc/sys/user/max_user_namespaces") === "0") {
      lines.push("User namespaces are limited to zero: `sudo sysctl -w user.max_user_namespaces=15000`.");
    }
  }
  lines.push("litmus never falls back to running code unisolated.");
  return lines.join(" ");
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

let cgroupManager: Promise<CgroupManager | null> | undefined;
const zygotes = new Map<string, Promise<Zygote | null>>();

/**
 * The template for these options, started on first use. Where it cannot start (setuid bubblewrap, a kernel
 * that refuses nested namespaces), "auto" remembers that and launches directly; isolation is the same.
 */
async function zygoteFor(options: LocalSupervisorOptions, manager: CgroupManager | null): Promise<Zygote | null> {
  const key = JSON.stringify([options.network, options.runtimes.python ?? null]);
  const starting = zygotes.get(key);
  if (starting !== undefined) {
    const existing = await starting;
    if (existing === null || existing.alive) return existing;
  }
  const zygote = Zygote.start({
    network: options.network,
    runtimes: options.runtimes,
    cgroupBases: manager?.bases ?? [],
  }).catch((error: unknown) => {
    if (options.launch === "zygote") throw error;
    return null;
  });
  zygotes.set(key, zygote);
  return zygote;
}

/** Starts a sandbox and waits for its supervisor to say it is ready. */
export async function startLocalSupervisor(
  sandboxId: string,
  options: LocalSupervisorOptions,
): Promise<LocalSupervisor> {
  cgroupManager ??= detectCgroups();
  const available = await cgroupManager;
  const manager = options.resourceControl === "rlimit" ? null : available;
  const cgroup = manager ? await manager.create(sandboxId, options.limits) : null;
  let launched: Launched;
  let hostUid: number | null = null;
  try {
    // The template mounts every cgroup base it may ever need, whatever this sandbox's resource control.
    const zygote = options.launch === "direct" ? null : await zygoteFor(options, available);
    const ownUid = zygote ? zygote.mapsUidRange : hostLayout(options.runtimes).setpriv !== null;
    hostUid = ownUid ? allocateHostUid() : null;
    launched = zygote
      ? await launchFromZygote(sandboxId, zygote, options, cgroup, hostUid)
      : launchDirect(options, cgroup, hostUid);
  } catch (error) {
    if (hostUid !== null) releaseHostUid(hostUid);
    await cgroup?.destroy();
    throw error;
  }
  const channel = new SupervisorChannel(launched.input, launched.output, { onBroken: () => launched.stop() });
  let killed = false;
  const exited = new Promise<void>((resolve) => {
    launched.onClose(() => {
      const stderr = launched.stderr().trim();
      const why = killed ? "was killed" : `ended unexpectedly${stderr ? ` (${stderr.slice(-500)})` : ""}`;
      channel.close(new LitmusError("SANDBOX_CLOSED", `sandbox ${sandboxId} ${why}`));
      void (cgroup?.destroy() ?? Promise.resolve()).finally(() => {
        if (hostUid !== null) releaseHostUid(hostUid);
        resolve();
      });
    });
  });
  try {
    await channel.ready;
  } catch (error) {
    launched.stop();
    await exited;
    const reason =
      error instanceof LitmusError && error.code === "SANDBOX_UNAVAILABLE" ? error.message : launched.stderr();
    throw new LitmusError("SANDBOX_UNAVAILABLE", explainStartFailure(reason));
  }
  const isolation: IsolationReport = {
    namespaces: NAMESPACES.filter((name) => name !== "net" || !options.network),
    network: options.network,
    resourceControl: manager?.kind ?? "rlimit",
    hostUid: launched.hostUid,
    launch: launched.launch,
  };
  return {
    channel,
    isolation,
    exited,
    oomKills: async () => (cgroup ? cgroup.oomKills() : 0),
    kill: async () => {
      killed = true;
      launched.stop();
      await exited;
    },
  };
}
