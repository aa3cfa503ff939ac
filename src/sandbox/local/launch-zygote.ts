import type { CgroupManager, SandboxCgroup } from "./cgroups.ts";
import { SANDBOX_HOME, SANDBOX_UID } from "./host.ts";
import { type Launched, type LocalSupervisorOptions, sandboxEnv, supervisorConfig } from "./launch.ts";
import { Zygote } from "./zygote.ts";

/** Asks the template for a fresh sandbox; its connection becomes the supervisor channel. */
export async function launchFromZygote(
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
    codeCgroupProcs: cgroup ? zygote.cgroupPathInside(cgroup.codeProcsFile) : null,
    env: { ...sandboxEnv(options), PWD: SANDBOX_HOME },
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

const zygotes = new Map<string, Promise<Zygote | null>>();

/**
 * The template for these options, started on first use. Where it cannot start (setuid bubblewrap, a kernel
 * that refuses nested namespaces), "auto" remembers that and launches directly; isolation is the same.
 */
export async function zygoteFor(
  options: LocalSupervisorOptions,
  manager: CgroupManager | null,
): Promise<Zygote | null> {
  // A template is mounted into the zygote itself: its sandboxes see what it saw.
  const key = JSON.stringify([options.network, options.runtimes.python ?? null, options.template]);
  const starting = zygotes.get(key);
  if (starting !== undefined) {
    const existing = await starting;
    if (existing === null || existing.alive) return existing;
  }
  const zygote = Zygote.start({
    network: options.network,
    runtimes: options.runtimes,
    cgroupBases: manager?.bases ?? [],
    template: options.template,
  }).catch((error: unknown) => {
    if (options.launch === "zygote") throw error;
    return null;
  });
  zygotes.set(key, zygote);
  return zygote;
}
