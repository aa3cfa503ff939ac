import { randomUUID } from "node:crypto";
import { LitmusError } from "../errors.ts";
import { type Language, Sandbox } from "../sandbox/index.ts";

/** A sandbox an agent keeps across calls: its interpreters keep their state until the session ends. */
interface Session {
  sandbox: Sandbox;
  language: Language;
  timer: NodeJS.Timeout;
}

/**
 * Sessions of the MCP server, by id. Each is a sandbox of its own; a session unused for `idleMs` is closed and
 * its sandbox killed, so an agent that forgets to close one does not leave processes behind.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly max: number;

  constructor(options: { idleMs?: number; max?: number } = {}) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.max = options.max ?? 8;
  }

  async create(language: Language): Promise<string> {
    if (this.sessions.size >= this.max) {
      throw new LitmusError("BAD_INPUT", `${this.max} sessions are open: close one (close_session) first`);
    }
    const id = randomUUID();
    const sandbox = await Sandbox.create({ language, timeoutMs: 0, metadata: { purpose: "mcp session", session: id } });
    this.sessions.set(id, { sandbox, language, timer: this.expiry(id) });
    return id;
  }

  /** The session's sandbox (its idle clock restarts); NOT_FOUND, saying so, when it is closed or never was. */
  get(id: string): Sandbox {
    const session = this.sessions.get(id);
    if (!session?.sandbox.isRunning()) {
      throw new LitmusError(
        "NOT_FOUND",
        `no session ${id}: it was closed, timed out or never existed (create_session)`,
      );
    }
    clearTimeout(session.timer);
    session.timer = this.expiry(id);
    return session.sandbox;
  }

  async close(id: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    clearTimeout(session.timer);
    await session.sandbox.kill();
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
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
