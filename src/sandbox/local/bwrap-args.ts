import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import {
  HOST_ETC_BINDS,
  type HostLayout,
  KERNELS_MOUNT,
  NODE_DIR_MOUNT,
  NODE_MOUNT,
  SANDBOX_HOME,
  SANDBOX_UID,
} from "./host.ts";

export interface BwrapPlan {
  layout: HostLayout;
  network: boolean;
  envs: Record<string, string>;
  diskBytes: number;
  /**
   * "sandbox": user code runs in it, so no capabilities and no user namespaces. "zygote": the template that
   * forks sandboxes keeps capabilities inside its own user namespace to set up theirs (sandbox_init.py drops
   * them before user code runs), and gets its control socket and cgroup directories under /.litmus.
   */
  mode?: "sandbox" | "zygote";
  writableBinds?: Array<{ source: string; target: string }>;
  /** Host paths shown read-only inside, mounted after the workspace so a target may lie inside it. */
  readOnlyBinds?: Array<{ source: string; target: string }>;
  /**
   * Let the caller write the user namespace's uid/gid maps (as root it can map a range of host uids):
   * bwrap reports the namespace's pid on `infoFd` and waits for a byte on `blockFd`.
   */
  externalUidMap?: { blockFd: number; infoFd: number };
  /** The descriptor bwrap reads the seccomp filter from (seccomp.ts); none where there is no filter. */
  seccompFd?: number | null;
}

/** The namespaces every sandbox gets; `net` is dropped only when the caller asks for network access. */
export const NAMESPACES = ["user", "pid", "ipc", "uts", "cgroup", "mount", "net"] as const;

export const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: SANDBOX_HOME,
  USER: "user",
  LANG: "C.UTF-8",
  PYTHONDONTWRITEBYTECODE: "1",
  PYTHONUNBUFFERED: "1",
  TERM: "dumb",
};

/**
 * bubblewrap arguments for one sandbox: every namespace unshared, capabilities dropped, no new user
 * namespaces inside, a read-only view of the host's runtimes and libraries only (no home directories, no
 * /root, no project checkout, no /etc/shadow), size-bounded tmpfs for the workspace and /tmp, and an
 * environment built from scratch.
 */
export function bwrapArgs(plan: BwrapPlan): string[] {
  const { layout } = plan;
  const args = [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(plan.network ? [] : ["--unshare-net"]),
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    "--hostname",
    "litmus",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
    ...(plan.mode === "zygote" ? ["--cap-add", "ALL"] : ["--disable-userns", "--cap-drop", "ALL"]),
    "--clearenv",
  ];
  if (plan.externalUidMap) {
    args.push(
      "--userns-block-fd",
      String(plan.externalUidMap.blockFd),
      "--info-fd",
      String(plan.externalUidMap.infoFd),
    );
  }
  if (plan.seccompFd != null) args.push("--seccomp", String(plan.seccompFd));
  for (const [name, value] of Object.entries({ ...BASE_ENV, ...plan.envs })) args.push("--setenv", name, value);
  for (const entry of layout.rootEntries) {
    if (entry.symlinkTo !== undefined) args.push("--symlink", entry.symlinkTo, entry.path);
    else args.push("--ro-bind", entry.path, entry.path);
  }
  const binds: Array<[source: string, target: string]> = [
    ...HOST_ETC_BINDS.filter((path) => existsSync(path)).map((path): [string, string] => [path, path]),
    ...layout.etcFiles.map((file): [string, string] => [file.source, file.target]),
    ...layout.python.extraBinds.map((path): [string, string] => [path, path]),
    ...nodeBinds(layout),
    [layout.kernelsDir, KERNELS_MOUNT],
  ];
  // bwrap would create the directories above mount points as 0700, owned by the template's uid; sandboxes
  // forked from the zygote run as host uids of their own and must be able to walk through them.
  const rootDirs = new Set(layout.rootEntries.map((entry) => entry.path));
  for (const directory of parentDirectories([
    ...binds.map(([, target]) => target),
    NODE_MOUNT,
    SANDBOX_HOME,
    ...(plan.writableBinds ?? []).map((bind) => bind.target),
  ])) {
    if (!rootDirs.has(directory)) args.push("--perms", "0755", "--dir", directory);
  }
  for (const [source, target] of binds) args.push("--ro-bind", source, target);
  if (layout.nodeDirectoryIsOwn) args.push("--symlink", `${NODE_DIR_MOUNT}/${basename(layout.node)}`, NODE_MOUNT);
  args.push("--proc", "/proc", "--dev", "/dev");
  // The host kernel's command line (boot options, sometimes secrets) is none of the sandbox's business. Not in
  // the zygote's /proc: a cover there would lock it for the sandboxes' own /proc (each hides its own instead).
  if (plan.mode !== "zygote") args.push("--ro-bind", layout.emptyFile, "/proc/cmdline");
  const size = String(plan.diskBytes);
  args.push("--perms", "1777", "--size", size, "--tmpfs", "/tmp");
  args.push("--perms", "1777", "--size", size, "--tmpfs", "/dev/shm");
  args.push("--perms", "0700", "--size", size, "--tmpfs", SANDBOX_HOME, "--chdir", SANDBOX_HOME);
  for (const bind of plan.writableBinds ?? []) args.push("--bind", bind.source, bind.target);
  for (const bind of plan.readOnlyBinds ?? []) args.push("--ro-bind", bind.source, bind.target);
  // bwrap's root and /dev are unbounded tmpfs (and the zygote's are shared by every sandbox it forks):
  // read-only, so nothing can be written outside the sized mounts.
  // The template's sandboxes give each shared directory an overlay of their own (sandbox_init.py): an empty
  // lower layer, and a mount point to build one on before it is moved into place.
  if (plan.mode === "zygote") args.push("--dir", "/.litmus/empty", "--dir", "/.litmus/staging");
  args.push("--remount-ro", "/dev", "--remount-ro", "/");
  return args;
}

function nodeBinds(layout: HostLayout): Array<[source: string, target: string]> {
  return layout.nodeDirectoryIsOwn ? [[dirname(layout.node), NODE_DIR_MOUNT]] : [[layout.node, NODE_MOUNT]];
}

/** Every ancestor directory of the given paths, parents before children, without "/". */
function parentDirectories(paths: string[]): string[] {
  const directories = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").filter(Boolean);
    for (let depth = 1; depth < parts.length; depth++) directories.add(`/${parts.slice(0, depth).join("/")}`);
  }
  return [...directories].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}
