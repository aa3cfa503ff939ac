import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { Hono, Context as HonoContext } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import { isLitmusError, LitmusError, messageOf } from "../../errors.ts";
import type { EntryInfo, FilesystemEvent, Sandbox, WatchHandle } from "../../sandbox/index.ts";
import { releaseWhenDelivered } from "../until-delivered.ts";
import { connectCodeOf, connectError, END_STREAM, envelope, firstEnvelope, MESSAGE, unary } from "./envd-connect.ts";
import type { EnvdClient } from "./envd-routes.ts";
import { perSandbox } from "./per-sandbox.ts";

/** envd's filesystem: file contents over plain HTTP (`GET`/`POST /files`), the rest as Connect RPCs. */

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
/** What a gzip upload may expand to: the most a sandbox file holds (files.read's limit). */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

export function addEnvdFileRoutes(app: Hono, client: EnvdClient): void {
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
        // A part is a file, or a plain text field (a form filled by hand, `form.append("file", "text")`).
        for (const file of (await c.req.formData()).getAll("file")) {
          const target = path ?? (file instanceof File ? file.name : "");
          if (!target) return c.json({ code: 400, message: "a file of the form has no path" }, 400);
          const data = file instanceof File ? new Uint8Array(await file.arrayBuffer()) : new TextEncoder().encode(file);
          uploads.push({ path: target, data });
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
}

/** Each sandbox's polling watchers, by id: what each has seen since it was last asked. */
const watchersOf = perSandbox(() => new Map<string, { watch: WatchHandle; events: Record<string, unknown>[] }>());
/** Changes a polling watcher keeps for its client; beyond, they are dropped until it asks. */
const MAX_KEPT_EVENTS = 10_000;

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
