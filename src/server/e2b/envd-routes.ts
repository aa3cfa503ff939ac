import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { Hono, Context as HonoContext } from "hono";
import { stream } from "hono/streaming";
import type { StreamingApi } from "hono/utils/stream";
import { z } from "zod";
import { isLitmusError, LitmusError, messageOf } from "../../errors.ts";
import type { EntryInfo, FilesystemEvent, Sandbox, WatchHandle } from "../../sandbox/index.ts";
import { releaseWhenDelivered } from "../until-delivered.ts";

/*
 * The part of E2B's in-sandbox daemon (envd) that the SDK's `files` and `commands` use: `GET`/`POST /files`
 * for contents, and Connect RPCs in JSON (the SDK's transport) for the rest. With E2B_DEBUG=true and
 * E2B_SANDBOX_URL pointing here, the SDK's files and commands reach the same litmus sandbox as its code.
 * Field names and enum values are those of envd's protobuf schema (filesystem.proto, process.proto).
 */

const PathBody = z.object({ path: z.string().min(1) });
const ListBody = z.object({ path: z.string().min(1), depth: z.number().int().min(0).optional() });
const MoveBody = z.object({ source: z.string().min(1), destination: z.string().min(1) });
const WatchBody = z.object({
  path: z.string().min(1),
  recursive: z.boolean().optional(),
  includeEntry: z.boolean().optional(),
});
const WatcherBody = z.object({ watcherId: z.string() });
/** envd's EventType, by litmus's event type. */
const EVENT_TYPES = {
  create: "EVENT_TYPE_CREATE",
  write: "EVENT_TYPE_WRITE",
  remove: "EVENT_TYPE_REMOVE",
  rename: "EVENT_TYPE_RENAME",
  chmod: "EVENT_TYPE_CHMOD",
} as const;
/** How often a watch's stream says it is alive while nothing changes. */
const WATCH_KEEPALIVE_MS = 30_000;
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

/** What a gzip upload may expand to: the most a sandbox file holds (files.read's limit). */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** A Connect error: its code names the HTTP status it travels with. */
const CONNECT_STATUS = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  internal: 500,
} as const;
type ConnectCode = keyof typeof CONNECT_STATUS;

/** Flags of a Connect streaming envelope: a message, or the end of the stream (with an error, maybe). */
const MESSAGE = 0;
const END_STREAM = 2;

