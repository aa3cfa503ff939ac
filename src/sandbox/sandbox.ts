import { randomBytes } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, normalize } from "node:path";
import { LitmusError } from "../errors.ts";
import { inSpan, recordsContent } from "../telemetry/index.ts";
import { SandboxCommands } from "./commands.ts";
import { checkEnvs } from "./envs.ts";
import { ExecutionCollector } from "./execution.ts";
import { SandboxFiles } from "./files.ts";
import { resolveLimits } from "./limits.ts";
import type { RuntimeOverrides } from "./local/host.ts";
import { SANDBOX_HOME, sandboxPython } from "./local/host.ts";
import { type LaunchMode, startLocalSupervisor } from "./local/local-supervisor.ts";
import { createRequester, type SandboxDriver, type SandboxRequest } from "./request.ts";
import { BUILTIN_TEMPLATES, type BuiltTemplate, resolveTemplate } from "./templates/index.ts";
import {
  BACKENDS,
  type Backend,
  type Context,
  type Execution,
  type Language,
  parseLanguage,
  type RunCodeOptions,
  type SandboxInfo,
  type SandboxLimits,
} from "./types.ts";

export interface SandboxOptions {
  /**
   * Where the sandbox runs: "local" (bubblewrap on this machine) or "e2b" (an E2B cloud sandbox, through E2B's
   * SDK; needs E2B_API_KEY). Default: $LITMUS_SANDBOX (`litmus --sandbox`), else local.
   */
  backend?: Backend;
  /** Lifetime of the sandbox in ms (default 300000, like E2B); it is killed when it expires. 0 = no limit. */
  timeoutMs?: number;
  limits?: Partial<SandboxLimits>;
  /** Environment variables inside the sandbox. Nothing from the host's environment gets in otherwise. */
  envs?: Record<string, string>;
  /** Allow network access (default false: the sandbox gets only its own loopback). */
  network?: boolean;
  /** Language of the default context, started with the sandbox (default python). */
  language?: Language;
  runtimes?: RuntimeOverrides;
  /**
   * "zygote": fork from a pre-initialised template (a few ms); "direct": a bubblewrap and interpreter of its
   * own (tens of ms); "auto" (default): the zygote where this machine allows it. Isolation is the same.
   */
  launch?: LaunchMode;
  /**
   * How memory and process limits are enforced: "auto" (default) uses a cgroup per sandbox where one is
   * writable and per-process rlimits otherwise; "rlimit" forces rlimits (weaker: memory is limited per process,
   * processes per host user). `getInfo().isolation.resourceControl` says which is in force.
   */
  resourceControl?: "auto" | "rlimit";
  /**
   * Python modules the sandbox imports once, before any context starts: every Python context is a fork that
   * has them already (a fresh context costs about 3 ms; importing `typing` in it costs 8 more). A name is
   * imported; `{name, source}` defines a module from source (litmus's test harnesses), reachable through
   * `sys.modules[name]`.
   */
  preload?: PreloadedModule[];
  /**
   * Host paths shown read-only inside the sandbox, like `{source: "/src/app", target: "/mnt/project"}`:
   * targets under /mnt or the workspace. Nothing of the host is visible otherwise. A sandbox with mounts is
   * started with its own bubblewrap (launch "direct"), and its user must be able to read the source: as root,
   * sandboxes run as an unprivileged uid, which needs every directory above the source to be searchable by others.
   */
  mounts?: SandboxMount[];
  /**
   * A built template by name (`litmus template build NAME`): its Python packages are importable in every
   * context and by every Python the sandbox runs, and its commands are on PATH. Local backend.
   */
  template?: string | BuiltTemplate;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

/** A host path bound read-only into a sandbox. */
export interface SandboxMount {
  /** Absolute host path of a directory or file. */
  source: string;
  /** Absolute path inside the sandbox, under /mnt or /home/user. */
  target: string;
}

/** A module to import (by name) or to define from source, in every Python context of a sandbox. */
export type PreloadedModule = string | { name: string; source: string };

export const DEFAULT_LIFETIME_MS = 300_000;
const DEFAULT_CONTEXT = "default";
const live = new Map<string, Sandbox>();

/**
 * An isolated place to run untrusted code, with the API of E2B's code interpreter: stateful contexts per
 * language, files, commands. Dispose it (`await using`) or call kill(); nothing it started outlives it.
 */
export class Sandbox implements AsyncDisposable {
  readonly sandboxId: string;
  readonly files: SandboxFiles;
  readonly commands: SandboxCommands;
  readonly limits: SandboxLimits;
  private readonly supervisor: SandboxDriver;
  private readonly request: SandboxRequest;
  private readonly info: SandboxInfo;
  private readonly defaultContexts = new Map<Language, Promise<Context>>();
  private lifetimeTimer: NodeJS.Timeout | undefined;
  private oomKillsSeen = 0;

