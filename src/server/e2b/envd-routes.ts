import type { Hono, Context as HonoContext } from "hono";
import { stream } from "hono/streaming";
import type { StreamingApi } from "hono/utils/stream";
import { z } from "zod";
import { isLitmusError, messageOf } from "../../errors.ts";
import type { EntryInfo, Sandbox } from "../../sandbox/index.ts";
import { releaseWhenDelivered } from "../until-delivered.ts";

/*
 * The part of E2B's in-sandbox daemon (envd) that the SDK's `files` and `commands` use: `GET`/`POST /files`
 * for contents, and Connect RPCs in JSON (the SDK's transport) for the rest. With E2B_DEBUG=true and
 * E2B_SANDBOX_URL pointing here, the SDK's files and commands reach the same litmus sandbox as its code.
 * Field names and enum values are those of envd's protobuf schema (filesystem.proto, process.proto).
 */

const PathBody = z.object({ path: z.string().min(1) });
const ListBody = z.object({ path: z.string().min(1), depth: z.number().int().min(1).optional() });
const StartBody = z.object({
  process: z.object({
    cmd: z.string(),
    args: z.array(z.string()).default([]),
    envs: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
  }),
});

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

  app.post("/files", async (c) => {
    const path = c.req.query("path");
    if (!path) return c.json({ code: 400, message: "path is required" }, 400);
    try {
      const type = c.req.header("content-type") ?? "";
      let data: Uint8Array;
      if (type.startsWith("multipart/form-data")) {
        const file = (await c.req.formData()).get("file");
        if (!(file instanceof Blob)) return c.json({ code: 400, message: 'the form has no "file"' }, 400);
        data = new Uint8Array(await file.arrayBuffer());
      } else {
        data = new Uint8Array(await c.req.arrayBuffer());
      }
      const written = await (await client.sandboxOf(c)).files.write(path, data);
      return c.json([{ name: written.split("/").at(-1), type: "file", path: written }]);
    } catch (error) {
      return fileError(c, error);
    }
  });

  app.post("/filesystem.Filesystem/ListDir", (c) =>
    unary(c, ListBody, async ({ path }) => {
      const sandbox = await client.sandboxOf(c);
      return { entries: (await sandbox.files.list(path)).map(entryJson) };
    }),
  );
  app.post("/filesystem.Filesystem/Stat", (c) =>
    unary(c, PathBody, async ({ path }) => ({ entry: await statOf(await client.sandboxOf(c), path) })),
  );
  app.post("/filesystem.Filesystem/MakeDir", (c) =>
    unary(c, PathBody, async ({ path }) => {
      const sandbox = await client.sandboxOf(c);
      if (await sandbox.files.exists(path)) throw connectError("already_exists", `${path} already exists`);
      await sandbox.files.makeDir(path);
      return { entry: await statOf(sandbox, path) };
    }),
  );
  app.post("/filesystem.Filesystem/Remove", (c) =>
    unary(c, PathBody, async ({ path }) => {
      const sandbox = await client.sandboxOf(c);
      if (!(await sandbox.files.exists(path))) throw connectError("not_found", `${path} does not exist`);
      await sandbox.files.remove(path);
      return {};
    }),
  );

  app.post("/process.Process/Start", async (c) => {
    const parsed = StartBody.safeParse(firstEnvelope(new Uint8Array(await c.req.arrayBuffer())));
    c.header("content-type", "application/connect+json");
    const admitted = parsed.success ? client.admit(c) : null;
    const handlerDone = admitted && !("refused" in admitted) ? releaseWhenDelivered(c, admitted.release) : () => {};
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
      try {
        await runCommand(out, parsed.data.process, await client.sandboxOf(c));
      } finally {
        handlerDone();
      }
    });
  });
}

/** Runs a Process/Start request's command, streaming envd's events: start, data, then end. */
async function runCommand(out: StreamingApi, process: z.infer<typeof StartBody>["process"], sandbox: Sandbox) {
  const { cmd, args, envs, cwd } = process;
  // The SDK runs every command as `/bin/bash -l -c CMD`: the command is the last argument.
  const command =
    cmd === "/bin/bash" && args.at(-2) === "-c" ? (args.at(-1) as string) : [cmd, ...args].map(shellQuoted).join(" ");
  const abort = new AbortController();
  out.onAbort(() => abort.abort());
  await out.write(envelope(MESSAGE, { event: { start: { pid: 1 } } }));
  const data = (kind: "stdout" | "stderr") => (text: string) =>
    void out.write(envelope(MESSAGE, { event: { data: { [kind]: Buffer.from(text).toString("base64") } } }));
  try {
    const result = await sandbox.commands.run(command, {
      ...(cwd ? { cwd } : {}),
      ...(envs ? { envs } : {}),
      signal: abort.signal,
      onStdout: data("stdout"),
      onStderr: data("stderr"),
    });
    const end = { exitCode: result.exitCode, exited: true, status: `exit status ${result.exitCode}` };
    await out.write(envelope(MESSAGE, { event: { end: result.timedOut ? { ...end, error: "timed out" } : end } }));
    await out.write(envelope(END_STREAM, {}));
  } catch (error) {
    await out.write(envelope(END_STREAM, { error: { code: "internal", message: messageOf(error) } }));
  }
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
    const code: ConnectCode =
      error instanceof ConnectFailure
        ? error.code
        : isLitmusError(error, "NOT_FOUND")
          ? "not_found"
          : isLitmusError(error, "BAD_INPUT")
            ? "invalid_argument"
            : "internal";
    return c.json({ code, message: messageOf(error) }, CONNECT_STATUS[code]);
  }
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

/** An entry as envd's EntryInfo: `type` is the FileType enum, `size` an int64 (a string in JSON). */
function entryJson(entry: EntryInfo): Record<string, unknown> {
  return {
    name: entry.name,
    type: entry.type === "dir" ? "FILE_TYPE_DIRECTORY" : "FILE_TYPE_FILE",
    path: entry.path,
    size: String(entry.size),
  };
}

/** The entry at `path`, from its parent's listing (the Sandbox API has no stat of its own). */
async function statOf(sandbox: Sandbox, path: string): Promise<Record<string, unknown>> {
  if (!(await sandbox.files.exists(path))) throw connectError("not_found", `${path} does not exist`);
  const slash = path.replace(/\/+$/, "").lastIndexOf("/");
  const parent = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
  const name = path.replace(/\/+$/, "").slice(slash + 1);
  const entry = (await sandbox.files.list(parent)).find((listed) => listed.name === name);
  if (!entry) throw connectError("not_found", `${path} does not exist`);
  return entryJson(entry);
}

function fileError(c: HonoContext, error: unknown): Response {
  const message = messageOf(error);
  if (isLitmusError(error, "NOT_FOUND")) return c.json({ code: 404, message }, 404);
  if (isLitmusError(error, "BAD_INPUT")) return c.json({ code: 400, message }, 400);
  return c.json({ code: 500, message }, 500);
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