export function addEnvdRoutes(
  app: Hono,
  client: {
    /** The sandbox of the request's client. */
    sandboxOf: (c: HonoContext) => Promise<Sandbox>;
    /** Admits a command against the client's limits (as /execute is), or says why not. */
    admit: (c: HonoContext) => { release: () => void } | { refused: string };
    /** Holds one of the client's places while a download is delivered, or says why not. */
    hold: (c: HonoContext) => { release: () => void } | { refused: string };
  },
): void {
  app.get("/files", async (c) => {
    const path = c.req.query("path");
    if (!path) return c.json({ code: 400, message: "path is required" }, 400);
    // A file (up to 64 MiB) counts against the client's runs until it has been read: unread downloads
    // cannot pile up in the server's memory.
    const held = client.hold(c);
    if ("refused" in held) return c.json({ code: 429, message: held.refused }, 429);
    const handlerDone = releaseWhenDelivered(c, held.release);
    try {
      const bytes = await (await client.sandboxOf(c)).files.read(path, { format: "bytes" });
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/octet-stream" });
    } catch (error) {
      return fileError(c, error);
    } finally {
      handlerDone();
    }
  });

  // One file as the body (`path` in the query; gzip if its Content-Encoding says so), or a form with a "file"
  // part per file, each at `path` or else at its own file name (the SDK's writeFiles).
  app.post("/files", async (c) => {
    const path = c.req.query("path");
    try {
      const uploads: Array<{ path: string; data: Uint8Array }> = [];
      if ((c.req.header("content-type") ?? "").startsWith("multipart/form-data")) {
        for (const file of (await c.req.formData()).getAll("file")) {
          if (!(file instanceof File)) continue;
          const target = path ?? file.name;
          if (!target) return c.json({ code: 400, message: "a file of the form has no path" }, 400);
          uploads.push({ path: target, data: new Uint8Array(await file.arrayBuffer()) });
        }
        if (uploads.length === 0) return c.json({ code: 400, message: 'the form has no "file"' }, 400);
      } else {
        if (!path) return c.json({ code: 400, message: "path is required" }, 400);
        uploads.push({ path, data: await uploadedBytes(c) });
      }
      // Metadata comes as X-Metadata-KEY headers, the same for every file of the upload.
      const metadata = Object.fromEntries(
        Object.entries(c.req.header())
          .filter(([name]) => name.toLowerCase().startsWith("x-metadata-"))
          .map(([name, value]) => [name.slice("x-metadata-".length).toLowerCase(), value]),
      );
      const withMetadata = Object.keys(metadata).length > 0 ? { metadata } : {};
      const sandbox = await client.sandboxOf(c);
      const written = [];
      for (const upload of uploads) {
        const at = await sandbox.files.write(upload.path, upload.data, withMetadata);
        written.push({ name: at.split("/").at(-1), type: "file", path: at, ...withMetadata });
      }
      return c.json(written);
    } catch (error) {
      return fileError(c, error);
    }
  });

  app.post("/filesystem.Filesystem/ListDir", (c) =>
    unary(c, ListBody, async ({ path, depth }) => {
      const sandbox = await client.sandboxOf(c);
      const info = await sandbox.files.getInfo(path);
      if (info.type !== "dir") throw connectError("invalid_argument", `${path} is not a directory`);
      // envd's default depth (0 in the request) is 1: the directory's own entries.
      return { entries: (await sandbox.files.list(path, { depth: depth || 1 })).map(entryJson) };
    }),
  );
  app.post("/filesystem.Filesystem/Stat", (c) =>
    unary(c, PathBody, async ({ path }) => ({
      entry: entryJson(await (await client.sandboxOf(c)).files.getInfo(path)),
    })),
  );
  app.post("/filesystem.Filesystem/Move", (c) =>
    unary(c, MoveBody, async ({ source, destination }) => {
      const sandbox = await client.sandboxOf(c);
      return { entry: entryJson(await sandbox.files.rename(source, destination)) };
    }),
  );
  app.post("/filesystem.Filesystem/MakeDir", (c) =>
    unary(c, PathBody, async ({ path }) => {
      const sandbox = await client.sandboxOf(c);
      if (await sandbox.files.exists(path)) throw connectError("already_exists", `${path} already exists`);
      await sandbox.files.makeDir(path);
      return { entry: entryJson(await sandbox.files.getInfo(path)) };
    }),
  );
  app.post("/filesystem.Filesystem/Remove", (c) =>
    unary(c, PathBody, async ({ path }) => {
      // As envd: removing what is not there succeeds.
      const sandbox = await client.sandboxOf(c);
      if (await sandbox.files.exists(path)) await sandbox.files.remove(path);
      return {};
    }),
  );

  // A stream of a directory's changes until the client hangs up: start, then each change, keepalives meanwhile.
  app.post("/filesystem.Filesystem/WatchDir", async (c) => {
    const parsed = WatchBody.safeParse(firstEnvelope(new Uint8Array(await c.req.arrayBuffer())));
    c.header("content-type", "application/connect+json");
    const sandbox = await client.sandboxOf(c);
    return stream(c, async (out) => {
      if (!parsed.success) {
        await out.write(envelope(END_STREAM, { error: { code: "invalid_argument", message: parsed.error.message } }));
        return;
      }
      const hungUp = new AbortController();
      out.onAbort(() => hungUp.abort());
      // Changes seen before the start event is out wait for it.
      let early: Record<string, unknown>[] | null = [];
      const send = (message: Record<string, unknown>) =>
        early ? early.push(message) : void out.write(envelope(MESSAGE, message));
      let watch: Awaited<ReturnType<Sandbox["files"]["watchDir"]>>;
      try {
        watch = await sandbox.files.watchDir(parsed.data.path, (event) => send({ filesystem: eventJson(event) }), {
          recursive: parsed.data.recursive === true,
          includeEntry: parsed.data.includeEntry === true,
          signal: hungUp.signal,
        });
      } catch (error) {
        const code = connectCodeOf(error);
        await out.write(envelope(END_STREAM, { error: { code, message: messageOf(error) } }));
        return;
      }
      await out.write(envelope(MESSAGE, { start: {} }));
      for (const message of early) await out.write(envelope(MESSAGE, message));
      early = null;
      const keepalive = setInterval(() => send({ keepalive: {} }), WATCH_KEEPALIVE_MS);
      await new Promise((resolve) => hungUp.signal.addEventListener("abort", resolve, { once: true }));
      clearInterval(keepalive);
      await watch.stop();
    });
  });

  // The polling form of a watch (the Python SDK's): changes are kept until asked for.
  app.post("/filesystem.Filesystem/CreateWatcher", (c) =>
    unary(c, WatchBody, async ({ path, recursive, includeEntry }) => {
      const sandbox = await client.sandboxOf(c);
      const events: Record<string, unknown>[] = [];
      const watch = await sandbox.files.watchDir(
        path,
        (event) => {
          if (events.length < MAX_KEPT_EVENTS) events.push(eventJson(event));
        },
        { recursive: recursive === true, includeEntry: includeEntry === true },
      );
      const watcherId = randomUUID();
      watchersOf(sandbox).set(watcherId, { watch, events });
      return { watcherId };
    }),
  );
  app.post("/filesystem.Filesystem/GetWatcherEvents", (c) =>
    unary(c, WatcherBody, async ({ watcherId }) => {
      const watcher = watchersOf(await client.sandboxOf(c)).get(watcherId);
      if (!watcher) throw connectError("not_found", `no watcher ${watcherId}`);
      return { events: watcher.events.splice(0) };
    }),
  );
  app.post("/filesystem.Filesystem/RemoveWatcher", (c) =>
    unary(c, WatcherBody, async ({ watcherId }) => {
      const watchers = watchersOf(await client.sandboxOf(c));
      const watcher = watchers.get(watcherId);
      if (!watcher) throw connectError("not_found", `no watcher ${watcherId}`);
      watchers.delete(watcherId);
      await watcher.watch.stop();
      return {};
    }),
  );

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
      await follow(out, running);
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
      await follow(out, running);
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

const processTables = new WeakMap<Sandbox, EnvdProcesses>();
/** Each sandbox's polling watchers, by id: what each has seen since it was last asked. */
const watcherTables = new WeakMap<Sandbox, Map<string, { watch: WatchHandle; events: Record<string, unknown>[] }>>();
/** Changes a polling watcher keeps for its client; beyond, they are dropped until it asks. */
const MAX_KEPT_EVENTS = 10_000;

function watchersOf(sandbox: Sandbox) {
  let table = watcherTables.get(sandbox);
  if (!table) {
    table = new Map();
    watcherTables.set(sandbox, table);
  }
  return table;
}
/** Output events kept for a process no stream follows (each a chunk of at most 64 KiB). */
const MAX_BACKLOG = 256;

function processesOf(sandbox: Sandbox): EnvdProcesses {
  let table = processTables.get(sandbox);
  if (!table) {
    table = new EnvdProcesses();
    processTables.set(sandbox, table);
  }
  return table;
}

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
    (error: unknown) => ({ end: { exitCode: -1, exited: false, status: "error", error: messageOf(error) } }),
  );
  const running: EnvdProcess = {
    pid: handle.pid,
    tag: request.tag,
    config: request.process,
    listeners,
    backlog,
    ended,
  };
  processesOf(sandbox).add(running);
  return running;
}

