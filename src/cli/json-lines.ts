import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";

/** A JSON Lines file written as records come, waiting when the disk is slower than they are. */
export class JsonLinesFile {
  private readonly stream: WriteStream;

  private constructor(stream: WriteStream) {
    this.stream = stream;
  }

  static async open(path: string): Promise<JsonLinesFile> {
    const stream = createWriteStream(path);
    await once(stream, "open");
    return new JsonLinesFile(stream);
  }

  async write(record: unknown): Promise<void> {
    if (!this.stream.write(`${JSON.stringify(record)}\n`)) await once(this.stream, "drain");
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  /** Closes the file without flushing (it is about to be removed). */
  destroy(): void {
    this.stream.destroy();
  }
}
