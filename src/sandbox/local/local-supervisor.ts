import { LitmusError } from "../../errors.ts";
import type { IsolationReport } from "../types.ts";
import { NAMESPACES } from "./bwrap-args.ts";
import { detectCgroups } from "./cgroups.ts";
import { hostLayout } from "./host.ts";
import { allocateHostUid, releaseHostUid } from "./host-uids.ts";
import type { Launched, LocalSupervisorOptions } from "./launch.ts";
import { launchDirect } from "./launch-direct.ts";
import { launchFromZygote, zygoteFor } from "./launch-zygote.ts";
import { filtersSyscalls } from "./seccomp.ts";
import { explainStartFailure } from "./start-failure.ts";
import { SupervisorChannel } from "./supervisor-channel.ts";

export type { LaunchMode, LocalSupervisorOptions } from "./launch.ts";

/** One running sandbox on this machine: its process tree, its channel and its cgroup. */
export interface LocalSupervisor {
  readonly channel: SupervisorChannel;
  readonly isolation: IsolationReport;
  /** Resolves when the sandbox's processes are gone. */
  readonly exited: Promise<void>;
  oomKills(): Promise<number>;
  kill(): Promise<void>;
}

/** No healthy sandbox takes this long to start, even on a loaded machine. */
const START_TIMEOUT_MS = 30_000;

/** Waits for the supervisor's "ready", for at most START_TIMEOUT_MS, or until `signal` aborts. */
function untilReady(channel: SupervisorChannel, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LitmusError("SANDBOX_UNAVAILABLE", `no answer within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onAbort = () =>
      reject(new LitmusError("ABORTED", "starting the sandbox was aborted", { cause: signal?.reason }));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    channel.ready.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}

/** Starts a sandbox and waits for its supervisor to say it is ready. */
export async function startLocalSupervisor(
  sandboxId: string,
  options: LocalSupervisorOptions,
): Promise<LocalSupervisor> {
  const available = await detectCgroups();
  const manager = options.resourceControl === "rlimit" ? null : available;
  const cgroup = manager ? await manager.create(sandboxId, options.limits) : null;
  let launched: Launched;
  let hostUid: number | null = null;
  try {
    // The template mounts every cgroup base it may ever need, whatever this sandbox's resource control.
    // A zygote's sandboxes see only what the template saw: host mounts need a bubblewrap of their own.
    const direct = options.launch === "direct" || options.mounts.length > 0;
    const zygote = direct ? null : await zygoteFor(options, available);
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
    await untilReady(channel, options.signal);
  } catch (error) {
    launched.stop();
    await exited;
    if (error instanceof LitmusError && error.code === "ABORTED") throw error;
    const reason =
      error instanceof LitmusError && error.code === "SANDBOX_UNAVAILABLE" ? error.message : launched.stderr();
    throw new LitmusError("SANDBOX_UNAVAILABLE", explainStartFailure(reason));
  }
  const isolation: IsolationReport = {
    namespaces: NAMESPACES.filter((name) => name !== "net" || !options.network),
    network: options.network,
    resourceControl: manager?.kind ?? "rlimit",
    cpu: manager?.limitsCpu ? "sandbox" : "per-process",
    hostUid: launched.hostUid,
    launch: launched.launch,
    syscalls: filtersSyscalls() ? "filtered" : "unfiltered",
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
