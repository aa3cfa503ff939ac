import type { Stats } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import { sha256OfFile } from "../hash-file.ts";
import type { EmbeddedModel } from "./embedded-models.ts";

/** The size and sha256 an embedded model's file must have. */
export type ModelPin = Pick<EmbeddedModel, "name" | "sizeBytes" | "sha256">;

/**
 * What a file looked like when its hash was last checked: its inode and the inode's change time, which moves on
 * any write, rename or chmod. A matching record spares hashing a file that was not touched since; it guards
 * against damage and accidental replacement, not against someone who can write the cache (and the record).
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

function sameFile(record: z.infer<typeof VerifiedRecordSchema>, info: Stats): boolean {
  return record.sizeBytes === info.size && record.inode === info.ino && record.ctimeMs === info.ctimeMs;
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
  if (record?.sha256 === pin.sha256 && sameFile(record, info)) return true;
  const sha256 = await sha256OfFile(path);
  if (sha256 !== pin.sha256) throw refuse(`sha256 ${sha256}, expected ${pin.sha256}`);
  await recordVerified(path, sha256, info);
  return true;
}

/**
 * Notes that the file at `path`, as `before` describes it, has been hashed to `sha256`; not when it changed
 * while it was hashed. A cache, so failing to write it is fine.
 */
export async function recordVerified(path: string, sha256: string, before: Stats): Promise<void> {
  const record = { sha256, sizeBytes: before.size, inode: before.ino, ctimeMs: before.ctimeMs };
  if (!sameFile(record, await stat(path))) return;
  await writeFile(recordPath(path), `${JSON.stringify(record)}\n`).catch(() => {});
}