  private constructor(
    sandboxId: string,
    backend: Backend,
    supervisor: SandboxDriver,
    limits: SandboxLimits,
    options: SandboxOptions,
  ) {
    this.sandboxId = sandboxId;
    this.supervisor = supervisor;
    this.limits = limits;
    this.request = createRequester(supervisor.channel, {
      timeoutMs: limits.execTimeoutMs,
      graceMs: limits.graceMs,
      sandboxId,
      onUnresponsive: () => void this.kill(),
    });
    this.files = new SandboxFiles(this.request);
    this.commands = new SandboxCommands(this.request, limits.outputBytes);
    const language = options.language ?? "python";
    this.defaultContexts.set(language, Promise.resolve({ id: DEFAULT_CONTEXT, language, cwd: SANDBOX_HOME }));
    this.info = {
      sandboxId,
      backend,
      startedAt: new Date(),
      isolation: supervisor.isolation,
      metadata: { ...options.metadata },
    };
    live.set(sandboxId, this);
    void supervisor.exited.then(() => {
      live.delete(sandboxId);
      clearTimeout(this.lifetimeTimer);
    });
    this.setTimeout(options.timeoutMs ?? DEFAULT_LIFETIME_MS);
  }

  /** Starts a sandbox: about 10 ms forked from the zygote, about 45 ms with its own bubblewrap; a SandboxPool hands one out in about 2 ms. */
  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const backend = parseBackend(options.backend ?? process.env.LITMUS_SANDBOX ?? "local");
    const language = options.language ?? "python";
    assertLanguage(language);
    const limits = resolveLimits(options.limits);
    if (options.signal?.aborted) {
      throw new LitmusError("ABORTED", "starting the sandbox was aborted", { cause: options.signal.reason });
    }
    if (backend === "e2b") {
      const { startE2BDriver } = await import("./e2b/e2b-driver.ts");
      const { sandboxId, driver } = await startE2BDriver({ ...options, language, limits });
      return new Sandbox(sandboxId, backend, driver, limits, options);
    }
    const mounts = checkedMounts(options.mounts ?? []);
    if (mounts.length > 0 && options.launch === "zygote") {
      throw new LitmusError(
        "BAD_INPUT",
        'a sandbox with mounts starts with its own bubblewrap: use launch "direct" or "auto"',
      );
    }
    const template =
      typeof options.template === "string"
        ? (await resolveTemplate(options.template, sandboxPython(options.runtimes), BUILTIN_TEMPLATES)).path
        : (options.template?.path ?? null);
    const sandboxId = `sbx-${randomBytes(6).toString("hex")}`;
    const supervisor = await startLocalSupervisor(sandboxId, {
      limits,
      network: options.network ?? false,
      envs: checkEnvs(options.envs, "Sandbox.create envs"),
      runtimes: options.runtimes ?? {},
      defaultLanguage: language,
      launch: options.launch ?? "auto",
      resourceControl: options.resourceControl ?? "auto",
      preload: options.preload ?? [],
      mounts,
      template,
      signal: options.signal,
    });
    return new Sandbox(sandboxId, backend, supervisor, limits, options);
  }

  /** Sandboxes of this process that are still running. */
  static list(): SandboxInfo[] {
    return [...live.values()].map((sandbox) => sandbox.getInfo());
  }

  /** Id, backend, start time, isolation in force and metadata of this sandbox. */
  getInfo(): SandboxInfo {
    return { ...this.info, metadata: { ...this.info.metadata } };
  }

  /** false once the sandbox was killed, expired or crashed. */
  isRunning(): boolean {
    return !this.supervisor.channel.closed;
  }

  /** Resets the sandbox's remaining lifetime to `timeoutMs` from now (0 = no limit). */
  setTimeout(timeoutMs: number): void {
    clearTimeout(this.lifetimeTimer);
    this.lifetimeTimer = undefined;
    if (timeoutMs > 0) {
      this.lifetimeTimer = setTimeout(() => void this.kill(), timeoutMs);
      this.lifetimeTimer.unref();
    }
  }

  /**
   * Runs code in a context (default: the default context of `language`, python unless set). The value of a
   * trailing expression becomes a result; errors of the code are in `execution.error`, never thrown.
   */
  runCode(code: string, options: RunCodeOptions = {}): Promise<Execution> {
    return inSpan(
      "sandbox.run_code",
      {
        "litmus.sandbox.id": this.sandboxId,
        "litmus.code.language": options.context?.language ?? options.language ?? "python",
        ...(recordsContent() ? { "litmus.code.source": code } : {}),
      },
      async (span) => {
        const execution = await this.runCodeUntraced(code, options);
        span.setAttributes({
          "litmus.execution.exit_code": execution.exitCode,
          "litmus.execution.error": execution.error?.name ?? "",
          "litmus.execution.timed_out": execution.timedOut,
          "litmus.execution.oom_killed": execution.oomKilled,
          "litmus.execution.duration_ms": execution.durationMs,
        });
        return execution;
      },
    );
  }

