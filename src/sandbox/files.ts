import type { SandboxRequest } from "./request.ts";
import type { EntryInfo } from "./types.ts";

/** The sandbox's filesystem. Relative paths are resolved against the workspace, /home/user. */
export class SandboxFiles {
  private readonly request: SandboxRequest;

  constructor(request: SandboxRequest) {
    this.request = request;
  }

  /** Writes a file, creating parent directories. Returns the absolute path inside the sandbox. */
  async write(path: string, data: string | Uint8Array): Promise<string> {
    const bytes =
      typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const done = await this.request("files.write", { path, data: bytes.toString("base64") });
    return done.path ?? path;
  }

  /** Reads a file as text (default) or bytes. */
  async read(path: string, options?: { format?: "text" }): Promise<string>;
  async read(path: string, options: { format: "bytes" }): Promise<Uint8Array>;
  async read(path: string, options: { format?: "text" | "bytes" } = {}): Promise<string | Uint8Array> {
    const done = await this.request("files.read", { path });
    const bytes = Buffer.from(done.data ?? "", "base64");
    return options.format === "bytes" ? new Uint8Array(bytes) : bytes.toString("utf8");
  }

  /** Lists a directory, sorted by name. */
  async list(path = "."): Promise<EntryInfo[]> {
    const done = await this.request("files.list", { path });
    return done.entries ?? [];
  }

  /** Removes a file or a whole directory tree. */
  async remove(path: string): Promise<void> {
    await this.request("files.remove", { path });
  }

  async makeDir(path: string): Promise<void> {
    await this.request("files.mkdir", { path });
  }

  async exists(path: string): Promise<boolean> {
    const done = await this.request("files.exists", { path });
    return done.exists === true;
  }
}
