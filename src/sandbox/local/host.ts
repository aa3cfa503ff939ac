import { execFileSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LitmusError } from "../../errors.ts";

/** What the local backend needs from the host, resolved once per process. */
export interface HostLayout {
  bwrap: string;
  /** Drops to an unprivileged host uid when litmus runs as root (util-linux setpriv), if available. */
  setpriv: string | null;
  /** What an unprivileged host uid could not read of what the sandbox runs (then root cannot drop to one). */
  unreadableByOthers: string[];
  python: { executable: string; extraBinds: string[] };
  /** The Node.js binary mounted for JavaScript/TypeScript kernels (the one running litmus). */
  node: string;
  /**
   * Whether the node binary's directory holds nothing but Node.js's own entries. Then the directory is mounted
   * (each sandbox can give a directory an overlay of its own, which keeps inotify watches on it to itself);
   * otherwise (/usr/bin, a ~/bin with other programs) only the binary is, and it stays shared.
   */
  nodeDirectoryIsOwn: boolean;
  kernelsDir: string;
  /** Generated /etc files (passwd, group, hosts) bound read-only into every sandbox. */
  etcFiles: Array<{ source: string; target: string }>;
  /** An empty file, bound read-only over what a sandbox must not read (the host kernel's /proc/cmdline). */
  emptyFile: string;
  /** Top-level system directories mirrored into the sandbox: real directories or symlinks. */
  rootEntries: Array<{ path: string; symlinkTo?: string }>;
}

export interface RuntimeOverrides {
  /** Python interpreter to run inside the sandbox (default: /usr/bin/python3, then /usr/local/bin/python3). */
  python?: string;
}

const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** Host /etc entries that programs need to start (dynamic linker, certificates, alternatives), nothing personal. */
const HOST_ETC = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/localtime",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/mime.types",
  // fontconfig's configuration: matplotlib and Pillow look for the system's fonts through it.
  "/etc/fonts",
];
const SANDBOX_USER = { uid: 1000, gid: 1000, name: "user", home: "/home/user" };

export const SANDBOX_HOME = SANDBOX_USER.home;
/** The host uid sandboxes run as when litmus runs as root. */
export const NOBODY = 65534;
export const SANDBOX_UID = SANDBOX_USER.uid;
export const HOST_ETC_BINDS = HOST_ETC;

