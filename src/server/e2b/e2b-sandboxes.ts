import { randomBytes } from "node:crypto";
import { LitmusError } from "../../errors.ts";
import { type BuiltTemplate, type Context, Sandbox } from "../../sandbox/index.ts";

/** What the E2B API's routes need of a sandbox, whichever kind it is. */
export interface E2bSandbox {
  /** The client whose sandbox it is: its limits count the sandbox's work. */
  readonly owner: string;
  /** Contexts the client created. */
  readonly contexts: Map<string, Context>;
  /** The sandbox's default contexts the client has seen listed (it may name them in requests). */
  readonly defaults: Map<string, Context>;
  /** The running sandbox (SANDBOX_CLOSED when it was killed or timed out and cannot come back). */
  sandbox(): Promise<Sandbox>;
  /** Held while an execution streams. */
  busy(): Disposable;
}

/** How the sandboxes start: the backstop limits of a run, and the template each kind gets. */
export interface E2bSandboxSettings {
  /** The template of the debug-mode sandboxes and of E2B's code-interpreter templates; none when null. */
  template: BuiltTemplate | null;
  runLimitMs: number;
}

/**
 * A sandbox of the control plane (`POST /sandboxes`): its own id, lifetime, metadata, envs and access tokens,
 * as E2B gives them. It lives until it is killed or its timeout ends, like E2B's, whatever runs in it.
 */
export class HostedSandbox implements E2bSandbox {
  readonly id: string;
  readonly owner: string;
  readonly templateId: string;
  readonly metadata: Record<string, string>;
  readonly startedAt = new Date();
  /** Sent as X-Access-Token to envd and /execute, and the key of signed file URLs. */
  readonly envdAccessToken = randomBytes(24).toString("base64url");
  /** Sent as E2B-Traffic-Access-Token to the code interpreter's port. */
  readonly trafficAccessToken = randomBytes(24).toString("base64url");
  readonly contexts = new Map<string, Context>();
  readonly defaults = new Map<string, Context>();
  private readonly running: Sandbox;
  private endsAt: Date;

  constructor(options: {
    owner: string;
    templateId: string;
    metadata: Record<string, string>;
    running: Sandbox;
    timeoutMs: number;
  }) {
    this.id = options.running.sandboxId;
    this.owner = options.owner;
    this.templateId = options.templateId;
    this.metadata = options.metadata;
    this.running = options.running;
    this.endsAt = new Date(Date.now() + options.timeoutMs);
  }

  get endAt(): Date {
    return this.endsAt;
  }

  /** Its resources as E2B reports them. */
  get resources(): { cpuCount: number; memoryMB: number; diskSizeMB: number } {
    const { cpus, memoryBytes, diskBytes } = this.running.limits;
    const mib = 1024 * 1024;
    return { cpuCount: cpus, memoryMB: Math.round(memoryBytes / mib), diskSizeMB: Math.round(diskBytes / mib) };
  }

  isRunning(): boolean {
    return this.running.isRunning();
  }

  async sandbox(): Promise<Sandbox> {
    if (!this.running.isRunning()) {
      throw new LitmusError("SANDBOX_CLOSED", `sandbox ${this.id} is not running: it was killed or timed out`);
    }
    return this.running;
  }

  /** E2B's timeout: the sandbox is killed `timeoutMs` from now, whatever runs in it then. */
  setTimeout(timeoutMs: number): void {
    this.running.setTimeout(timeoutMs);
    this.endsAt = new Date(Date.now() + timeoutMs);
  }

  busy(): Disposable {
    return { [Symbol.dispose]: () => {} };
  }

  kill(): Promise<void> {
    return this.running.kill();
  }
}

/**
 * The sandboxes of the E2B API. In the SDKs' debug mode every request of a client goes to the client's one
 * sandbox (a client: its token, or the local user without tokens), started on its first request, kept alive
 * while used and replaced if it was killed. Through the control plane a client creates as many as its limits
 * allow, each named by id in the `E2b-Sandbox-Id` header of its requests.
 */
export class E2bSandboxes {
  private readonly debug = new Map<string, DebugSandbox>();
  private readonly hosted = new Map<string, HostedSandbox>();
  private readonly settings: E2bSandboxSettings;
  private readonly idleMsOf: (client: string) => number;

  constructor(settings: E2bSandboxSettings, idleMsOf: (client: string) => number) {
    this.settings = settings;
    this.idleMsOf = idleMsOf;
  }

  /** The client's debug-mode sandbox (started on first use). */
  debugOf(client: string): E2bSandbox {
    let entry = this.debug.get(client);
    if (!entry) {
      entry = new DebugSandbox(client, this.idleMsOf(client), this.settings);
      this.debug.set(client, entry);
    }
    return entry;
  }