  private async runCodeUntraced(code: string, options: RunCodeOptions): Promise<Execution> {
    const context = options.context ?? (await this.defaultContext(options.language ?? "python"));
    if (options.language !== undefined && options.context !== undefined && options.language !== context.language) {
      throw new LitmusError(
        "BAD_INPUT",
        `language "${options.language}" does not match the context's language "${context.language}"`,
      );
    }
    const collector = new ExecutionCollector(options, this.limits);
    const done = await this.request(
      "exec",
      { context: context.id, code, ...(options.envs ? { envs: checkEnvs(options.envs, "runCode envs") } : {}) },
      { onEvent: collector.onEvent, signal: options.signal, timeoutMs: options.timeoutMs },
    );
    return collector.finish(done, done.signal === 9 ? await this.newOomKills() : 0, this.limits.memoryBytes);
  }

  /** Starts a new stateful kernel. Variables, imports and functions persist between runs in it. */
  async createContext(options: { language?: Language; cwd?: string; signal?: AbortSignal } = {}): Promise<Context> {
    const language = options.language ?? "python";
    assertLanguage(language);
    const cwd = options.cwd ?? SANDBOX_HOME;
    const done = await this.request("context.create", { language, cwd }, { signal: options.signal });
    return { id: done.context ?? "", language, cwd };
  }

  /** Restarts a context's kernel: its state is gone, the context id stays valid. */
  async restartContext(context: Context, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request("context.restart", { context: context.id }, options);
  }

  /** Stops a context's kernel for good; running or queued work in it fails. */
  async removeContext(context: Context, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request("context.remove", { context: context.id }, options);
    for (const [language, existing] of this.defaultContexts) {
      if ((await existing).id === context.id) this.defaultContexts.delete(language);
    }
  }

  /**
   * Back to a fresh sandbox's state, in a few milliseconds instead of a new sandbox's start: every process in it
   * is killed (background ones included), every context removed (a new default one starts), and the workspace,
   * `/tmp` and `/dev/shm` emptied. Limits, environment and mounts stay. A litmus extension (local backend only):
   * benchmark lanes reset between samples, so nothing one sample leaves can reach the next.
   */
  async reset(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request("reset", {}, options);
    this.defaultContexts.clear();
  }

  /** Kills every process of the sandbox and frees its resources. Safe to call twice. */
  async kill(): Promise<void> {
    clearTimeout(this.lifetimeTimer);
    await this.supervisor.kill();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }

  /** The default context of `language` (where runCode runs without a context), started on first use. */
  defaultContext(language: Language): Promise<Context> {
    assertLanguage(language);
    let context = this.defaultContexts.get(language);
    if (!context) {
      context = this.createContext({ language });
      this.defaultContexts.set(language, context);
      context.catch(() => this.defaultContexts.delete(language));
    }
    return context;
  }

  private async newOomKills(): Promise<number> {
    const total = await this.supervisor.oomKills().catch(() => this.oomKillsSeen);
    const fresh = total - this.oomKillsSeen;
    this.oomKillsSeen = total;
    return fresh;
  }
}

/** The mounts, checked: absolute existing sources, targets under /mnt or the workspace. */
function checkedMounts(mounts: SandboxMount[]): SandboxMount[] {
  return mounts.map(({ source, target }) => {
    const where = `mount ${source} -> ${target}`;
    if (!isAbsolute(source) || !existsSync(source)) {
      throw new LitmusError("BAD_INPUT", `${where}: the source must be an absolute path that exists`);
    }
    // What is mounted is what the caller named: a symlink would let whoever wrote it choose another host path.
    const real = realpathSync(source);
    if (real !== normalize(source).replace(/(.)\/$/, "$1")) {
      throw new LitmusError(
        "BAD_INPUT",
        `${where}: the source goes through a symlink (to ${real}); name the real path`,
      );
    }
    const normalized = normalize(target);
    const allowed = ["/mnt/", `${SANDBOX_HOME}/`].some((root) => normalized.startsWith(root));
    if (!isAbsolute(target) || !allowed || normalized.includes("/../")) {
      throw new LitmusError("BAD_INPUT", `${where}: the target must be a path under /mnt or ${SANDBOX_HOME}`);
    }
    return { source, target: normalized };
  });
}

/** `text` as a Backend, or a BAD_INPUT that names the backends (and where a wrong default came from). */
export function parseBackend(text: string): Backend {
  if ((BACKENDS as readonly string[]).includes(text)) return text as Backend;
  throw new LitmusError(
    "BAD_INPUT",
    `unknown sandbox backend "${text}"${process.env.LITMUS_SANDBOX === text ? " (from $LITMUS_SANDBOX)" : ""}; use one of: ${BACKENDS.join(", ")}`,
  );
}

function assertLanguage(language: string): asserts language is Language {
  parseLanguage(language);
}