function findOnPath(name: string): string | null {
  for (const directory of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

function bubblewrapMissing(): LitmusError {
  return new LitmusError(
    "SANDBOX_UNAVAILABLE",
    "bubblewrap (bwrap) is not installed, and litmus never runs code unisolated. Install it: " +
      "`sudo apt-get install bubblewrap` (Debian/Ubuntu), `sudo dnf install bubblewrap` (Fedora), " +
      "`sudo pacman -S bubblewrap` (Arch).",
  );
}

/** Python: an explicit path wins; otherwise the system interpreter, which starts fast and lives under /usr. */
function resolvePython(explicit: string | undefined): HostLayout["python"] {
  const candidates = explicit ? [explicit] : ["/usr/bin/python3", "/usr/local/bin/python3"];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    if (real.startsWith("/usr/")) return { executable: real, extraBinds: [] };
    // An interpreter outside /usr (pyenv, conda, a venv): mount its installation prefix read-only.
    const prefix = execFileSync(real, ["-I", "-S", "-c", "import sys; print(sys.base_prefix)"], {
      encoding: "utf8",
    }).trim();
    return { executable: real, extraBinds: [prefix] };
  }
  throw new LitmusError(
    "SANDBOX_UNAVAILABLE",
    explicit
      ? `the Python interpreter ${explicit} does not exist; pass the path of a python3 executable`
      : "no system Python found at /usr/bin/python3 or /usr/local/bin/python3: install it (`sudo apt-get install python3`) or pass runtimes.python",
  );
}

function rootEntries(): HostLayout["rootEntries"] {
  const entries: HostLayout["rootEntries"] = [];
  for (const path of SYSTEM_DIRS) {
    try {
      const info = lstatSync(path);
      entries.push(info.isSymbolicLink() ? { path, symlinkTo: readlinkSync(path) } : { path });
    } catch {
      // not on this distribution
    }
  }
  return entries;
}

/**
 * A fresh private temp directory for this process, `<prefix><pid>-XXXXXX`, removed on exit. Directories of
 * litmus processes that died without their exit handler are swept first. Never an existing path: as root,
 * writing into a directory someone else prepared could follow their symlinks.
 */
export function processTempDir(prefix: string): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH")
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  const directory = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  process.once("exit", () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** passwd/group/hosts for the sandbox user, written once per process into a new directory. */
function writeSandboxFiles(): Pick<HostLayout, "etcFiles" | "emptyFile"> {
  const directory = processTempDir("litmus-etc-");
  chmodSync(directory, 0o755);
  const files: Record<string, string> = {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n${SANDBOX_USER.name}:x:${SANDBOX_USER.uid}:${SANDBOX_USER.gid}::${SANDBOX_USER.home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\n${SANDBOX_USER.name}:x:${SANDBOX_USER.gid}:\nnogroup:x:65534:\n`,
    hosts: "127.0.0.1\tlocalhost litmus\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    hostname: "litmus\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
  };
  const etcFiles = Object.entries(files).map(([name, content]) => {
    const source = join(directory, name);
    writeFileSync(source, content, { mode: 0o644, flag: "wx" });
    return { source, target: `/etc/${name}` };
  });
  const emptyFile = join(directory, "empty");
  writeFileSync(emptyFile, "", { mode: 0o444, flag: "wx" });
  return { etcFiles, emptyFile };
}

/**
 * Compiles the kernel scripts to bytecode beside their sources when that is missing or stale: the sandbox
 * mounts them read-only, so without it every sandbox would compile them again (about 7 ms per start).
 * Skipped quietly where the directory is not writable.
 */
function ensureKernelBytecode(python: string, kernelsDir: string): void {
  const cacheDir = join(kernelsDir, "__pycache__");
  const sources = readdirSync(kernelsDir).filter((name) => name.endsWith(".py"));
  const compiled = existsSync(cacheDir) ? readdirSync(cacheDir) : [];
  const fresh = sources.every((source) => {
    const pyc = compiled.find((name) => name.startsWith(`${source.slice(0, -3)}.`));
    return pyc !== undefined && statSync(join(cacheDir, pyc)).mtimeMs >= statSync(join(kernelsDir, source)).mtimeMs;
  });
  if (fresh) return;
  try {
    execFileSync(python, ["-I", "-S", "-m", "compileall", "-q", kernelsDir], { stdio: "ignore" });
  } catch {
    // read-only install: the sandbox compiles in memory instead
  }
}

/** Whether a user who is neither owner nor group (the host's nobody) can reach and read `path`. */
function readableByOthers(path: string): boolean {
  let current = path;
  try {
    if ((statSync(current).mode & 0o004) === 0) return false;
    while (current !== "/") {
      current = dirname(current);
      if ((statSync(current).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const layouts = new Map<string, HostLayout>();

/** Resolves the host layout once per Python; throws SANDBOX_UNAVAILABLE with the fix when something is missing. */
export function hostLayout(overrides: RuntimeOverrides = {}): HostLayout {
  const key = overrides.python ?? "";
  const cached = layouts.get(key);
  if (cached) return cached;
  const bwrap = findOnPath("bwrap");
  if (!bwrap) throw bubblewrapMissing();
  const node = realpathSync(process.execPath);
  const kernelsDir = fileURLToPath(new URL("../kernels/", import.meta.url));
  // Root drops to nobody before bwrap, unless nobody could not read what the sandbox mounts (a checkout
  // under /root, say): then a direct sandbox's uid maps to root, still without capabilities (a zygote's
  // sandboxes still get host uids of their own: the host writes the template's map).
  const python = resolvePython(overrides.python);
  const unreadableByOthers = [node, python.executable, join(kernelsDir, "supervisor.py")].filter(
    (path) => !readableByOthers(path),
  );
  const canDrop = unreadableByOthers.length === 0;
  const layout: HostLayout = {
    nodeDirectoryIsOwn: nodeDirectoryIsOwn(node),
    bwrap,
    setpriv: process.getuid?.() === 0 && canDrop ? findOnPath("setpriv") : null,
    unreadableByOthers,
    python,
    node,
    kernelsDir,
    ...writeSandboxFiles(),
    rootEntries: rootEntries(),
  };
  ensureKernelBytecode(layout.python.executable, layout.kernelsDir);
  layouts.set(key, layout);
  return layout;
}

/** What a Node.js installation keeps beside its binary (the official tarballs, nvm, the `node` npm package). */
const NODE_DIRECTORY_ENTRIES = new Set(["node", "nodejs", "npm", "npx", "corepack"]);

function nodeDirectoryIsOwn(node: string): boolean {
  try {
    return readdirSync(dirname(node)).every((name) => NODE_DIRECTORY_ENTRIES.has(name));
  } catch {
    return false;
  }
}

/**
 * Where the Node.js binary and the kernel scripts appear inside every sandbox. The binary's directory is
 * mounted (a directory can be given an overlay of its own in each sandbox, a file cannot) and NODE_MOUNT
 * links to the binary in it.
 */
export const NODE_MOUNT = "/opt/litmus/bin/node";
export const NODE_DIR_MOUNT = "/opt/litmus/node";
export const KERNELS_MOUNT = "/opt/litmus/kernels";

/** The host path of the Python interpreter sandboxes run (templates are built for it). */
export function sandboxPython(runtimes: RuntimeOverrides = {}): string {
  return hostLayout(runtimes).python.executable;
}