  /** Starts a sandbox of the control plane; ready when this resolves, as E2B's is when it answers 201. */
  async create(
    owner: string,
    options: { templateId: string; metadata: Record<string, string>; envs: Record<string, string>; timeoutMs: number },
  ): Promise<HostedSandbox> {
    const running = await Sandbox.create({
      timeoutMs: options.timeoutMs,
      envs: options.envs,
      metadata: { ...options.metadata, purpose: "e2b api", client: owner },
      limits: backstopLimits(this.settings.runLimitMs),
      ...this.templateOf(options.templateId),
    });
    const entry = new HostedSandbox({ owner, running, ...options });
    this.hosted.set(entry.id, entry);
    return entry;
  }

  /** A running sandbox of the control plane by id. */
  get(id: string): HostedSandbox | undefined {
    const entry = this.hosted.get(id);
    if (entry && !entry.isRunning()) this.hosted.delete(id);
    return entry?.isRunning() ? entry : undefined;
  }

  /** The running sandboxes of `owner`, oldest first. */
  listOf(owner: string): HostedSandbox[] {
    return this.all().filter((entry) => entry.owner === owner);
  }

  /** Every running sandbox of the control plane; those that ended (killed, timed out) are forgotten here. */
  all(): HostedSandbox[] {
    for (const [id, entry] of this.hosted) if (!entry.isRunning()) this.hosted.delete(id);
    return [...this.hosted.values()];
  }

  async closeAll(): Promise<void> {
    const debug = [...this.debug.values()];
    const hosted = [...this.hosted.values()];
    this.debug.clear();
    this.hosted.clear();
    await Promise.all([...debug.map((entry) => entry.kill()), ...hosted.map((entry) => entry.kill())]);
  }

  /**
   * E2B's template names: its code-interpreter templates get the server's template, `base` (Debian with Python
   * and Node) a plain sandbox, any other name the litmus template of that name, if it is built.
   */
  private templateOf(templateId: string): { template?: BuiltTemplate | string } {
    const name = templateId.split(":")[0] ?? templateId;
    if (name === "base") return {};
    if (name.startsWith("code-interpreter")) return this.settings.template ? { template: this.settings.template } : {};
    return { template: name };
  }
}

/** Runs end when the client stops waiting: these limits are backstops, CPU time per process included. */
function backstopLimits(runLimitMs: number) {
  return { execTimeoutMs: runLimitMs, cpuSeconds: Math.ceil(runLimitMs / 1000) };
}

/**
 * A client's sandbox in debug mode: the SDKs know no id and no lifetime of theirs, so it starts on the client's
 * first request, lives `idleMs` past its last one (a running execution keeps it alive), and a new one replaces
 * it if it was killed (out of memory, say).
 */
class DebugSandbox implements E2bSandbox {
  readonly owner: string;
  readonly contexts = new Map<string, Context>();
  readonly defaults = new Map<string, Context>();
  private running: Promise<Sandbox> | null = null;
  private readonly idleMs: number;
  private readonly settings: E2bSandboxSettings;

  constructor(owner: string, idleMs: number, settings: E2bSandboxSettings) {
    this.owner = owner;
    this.idleMs = idleMs;
    this.settings = settings;
  }

  async sandbox(): Promise<Sandbox> {
    this.running ??= this.start();
    const running = await this.running;
    if (running.isRunning()) {
      this.extend(running);
      return running;
    }
    this.contexts.clear();
    this.defaults.clear();
    this.running = this.start();
    return this.running;
  }

  // While an execution streams, its sandbox lives on, however long it runs; the idle time counts after.
  busy(): Disposable {
    const extend = () =>
      void this.running?.then(
        (sandbox) => this.extend(sandbox),
        () => {},
      );
    const timer = setInterval(extend, Math.max(50, this.idleMs / 2));
    return {
      [Symbol.dispose]: () => {
        clearInterval(timer);
        extend();
      },
    };
  }

  async kill(): Promise<void> {
    await (await this.running?.catch(() => undefined))?.kill();
  }

  private start(): Promise<Sandbox> {
    const { template, runLimitMs } = this.settings;
    // The sandbox's own lifetime (E2B's setTimeout semantics) is what reaps it: every request extends it.
    return Sandbox.create({
      timeoutMs: this.idleMs,
      metadata: { purpose: "e2b api", client: this.owner },
      limits: backstopLimits(runLimitMs),
      ...(template ? { template } : {}),
    });
  }

  private extend(sandbox: Sandbox): void {
    if (sandbox.isRunning()) sandbox.setTimeout(this.idleMs);
  }
}
