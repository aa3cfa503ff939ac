import { LitmusError } from "../errors.ts";
import type { SandboxRequest } from "./request.ts";
import type { EntryInfo, FilesystemEvent, WatchHandle } from "./types.ts";

/** Options every file operation takes. */
interface FileOptions {
  signal?: AbortSignal;
}

/** The sandbox's filesystem. Relative paths are resolved against the workspace, /home/user. */
export class SandboxFiles {
  private readonly request: SandboxRequest;

  constructor(request: SandboxRequest) {
    this.request = request;
  }

  /**
   * Writes a file (replacing it), creating parent directories. Returns the absolute path in the sandbox.
   * `metadata` is kept with the file, as E2B keeps it (extended attributes), and shown by getInfo and list.
   */
  async write(
    path: string,
    data: string | Uint8Array,
    options: FileOptions & { metadata?: Record<string, string> } = {},
  ): Promise<string> {
    const bytes =
      typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const metadata = options.metadata ? { metadata: checkMetadata(options.metadata) } : {};
    const done = await this.request("files.write", { path, data: bytes.toString("base64"), ...metadata }, options);
    return done.path ?? path;
  }

  /** Reads a regular file (at most 64 MiB) as text (default) or bytes. */
  async read(path: string, options?: FileOptions & { format?: "text" }): Promise<string>;
  async read(path: string, options: FileOptions & { format: "bytes" }): Promise<Uint8Array>;
  async read(path: string, options: FileOptions & { format?: "text" | "bytes" } = {}): Promise<string | Uint8Array> {
    const done = await this.request("files.read", { path }, options);
    const bytes = Buffer.from(done.data ?? "", "base64");
    return options.format === "bytes" ? new Uint8Array(bytes) : bytes.toString("utf8");
  }

  /**
   * Lists a directory (default: the workspace) and, with `depth` above 1, its subdirectories that many levels
   * down, sorted by path. Symbolic links are listed, not followed.
   */
  async list(path = ".", options: FileOptions & { depth?: number } = {}): Promise<EntryInfo[]> {
    const depth = options.depth ?? 1;
    if (!Number.isInteger(depth) || depth < 1) {
      throw new LitmusError("BAD_INPUT", `list depth ${depth}: use a whole number of levels, 1 or more`);
    }
    const done = await this.request("files.list", { path, depth }, options);
    return (done.entries ?? []).map(entryOf);
  }

  /** What is at `path` (a symbolic link itself, not its target); NOT_FOUND where nothing is. */
  async getInfo(path: string, options: FileOptions = {}): Promise<EntryInfo> {
    return entryOf((await this.request("files.stat", { path }, options)).entry);
  }

  /**
   * Watches a directory (and with `recursive` every directory below it, new ones too): `onEvent` hears each
   * change from the moment this resolves until `stop()`. NOT_FOUND for a directory that is not there.
   */
  async watchDir(
    path: string,
    onEvent: (event: FilesystemEvent) => void,
    options: FileOptions & { recursive?: boolean; includeEntry?: boolean } = {},
  ): Promise<WatchHandle> {
    const stopped = new AbortController();
    const watching = Promise.withResolvers<void>();
    const done = this.request(
      "files.watch",
      { path, recursive: options.recursive === true, includeEntry: options.includeEntry === true },
      {
        signal: options.signal ? AbortSignal.any([stopped.signal, options.signal]) : stopped.signal,
        onEvent: (event) => {
          if (event.ev === "watching") watching.resolve();
          else if (event.ev === "watch") {
            onEvent({ name: event.name, type: event.type, ...(event.entry ? { entry: entryOf(event.entry) } : {}) });
          }
        },
      },
    );
    done.then(
      () => watching.resolve(),
      (error: unknown) => watching.reject(error),
    );
    await watching.promise;
    return {
      stop: async () => {
        stopped.abort();
        await done.catch(() => {});
      },
    };
  }

  /** Renames (moves) a file or directory; returns what is at its new path. */
  async rename(path: string, destination: string, options: FileOptions = {}): Promise<EntryInfo> {
    return entryOf((await this.request("files.rename", { path, destination }, options)).entry);
  }

  /** Removes a file or a whole directory tree. */
  async remove(path: string, options: FileOptions = {}): Promise<void> {
    await this.request("files.remove", { path }, options);
  }

  /** Creates a directory and its parents; an existing one is fine. */
  async makeDir(path: string, options: FileOptions = {}): Promise<void> {
    await this.request("files.mkdir", { path }, options);
  }

  /** Whether anything (file, directory, link) exists at `path`. */
  async exists(path: string, options: FileOptions = {}): Promise<boolean> {
    const done = await this.request("files.exists", { path }, options);
    return done.exists === true;
  }
}

/** An entry as the supervisor sends it (its time in milliseconds), as the API gives it. */
function entryOf(entry: unknown): EntryInfo {
  const sent = entry as Omit<EntryInfo, "modifiedTime"> & { modifiedTime: number };
  return { ...sent, modifiedTime: new Date(sent.modifiedTime) };
}

/** As E2B's: keys HTTP header tokens (they travel as header names), values printable ASCII. */
const METADATA_KEY = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,200}$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;

function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) {
      throw new LitmusError(
        "BAD_INPUT",
        `metadata key ${JSON.stringify(key)}: use letters, digits and !#$%&'*+-.^_\`|~`,
      );
    }
    if (typeof value !== "string" || !METADATA_VALUE.test(value)) {
      throw new LitmusError("BAD_INPUT", `metadata value of ${key}: printable ASCII only`);
    }
  }
  return metadata;
}
