import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import type { EmbeddedModel } from "./embedded-models.ts";

/** The size and sha256 an embedded model's file must have. */
export type ModelPin = Pick<EmbeddedModel, "name" | "sizeBytes" | "sha256">;

/**
 * What a file looked like when its hash was last checked. The inode's change time moves on any write, rename
 * or chmod and cannot be set back by a program, so a matching record proves the bytes were not touched since.
 */
const VerifiedRecordSchema = z.object({
  sha256: z.string(),
  sizeBytes: z.number(),
  inode: z.number(),
  ctimeMs: z.number(),
});

function recordPath(path: string): string {
  return `${path}.verified`;
}

/** The sha256 of a file, streamed. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/**
 * Checks the file at `path` against its pin: `false` when there is no file, `true` when it is exactly the pinned
 * model. A file of another size or hash is refused with what to do. Hashing takes about 3 s per GB, so a file
 * once verified is not hashed again until it changes (see VerifiedRecordSchema).
 */
export async function verifyModelFile(path: string, pin: ModelPin): Promise<boolean> {
  const info = await stat(path, { bigint: false }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw new LitmusError("MODEL_UNAVAILABLE", `cannot read the model file ${path}: ${error.code ?? error.message}`);
  });
  if (info === null) return false;
  const refuse = (found: string): LitmusError =>
    new LitmusError(
      "MODEL_UNAVAILABLE",
      `${path} is not the ${pin.name} model litmus pins (${found}): it is damaged or was replaced. ` +
        `Run \`litmus models pull local:${pin.name}\` to fetch it again`,
    );
  if (info.size !== pin.sizeBytes) throw refuse(`${info.size} bytes, expected ${pin.sizeBytes}`);
  const record = await readFile(recordPath(path), "utf8")
    .then((text) => VerifiedRecordSchema.parse(JSON.parse(text)))
    .catch(() => null);
  if (
    record?.sha256 === pin.sha256 &&
    record.sizeBytes === info.size &&
    record.inode === info.ino &&
    record.ctimeMs === info.ctimeMs
  ) {
    return true;
  }
  const sha256 = await sha256Of(path);
  if (sha256 !== pin.sha256) throw refuse(`sha256 ${sha256}, expected ${pin.sha256}`);
  await recordVerified(path, sha256);
  return true;
}

/** Notes that the file at `path` has just been hashed to `sha256`; a cache, so failing to write it is fine. */
export async function recordVerified(path: string, sha256: string): Promise<void> {
  const info = await stat(path);
  const record = { sha256, sizeBytes: info.size, inode: info.ino, ctimeMs: info.ctimeMs };
  await writeFile(recordPath(path), `${JSON.stringify(record)}\n`).catch(() => {});
}
