import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { LitmusError } from "../../errors.ts";
import type { IsolationReport, Language, SandboxLimits } from "../types.ts";
import { bwrapArgs, NAMESPACES } from "./bwrap-args.ts";
import { type CgroupManager, detectCgroups, type SandboxCgroup } from "./cgroups.ts";
import { hostLayout, KERNELS_MOUNT, NODE_MOUNT, type RuntimeOverrides, SANDBOX_HOME } from "./host.ts";
import { SupervisorChannel } from "./supervisor-channel.ts";

export interface LocalSupervisorOptions {
  limits: SandboxLimits;
  network: boolean;
  envs: Record<string, string>;
  runtimes: RuntimeOverrides;
  defaultLanguage: Language;
}

/** One running sandbox on this machine: the bwrap process tree, its channel and its cgroup. */
export interface LocalSupervisor {
  readonly channel: SupervisorChannel;
  readonly isolation: IsolationReport;
  /** Resolves when the sandbox's processes are gone. */
  readonly exited: Promise<void>;
  oomKills(): Promise<number>;
  kill(): Promise<void>;
}

const NOBODY = 65534;

// Joins the sandbox's cgroups before anything else runs, so every descendant is accounted from the start.
// Its arguments are data ($1 is a count, then cgroup.procs paths, then the command): no user input is
// interpolated into the script text.
const JOIN_CGROUPS_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** Builds the argv: [cgroup join] -> [setpriv to nobody when root] -> bwrap -> python supervisor. */
function commandLine(
  options: LocalSupervisorOptions,
  cgroup: SandboxCgroup | null,
): { argv: string[]; hostUid: number } {
  const layout = hostLayout(options.runtimes);
  const config = {
    limits: {
      timeoutMs: options.limits.execTimeoutMs,
      graceMs: options.limits.graceMs,
      outputBytes: options.limits.outputBytes,
      fileSizeBytes: options.limits.fileSizeBytes,
      openFiles: options.limits.openFiles,
      cpuSeconds: options.limits.cpuSeconds,
      memoryBytes: options.limits.memoryBytes,
      // Without cgroups, per-process rlimits are the only memory and process limits left.
      rlimitMemoryBytes: cgroup ? null : options.limits.memoryBytes,
      rlimitProcesses: cgroup ? null : options.limits.processes,
    },
    home: SANDBOX_HOME,
    node: NODE_MOUNT,
    defaultLanguage: options.defaultLanguage,
  };
  const sandboxed = [
    layout.bwrap,
    ...bwrapArgs({ layout, network: options.network, envs: options.envs, diskBytes: options.limits.diskBytes }),
    "--",
    layout.python.executable,
    "-I",
    "-S",
    "-B",
    `${KERNELS_MOUNT}/supervisor.py`,
    JSON.stringify(config),
  ];
  const currentUid = process.getuid?.() ?? NOBODY;
  const dropToNobody = layout.setpriv !== null;
  const privilegeDrop = dropToNobody
    ? [layout.setpriv as string, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"]
    : [];
  const join = cgroup
    ? ["/bin/sh", "-c", JOIN_CGROUPS_SCRIPT, "litmus-join", String(cgroup.procsFiles.length), ...cgroup.procsFiles]
    : [];
  return { argv: [...join, ...privilegeDrop, ...sandboxed], hostUid: dropToNobody ? NOBODY : currentUid };
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** Turns bwrap's complaint into the fix for this machine. */
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

let cgroupManager: Promise<CgroupManager | null> | undefined;

/** Starts a sandbox and waits for its supervisor to say it is ready. */
export async function startLocalSupervisor(
  sandboxId: string,
  options: LocalSupervisorOptions,
): Promise<LocalSupervisor> {
  cgroupManager ??= detectCgroups();
  const manager = await cgroupManager;
  const cgroup = manager ? await manager.create(sandboxId, options.limits) : null;
  const { argv, hostUid } = commandLine(options, cgroup);
  const [executable, ...args] = argv as [string, ...string[]];
  const child = spawn(executable, args, { stdio: ["pipe", "pipe", "pipe"], env: {} });
  const channel = new SupervisorChannel(child.stdin, child.stdout);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    if (stderr.length < 16_384) stderr += chunk;
  });
  let killed = false;
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => {
      const why = killed ? "was killed" : `ended unexpectedly${stderr.trim() ? ` (${stderr.trim().slice(-500)})` : ""}`;
      channel.close(new LitmusError("SANDBOX_CLOSED", `sandbox ${sandboxId} ${why}`));
      void (cgroup?.destroy() ?? Promise.resolve()).finally(resolve);
    });
    child.once("error", (error) => {
      stderr += String(error);
      channel.close(new LitmusError("SANDBOX_UNAVAILABLE", explainStartFailure(stderr), { cause: error }));
      void (cgroup?.destroy() ?? Promise.resolve()).finally(resolve);
    });
  });
  try {
    await channel.ready;
  } catch {
    await exited;
    throw new LitmusError("SANDBOX_UNAVAILABLE", explainStartFailure(stderr));
  }
  const isolation: IsolationReport = {
    namespaces: NAMESPACES.filter((name) => name !== "net" || !options.network),
    network: options.network,
    resourceControl: manager?.kind ?? "rlimit",
    hostUid,
  };
  return {
    channel,
    isolation,
    exited,
    oomKills: async () => (cgroup ? cgroup.oomKills() : 0),
    kill: async () => {
      // bwrap --die-with-parent takes the whole PID namespace down with it; the cgroup sweep catches anything
      // that was still on its way out.
      killed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
