import { describe, expect, test } from "vitest";
import { bwrapArgs } from "../../src/sandbox/local/bwrap-args.ts";
import type { HostLayout } from "../../src/sandbox/local/host.ts";
import { explainStartFailure } from "../../src/sandbox/local/start-failure.ts";

const layout: HostLayout = {
  bwrap: "/usr/bin/bwrap",
  setpriv: null,
  unreadableByOthers: [],
  python: { executable: "/usr/bin/python3.11", extraBinds: [] },
  node: "/opt/node/bin/node",
  nodeDirectoryIsOwn: false,
  kernelsDir: "/srv/litmus/src/sandbox/kernels/",
  etcFiles: [{ source: "/tmp/litmus-etc-0/passwd", target: "/etc/passwd" }],
  emptyFile: "/tmp/litmus-etc-0/empty",
  rootEntries: [{ path: "/usr" }, { path: "/bin", symlinkTo: "usr/bin" }],
};

/** The (source -> target) pairs of every --bind/--ro-bind in the arguments. */
function mounts(args: string[]): Array<[string, string, string]> {
  const found: Array<[string, string, string]> = [];
  args.forEach((arg, index) => {
    if (arg === "--ro-bind" || arg === "--bind" || arg === "--dev-bind") {
      found.push([arg, args[index + 1] as string, args[index + 2] as string]);
    }
  });
  return found;
}

describe("bwrapArgs", () => {
  const args = bwrapArgs({ layout, network: false, envs: { GREETING: "hi" }, diskBytes: 1 << 20 });

  test("unshares every namespace, drops capabilities and forbids nested user namespaces", () => {
    for (const flag of [
      "--unshare-user",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-net",
      "--unshare-cgroup-try",
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).toContain("--disable-userns");
    expect(args).toContain("--die-with-parent");
    expect(args).toContain("--new-session");
    expect(args.slice(args.indexOf("--cap-drop"), args.indexOf("--cap-drop") + 2)).toEqual(["--cap-drop", "ALL"]);
  });

  test("mounts nothing writable from the host and nothing personal", () => {
    for (const [kind, source] of mounts(args)) {
      expect(kind).toBe("--ro-bind");
      expect(source).not.toMatch(/^\/(root|home)(\/|$)/);
      expect(source).not.toBe("/etc/shadow");
      expect(source).not.toBe("/etc");
    }
  });

  test("gives the workspace, /tmp and /dev/shm tmpfs of the requested size", () => {
    const sized = args.flatMap((arg, index) => (arg === "--size" ? [[args[index + 1], args[index + 3]]] : []));
    expect(sized).toEqual([
      ["1048576", "/tmp"],
      ["1048576", "/dev/shm"],
      ["1048576", "/home/user"],
    ]);
  });

  test("builds the environment from scratch", () => {
    expect(args).toContain("--clearenv");
    const set = args.flatMap((arg, index) => (arg === "--setenv" ? [`${args[index + 1]}=${args[index + 2]}`] : []));
    expect(set).toContain("GREETING=hi");
    expect(set).toContain("HOME=/home/user");
    expect(set.map((pair) => pair.split("=")[0])).not.toContain("OPENAI_API_KEY");
  });

  test("keeps the host network only when asked", () => {
    const networked = bwrapArgs({ layout, network: true, envs: {}, diskBytes: 1 << 20 });
    expect(networked).not.toContain("--unshare-net");
    expect(args).toContain("--unshare-net");
  });
});

describe("explainStartFailure", () => {
  test("keeps bubblewrap's words on one line and promises no unisolated fallback", () => {
    const message = explainStartFailure("bwrap: setting up uid map: Permission denied\n");
    expect(message).toMatch(/^the sandbox failed to start \(bwrap: setting up uid map: Permission denied\)\. /);
    expect(message).not.toContain("\n");
    expect(message.endsWith("litmus never falls back to running code unisolated.")).toBe(true);
  });
});
