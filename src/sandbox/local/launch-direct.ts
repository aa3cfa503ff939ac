import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Writable } from "node:stream";
import { LitmusError } from "../../errors.ts";
import { bwrapArgs } from "./bwrap-args.ts";
import type { SandboxCgroup } from "./cgroups.ts";
import { type HostLayout, hostLayout, KERNELS_MOUNT, NOBODY } from "./host.ts";
import { type Launched, type LocalSupervisorOptions, sandboxEnv, supervisorConfig, templateMounts } from "./launch.ts";
import { filtersSyscalls, sendSeccompProgram } from "./seccomp.ts";

// Joins the sandbox's cgroups before anything else runs, so every descendant is accounted from the start.
// Its arguments are data ($1 is a count, then cgroup.procs paths, then the command): no user input is
// interpolated into the script text.
const JOIN_CGROUPS_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** Descriptors the sandbox's bubblewrap starts with: the code cgroup's procs file (supervisor.py's
 * DIRECT_CODE_CGROUP_FD) and the seccomp filter. */
const SECCOMP_FD = 4;

/** [cgroup join] -> [setpriv to the sandbox's own uid when root] -> bwrap -> python supervisor.py. */
export function launchDirect(
  options: LocalSupervisorOptions,
  cgroup: SandboxCgroup | null,
  hostUid: number | null,
): Launched {
  const layout = hostLayout(options.runtimes);
  if (process.getuid?.() === 0 && layout.setpriv === null) throw rootWithoutDrop(layout);
  const filtered = filtersSyscalls();
  // Opened here, where the host can: the supervisor hands it to every child it starts (supervisor.py).
  const codeCgroup = cgroup ? openSync(cgroup.codeProcsFile, "w") : null;
  const sandboxed = [
    layout.bwrap,
    ...bwrapArgs({
      layout,
      network: options.network,
      envs: sandboxEnv(options),
      diskBytes: options.limits.diskBytes,
      readOnlyBinds: [...templateMounts(options.template), ...options.mounts],
      seccompFd: filtered ? SECCOMP_FD : null,
    }),
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
  const child = spawn(executable, args, {
    // Descriptor 3: the code cgroup; 4: the filter (SECCOMP_FD).
    stdio: ["pipe", "pipe", "pipe", codeCgroup ?? "ignore", filtered ? "pipe" : "ignore"],
    env: {},
  }) as ChildProcessWithoutNullStreams;
  if (codeCgroup !== null) closeSync(codeCgroup);
  if (filtered) sendSeccompProgram(child.stdio[SECCOMP_FD] as Writable);
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

/**
 * A sandbox of its own bubblewrap, run by root that cannot drop to an unprivileged uid, would run as host root
 * without capabilities: still the owner of the machine's sysctls under /proc/sys, which it could rewrite. Refused,
 * with what to change (a zygote's sandboxes do not need this: the host maps them to uids of their own).
 */
function rootWithoutDrop(layout: HostLayout): LitmusError {
  const why =
    layout.unreadableByOthers.length > 0
      ? `other users cannot read ${layout.unreadableByOthers.join(", ")}`
      : "setpriv (util-linux) is not installed";
  return new LitmusError(
    "SANDBOX_UNAVAILABLE",
    `as root, a sandbox with its own bubblewrap (launch "direct", or mounts) must drop to an unprivileged uid, and cannot: ${why}. Install litmus and its Python where other users can read them (npm install -g puts it under /usr/local; a Python under /usr), install util-linux, or run litmus as another user`,
  );
}
