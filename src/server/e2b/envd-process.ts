import type { Hono, Context as HonoContext } from "hono";
import { stream } from "hono/streaming";
import type { StreamingApi } from "hono/utils/stream";
import { z } from "zod";
import { isLitmusError, messageOf } from "../../errors.ts";
import type { Sandbox } from "../../sandbox/index.ts";
import { connectError, END_STREAM, envelope, firstEnvelope, MESSAGE, unary } from "./envd-connect.ts";
import type { EnvdClient } from "./envd-routes.ts";
import { perSandbox } from "./per-sandbox.ts";

/** envd's processes: started, followed, fed, listed and signalled as Connect RPCs. */

const ProcessConfig = z.object({
  cmd: z.string(),
  args: z.array(z.string()).default([]),
  envs: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
});
const StartBody = z.object({ process: ProcessConfig, tag: z.string().optional(), stdin: z.boolean().optional() });
/** envd's ProcessSelector: a pid or a tag given at Start. */
const Selector = z.union([z.object({ pid: z.number().int() }), z.object({ tag: z.string() })]);
const ConnectBody = z.object({ process: Selector });
const InputBody = z.object({
  process: Selector,
  input: z.object({ stdin: z.string().optional(), pty: z.string().optional() }),
});
const SignalBody = z.object({
  process: Selector,
  signal: z.enum(["SIGNAL_SIGTERM", "SIGNAL_SIGKILL", "SIGNAL_UNSPECIFIED"]),
});

export function addEnvdProcessRoutes(app: Hono, client: EnvdClient): void {
  // Processes live on their own, as envd's do: a client that hangs up leaves its process running (bounded by its
  // timeout), and Connect attaches to it again by pid or tag.
  app.post("/process.Process/Start", async (c) => {
    const parsed = StartBody.safeParse(firstEnvelope(new Uint8Array(await c.req.arrayBuffer())));
    c.header("content-type", "application/connect+json");
    const admitted = parsed.success ? client.admit(c) : null;
    return stream(c, async (out) => {
      if (!parsed.success || admitted === null) {
        const message = parsed.success ? "" : parsed.error.message;
        await out.write(envelope(END_STREAM, { error: { code: "invalid_argument", message } }));
        return;
      }
      if ("refused" in admitted) {
        await out.write(envelope(END_STREAM, { error: { code: "resource_exhausted", message: admitted.refused } }));
        return;
      }
      let running: EnvdProcess;
      try {
        running = await startProcess(await client.sandboxOf(c), parsed.data, connectTimeoutMs(c));
      } catch (error) {
        admitted.release();
        await out.write(envelope(END_STREAM, { error: { code: "internal", message: messageOf(error) } }));
        return;
      }
      void running.ended.finally(admitted.release);
      await follow(out, running, () => client.sandboxGone(c));
    });
  });

  app.post("/process.Process/Connect", async (c) => {
    const parsed = ConnectBody.safeParse(firstEnvelope(new Uint8Array(await c.req.arrayBuffer())));
    c.header("content-type", "application/connect+json");
    const sandbox = await client.sandboxOf(c);
    return stream(c, async (out) => {
      const running = parsed.success ? processesOf(sandbox).find(parsed.data.process) : undefined;
      if (!running) {
        const message = parsed.success ? "no such process" : parsed.error.message;
        const code = parsed.success ? "not_found" : "invalid_argument";
        await out.write(envelope(END_STREAM, { error: { code, message } }));
        return;
      }
      await follow(out, running, () => client.sandboxGone(c));
    });
  });

  app.post("/process.Process/List", (c) =>
    unary(c, z.object({}).passthrough(), async () => {
      const sandbox = await client.sandboxOf(c);
      return {
        processes: processesOf(sandbox).all.map((running) => ({
          config: running.config,
          pid: running.pid,
          ...(running.tag === undefined ? {} : { tag: running.tag }),
        })),
      };
    }),
  );
  app.post("/process.Process/SendInput", (c) =>
    unary(c, InputBody, async ({ process, input }) => {
      const sandbox = await client.sandboxOf(c);
      const running = processesOf(sandbox).get(process);
      await sandbox.commands.sendStdin(running.pid, Buffer.from(input.stdin ?? input.pty ?? "", "base64"));
      return {};
    }),
  );
  app.post("/process.Process/CloseStdin", (c) =>
    unary(c, ConnectBody, async ({ process }) => {
      const sandbox = await client.sandboxOf(c);
      await sandbox.commands.closeStdin(processesOf(sandbox).get(process).pid);
      return {};
    }),
  );
  app.post("/process.Process/SendSignal", (c) =>
    unary(c, SignalBody, async ({ process, signal }) => {
      const sandbox = await client.sandboxOf(c);
      const running = processesOf(sandbox).get(process);
      await sandbox.commands.kill(running.pid, { with: signal === "SIGNAL_SIGTERM" ? "term" : "kill" });
      return {};
    }),
  );
}

