import { open, stat } from "node:fs/promises";
import { LitmusError } from "../errors.ts";

/** What the fixed GGUF header says about a model file. */
export interface GgufHeader {
  path: string;
  sizeBytes: number;
  version: number;
  tensorCount: number;
  metadataCount: number;
}

/**
 * Reads and checks a GGUF file's header (magic "GGUF", version, counts). Throws MODEL_UNAVAILABLE with what
 * is wrong: missing, truncated, or not GGUF at all.
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch (error) {
    throw new LitmusError(
      "MODEL_UNAVAILABLE",
      `model file ${path} cannot be opened: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    const header = Buffer.alloc(24);
    const { bytesRead } = await file.read(header, 0, 24, 0);
    if (bytesRead < 24 || header.toString("latin1", 0, 4) !== "GGUF") {
      throw new LitmusError("MODEL_UNAVAILABLE", `${path} is not a GGUF model file (it does not start with "GGUF")`);
    }
    return {
      path,
      sizeBytes: (await stat(path)).size,
      version: header.readUInt32LE(4),
      tensorCount: Number(header.readBigUInt64LE(8)),
      metadataCount: Number(header.readBigUInt64LE(16)),
    };
  } finally {
    await file.close();
  }
}
