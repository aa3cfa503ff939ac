import type { Readable, Writable } from "node:stream";
import type { Language, SandboxLimits } from "../types.ts";
import { BASE_ENV } from "./bwrap-args.ts";
import type { SandboxCgroup } from "./cgroups.ts";
import { NODE_MOUNT, type RuntimeOverrides, SANDBOX_HOME } from "./host.ts";

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
  /** Python modules the supervisor imports (or defines from source) before it starts any kernel. */
  preload: Array<string | { name: string; source: string }>;
  /** Host directories or files bound read-only into the sandbox (direct launch only). */
  mounts: Array<{ source: string; target: string }>;
  /** The built template's directory (templates/), mounted read-only at TEMPLATE_MOUNT; null: none. */
  template: string | null;
  /** Aborts the start: whatever was started is killed. */
  signal?: AbortSignal | undefined;
}

/** A started process tree, before the supervisor said it is ready. */
export interface Launched {
  input: Writable;
  output: Readable;
  /** Calls back once when the tree's channel closes. */
  onClose(callback: () => void): void;
  stop(): void;
  stderr(): string;
  hostUid: number;
  launch: "zygote" | "direct";
}

/** What the supervisor inside needs to know (supervisor.py `configure`). */
export function supervisorConfig(
  options: LocalSupervisorOptions,
  cgroup: SandboxCgroup | null,
): Record<string, unknown> {
  const { limits } = options;
  return {
    limits: {
      timeoutMs: limits.execTimeoutMs,
      graceMs: limits.graceMs,
      outputBytes: limits.outputBytes,
      resultBytes: limits.resultBytes,
      fileSizeBytes: limits.fileSizeBytes,
      openFiles: limits.openFiles,
      cpuSeconds: limits.cpuSeconds,
      memoryBytes: limits.memoryBytes,
      // Without cgroups, per-process rlimits are the only memory and process limits left.
      rlimitMemoryBytes: cgroup ? null : limits.memoryBytes,
      rlimitProcesses: cgroup ? null : limits.processes,
    },
    // User code joins the sandbox's code cgroup (cgroups.ts) through a descriptor the supervisor holds.
    codeCgroup: cgroup !== null,
    home: SANDBOX_HOME,
    node: NODE_MOUNT,
    defaultLanguage: options.defaultLanguage,
    preload: options.preload.map((module) => (typeof module === "string" ? { name: module } : module)),
  };
}

/** Where a sandbox sees its template (templates/): packages in `site-packages`, their commands in its `bin`. */
const TEMPLATE_MOUNT = "/opt/litmus/template";

/**
 * The sandbox's environment: the base one, what a template adds (its packages on the import path of every
 * Python: the kernels read PYTHONPATH themselves, as they run with -I; its commands on PATH), then the caller's
 * own variables, which win.
 */
export function sandboxEnv(options: LocalSupervisorOptions): Record<string, string> {
  const template =
    options.template === null
      ? {}
      : { ...templateEnv(options.template), PATH: `${TEMPLATE_MOUNT}/site-packages/bin:${BASE_ENV.PATH}` };
  return { ...BASE_ENV, ...template, ...options.envs };
}

/** Where a template's packages are imported from (the zygote of a template imports IPython from there once). */
export function templateEnv(template: string | null): Record<string, string> {
  return template === null ? {} : { PYTHONPATH: `${TEMPLATE_MOUNT}/site-packages` };
}

/** The template's read-only mount, if the sandbox has one. */
export function templateMounts(template: string | null): Array<{ source: string; target: string }> {
  return template === null ? [] : [{ source: template, target: TEMPLATE_MOUNT }];
}
