import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";

/** A model answer as the cache keeps it. */
export interface CachedResponse {
  text: string;
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number };
}

const CachedResponseSchema = z.object({
  text: z.string(),
  finishReason: z.string(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
});

/**
 * Model answers on disk, one JSON file per request, keyed by a hash of the whole request (model identity,
 * prompt, every sampling setting). A repeated request gets the same answer again, exactly and for free.
 */
export class ResponseCache {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** The cache key of a request: any JSON value, hashed in a stable key order. */
  static keyOf(request: unknown): string {
    return createHash("sha256").update(stableJson(request)).digest("hex");
  }

  async get(key: string): Promise<CachedResponse | null> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), "utf8");
    } catch {
      return null;
    }
    // A corrupt entry (a crash mid-write on another filesystem, a hand edit) is a miss, not a failure.
    const parsed = CachedResponseSchema.safeParse(safeJson(text));
    return parsed.success ? parsed.data : null;
  }

  async set(key: string, response: CachedResponse): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a reader never sees half an entry.
    const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(response));
    await rename(temporary, path);
  }

  private pathOf(key: string): string {
    return join(this.directory, key.slice(0, 2), `${key}.json`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