/** A process started through envd's API: what List shows, and its events for every stream that follows it. */
interface EnvdProcess {
  pid: number;
  tag: string | undefined;
  config: z.infer<typeof ProcessConfig>;
  /** The streams following it: each gets what comes after it attached. */
  listeners: Set<(event: Record<string, unknown>) => void>;
  /** What came while no stream followed it (output before the first, or after a client hung up), for the next. */
  backlog: Record<string, unknown>[];
  /** Its end event, once it has ended. */
  ended: Promise<Record<string, unknown>>;
  /** Whether it ended because its sandbox did (killed, timed out). */
  sandboxClosed: boolean;
}

/** The processes of each sandbox started through envd's API, while they run. */
class EnvdProcesses {
  private readonly running = new Map<number, EnvdProcess>();

  get all(): EnvdProcess[] {
    return [...this.running.values()];
  }

  add(process: EnvdProcess): void {
    this.running.set(process.pid, process);
    void process.ended.finally(() => this.running.delete(process.pid));
  }

  find(selector: z.infer<typeof Selector>): EnvdProcess | undefined {
    return "pid" in selector
      ? this.running.get(selector.pid)
      : this.all.find((running) => running.tag === selector.tag);
  }

  get(selector: z.infer<typeof Selector>): EnvdProcess {
    const found = this.find(selector);
    if (!found)
      throw connectError(
        "not_found",
        `no running process with ${"pid" in selector ? `pid ${selector.pid}` : `tag ${selector.tag}`}`,
      );
    return found;
  }
}

const processesOf = perSandbox(() => new EnvdProcesses());
/** Output events kept for a process no stream follows (each a chunk of at most 64 KiB). */
const MAX_BACKLOG = 256;

/** Starts a Process/Start request's command in the sandbox and registers it. */
async function startProcess(
  sandbox: Sandbox,
  request: z.infer<typeof StartBody>,
  timeoutMs: number | undefined,
): Promise<EnvdProcess> {
  const { cmd, args, envs, cwd } = request.process;
  // The SDK runs every command as `/bin/bash -l -c CMD`: the command is the last argument.
  const command =
    cmd === "/bin/bash" && args.at(-2) === "-c" ? (args.at(-1) as string) : [cmd, ...args].map(shellQuoted).join(" ");
  const listeners = new Set<(event: Record<string, unknown>) => void>();
  const backlog: Record<string, unknown>[] = [];
  const emit = (event: Record<string, unknown>) => {
    if (listeners.size === 0 && backlog.length < MAX_BACKLOG) backlog.push(event);
    for (const listener of listeners) listener(event);
  };
  const data = (kind: "stdout" | "stderr") => (text: string) =>
    emit({ data: { [kind]: Buffer.from(text).toString("base64") } });
  const handle = await sandbox.commands.start(command, {
    ...(cwd ? { cwd } : {}),
    ...(envs ? { envs } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    stdin: request.stdin === true,
    onStdout: data("stdout"),
    onStderr: data("stderr"),
  });
  const ended = handle.wait().then(
    (result) => {
      const end = { exitCode: result.exitCode, exited: true, status: `exit status ${result.exitCode}` };
      return { end: result.timedOut ? { ...end, error: "timed out" } : end };
    },
    (error: unknown) => {
      running.sandboxClosed = isLitmusError(error, "SANDBOX_CLOSED");
      return { end: { exitCode: -1, exited: false, status: "error", error: messageOf(error) } };
    },
  );
  const running: EnvdProcess = {
    pid: handle.pid,
    tag: request.tag,
    config: request.process,
    listeners,
    backlog,
    ended,
    sandboxClosed: false,
  };
  processesOf(sandbox).add(running);
  return running;
}

/**
 * Streams a process's events to one client: start (its pid), data as it comes, then its end; or, when its
 * sandbox died under it, whatever the E2B app does then (`sandboxGone`: a control-plane sandbox's stream is cut).
 */
async function follow(out: StreamingApi, running: EnvdProcess, sandboxGone: () => boolean): Promise<void> {
  const send = (event: Record<string, unknown>) => void out.write(envelope(MESSAGE, { event }));
  running.listeners.add(send);
  out.onAbort(() => {
    running.listeners.delete(send);
  });
  send({ start: { pid: running.pid } });
  for (const event of running.backlog.splice(0)) send(event);
  const end = await running.ended;
  running.listeners.delete(send);
  if (out.aborted || (running.sandboxClosed && sandboxGone())) return;
  await out.write(envelope(MESSAGE, { event: end }));
  await out.write(envelope(END_STREAM, {}));
}

/** The deadline the Connect client asked for (its timeout of the call): the process's time limit. */
function connectTimeoutMs(c: HonoContext): number | undefined {
  const value = Number(c.req.header("connect-timeout-ms"));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `word` as one word of a POSIX shell command line. */
function shellQuoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
