import { randomUUID } from "node:crypto";
import { LitmusError } from "../errors.ts";
import { type Language, Sandbox } from "../sandbox/index.ts";

/** A sandbox an agent keeps across calls: its interpreters keep their state until the session ends. */
interface Session {
  /** Who opened it: only they may use it (another client is told it does not exist). */
  client: string;
  sandbox: Sandbox;
  language: Language;
  timer: NodeJS.Timeout;
}

/**
 * Sessions of the MCP server, by id. Each is a sandbox of its own; a session unused for `idleMs` is closed and
 * its sandbox killed, so an agent that forgets to close one does not leave processes behind. A session
 * belongs to the client that opened it (over HTTP: its token), and each client may hold `perClient` at once.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly perClient: (client: string) => number;
  /** Sessions open or starting, by client. */
  private readonly places = new Map<string, number>();
  private closing = false;

  constructor(options: { idleMs?: number; max?: number; perClient?: number | ((client: string) => number) } = {}) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.max = options.max ?? 16;
    const perClient = options.perClient ?? 8;
    this.perClient = typeof perClient === "number" ? () => perClient : perClient;
  }

  async create(language: Language, client = "local"): Promise<string> {
    if (this.closing) throw new LitmusError("BAD_INPUT", "the server is stopping: no new sessions");
    // Places are taken before the sandbox starts, so requests made at once cannot all pass the limits.
    const mine = this.places.get(client) ?? 0;
    if (mine >= this.perClient(client)) {
      throw new LitmusError("BAD_INPUT", `${mine} sessions of yours are open: close one (close_session) first`);
    }
    const taken = [...this.places.values()].reduce((sum, count) => sum + count, 0);
    if (taken >= this.max) {
      throw new LitmusError("BAD_INPUT", `${this.max} sessions are open on this server: try again later`);
    }
    this.places.set(client, mine + 1);
    const id = randomUUID();
    let sandbox: Sandbox;
    try {
      sandbox = await Sandbox.create({ language, timeoutMs: 0, metadata: { purpose: "mcp session", session: id } });
    } catch (error) {
      this.release(client);
      throw error;
    }
    if (this.closing) {
      // closeAll ran while this sandbox started: it must not outlive the server.
      this.release(client);
      await sandbox.kill();
      throw new LitmusError("BAD_INPUT", "the server is stopping: no new sessions");
    }
    this.sessions.set(id, { client, sandbox, language, timer: this.expiry(id) });
    return id;
  }

  /** The session's sandbox (its idle clock restarts); NOT_FOUND, saying so, when it is closed or never was. */
  get(id: string, client = "local"): Sandbox {
    const session = this.sessions.get(id);
    if (!session?.sandbox.isRunning() || session.client !== client) {
      throw new LitmusError(
        "NOT_FOUND",
        `no session ${id}: it was closed, timed out or never existed (create_session)`,
      );
    }
    clearTimeout(session.timer);
    session.timer = this.expiry(id);
    return session.sandbox;
  }

  /** Closes a session of `client` (default: any), killing its sandbox; false when there is no such session. */
  async close(id: string, client?: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (!session || (client !== undefined && session.client !== client)) return false;
    this.sessions.delete(id);
    this.release(session.client);
    clearTimeout(session.timer);
    await session.sandbox.kill();
    return true;
  }

  /** Closes every session, for good: sessions still starting are killed when they are up. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  private release(client: string): void {
    const left = (this.places.get(client) ?? 1) - 1;
    if (left > 0) this.places.set(client, left);
    else this.places.delete(client);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expiry(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => void this.close(id), this.idleMs);
    timer.unref();
    return timer;
  }
}
