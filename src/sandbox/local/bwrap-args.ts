import { existsSync } from "node:fs";
import { HOST_ETC_BINDS, type HostLayout, KERNELS_MOUNT, NODE_MOUNT, SANDBOX_HOME, SANDBOX_UID } from "./host.ts";

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
  for (const [name, value] of Object.entries({ ...BASE_ENV, ...plan.envs })) args.push("--setenv", name, value);
  for (const entry of layout.rootEntries) {
    if (entry.symlinkTo !== undefined) args.push("--symlink", entry.symlinkTo, entry.path);
    else args.push("--ro-bind", entry.path, entry.path);
  }
  for (const path of HOST_ETC_BINDS) if (existsSync(path)) args.push("--ro-bind", path, path);
  for (const file of layout.etcFiles) args.push("--ro-bind", file.source, file.target);
  for (const path of layout.python.extraBinds) args.push("--ro-bind", path, path);
  args.push("--ro-bind", layout.node, NODE_MOUNT, "--ro-bind", layout.kernelsDir, KERNELS_MOUNT);
  args.push("--proc", "/proc", "--dev", "/dev");
  const size = String(plan.diskBytes);
  args.push("--perms", "1777", "--size", size, "--tmpfs", "/tmp");
  args.push("--perms", "1777", "--size", size, "--tmpfs", "/dev/shm");
  args.push("--perms", "0700", "--size", size, "--tmpfs", SANDBOX_HOME, "--chdir", SANDBOX_HOME);
  for (const bind of plan.writableBinds ?? []) args.push("--bind", bind.source, bind.target);
  // bwrap's root and /dev are unbounded tmpfs (and the zygote's are shared by every sandbox it forks):
  // read-only, so nothing can be written outside the sized mounts.
  args.push("--remount-ro", "/dev", "--remount-ro", "/");
  return args;
}