/** Streams a process's events to one client: start (its pid), data as it comes, then its end. */
async function follow(out: StreamingApi, running: EnvdProcess): Promise<void> {
  const send = (event: Record<string, unknown>) => void out.write(envelope(MESSAGE, { event }));
  running.listeners.add(send);
  out.onAbort(() => {
    running.listeners.delete(send);
  });
  send({ start: { pid: running.pid } });
  for (const event of running.backlog.splice(0)) send(event);
  const end = await running.ended;
  running.listeners.delete(send);
  if (out.aborted) return;
  await out.write(envelope(MESSAGE, { event: end }));
  await out.write(envelope(END_STREAM, {}));
}

/** The deadline the Connect client asked for (its timeout of the call): the process's time limit. */
function connectTimeoutMs(c: HonoContext): number | undefined {
  const value = Number(c.req.header("connect-timeout-ms"));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

async function unary<T>(
  c: HonoContext,
  schema: z.ZodType<T>,
  work: (body: T) => Promise<Record<string, unknown>>,
): Promise<Response> {
  const body = schema.safeParse(await c.req.json().catch(() => null));
  if (!body.success) return c.json({ code: "invalid_argument", message: body.error.message }, 400);
  try {
    return c.json(await work(body.data));
  } catch (error) {
    const code = connectCodeOf(error);
    return c.json({ code, message: messageOf(error) }, CONNECT_STATUS[code]);
  }
}

function connectCodeOf(error: unknown): ConnectCode {
  if (error instanceof ConnectFailure) return error.code;
  if (isLitmusError(error, "NOT_FOUND")) return "not_found";
  return isLitmusError(error, "BAD_INPUT") ? "invalid_argument" : "internal";
}

class ConnectFailure extends Error {
  readonly code: ConnectCode;
  constructor(code: ConnectCode, message: string) {
    super(message);
    this.code = code;
  }
}

function connectError(code: ConnectCode, message: string): ConnectFailure {
  return new ConnectFailure(code, message);
}

/** A change as envd's FilesystemEvent. */
function eventJson(event: FilesystemEvent): Record<string, unknown> {
  return { name: event.name, type: EVENT_TYPES[event.type], ...(event.entry ? { entry: entryJson(event.entry) } : {}) };
}

/** envd's FileType enum, by litmus's entry type. */
const FILE_TYPES = { file: "FILE_TYPE_FILE", dir: "FILE_TYPE_DIRECTORY", symlink: "FILE_TYPE_SYMLINK" } as const;

/** An entry as envd's EntryInfo in JSON: `size` an int64 (a string), `modifiedTime` a Timestamp (RFC 3339). */
function entryJson(entry: EntryInfo): Record<string, unknown> {
  return {
    name: entry.name,
    type: FILE_TYPES[entry.type],
    path: entry.path,
    size: String(entry.size),
    mode: entry.mode,
    permissions: entry.permissions,
    owner: entry.owner,
    group: entry.group,
    modifiedTime: entry.modifiedTime.toISOString(),
    ...(entry.symlinkTarget === undefined ? {} : { symlinkTarget: entry.symlinkTarget }),
    ...(entry.metadata === undefined ? {} : { metadata: entry.metadata }),
  };
}

function fileError(c: HonoContext, error: unknown): Response {
  const message = messageOf(error);
  if (isLitmusError(error, "NOT_FOUND")) return c.json({ code: 404, message }, 404);
  if (isLitmusError(error, "BAD_INPUT")) return c.json({ code: 400, message }, 400);
  return c.json({ code: 500, message }, 500);
}

/** The bytes of an upload, gunzipped if its Content-Encoding is gzip (at most MAX_UPLOAD_BYTES of them). */
async function uploadedBytes(c: HonoContext): Promise<Uint8Array> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity") return body;
  if (encoding !== "gzip") throw new LitmusError("BAD_INPUT", `Content-Encoding ${encoding}: send gzip or none`);
  try {
    return gunzipSync(body, { maxOutputLength: MAX_UPLOAD_BYTES });
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `the gzip upload could not be read: ${messageOf(error)}`);
  }
}

/** A Connect streaming envelope: a flags byte, the length (4 bytes, big-endian), then the JSON. */
function envelope(flags: number, message: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(message));
  const framed = Buffer.alloc(5 + json.length);
  framed.writeUInt8(flags, 0);
  framed.writeUInt32BE(json.length, 1);
  json.copy(framed, 5);
  return framed;
}

/** The first message of an enveloped request body (a server-streaming call sends exactly one). */
function firstEnvelope(body: Uint8Array): unknown {
  if (body.length < 5) return null;
  const length = Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32BE(1);
  try {
    return JSON.parse(Buffer.from(body.subarray(5, 5 + length)).toString("utf8"));
  } catch {
    return null;
  }
}

/** `word` as one word of a POSIX shell command line. */
function shellQuoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
