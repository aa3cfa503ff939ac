import { access, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { datasetCacheDir } from "../../cache-dirs.ts";
import { downloadFile } from "../../download-file.ts";
import { LitmusError } from "../../errors.ts";
import { sha256OfFile } from "../../hash-file.ts";
import { KNOWN_DATASETS, type KnownDataset, knownDataset } from "./registry.ts";

export interface LocateDatasetOptions {
  /** A folder holding datasets laid out like the original releases (default: $LITMUS_DATASETS_DIR). */
  datasetsDir?: string;
  /** Where downloaded datasets are kept (default: `datasets/` in litmus's cache). */
  cacheDir?: string;
  /** Download a known dataset missing from both folders from its original source (default true). */
  download?: boolean;
  /** The address to download a known dataset from (default: its original source). */
  sourceUrl?: (dataset: KnownDataset) => string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** A dataset file found (and, for a known dataset, verified). */
export interface LocatedDataset {
  path: string;
  sha256: string;
  known: KnownDataset | null;
}

/**
 * Finds a dataset: a known name (humaneval, humaneval+, mbpp, ...) in the datasets folder, then in the cache,
 * then downloaded into the cache from its original source; or a path to a file or a folder of litmus task
 * files. A known dataset's file must match its published checksum.
 */
export async function locateDataset(nameOrPath: string, options: LocateDatasetOptions = {}): Promise<LocatedDataset> {
  const known = knownDataset(nameOrPath);
  if (!known) {
    if (!(await exists(nameOrPath))) {
      throw new LitmusError(
        "BAD_INPUT",
        `no dataset "${nameOrPath}": give a file or a folder of task files, or one of ${KNOWN_DATASETS.map((dataset) => dataset.name).join(", ")}`,
      );
    }
    const isFolder = (await stat(nameOrPath)).isDirectory();
    return { path: nameOrPath, sha256: isFolder ? "" : await sha256OfFile(nameOrPath), known: null };
  }
  const datasetsDir = options.datasetsDir ?? process.env.LITMUS_DATASETS_DIR;
  const cacheDir = options.cacheDir ?? datasetCacheDir();
  const candidates = [
    ...(datasetsDir ? [join(datasetsDir, known.file), join(datasetsDir, basename(known.file))] : []),
    join(cacheDir, basename(known.file)),
  ];
  for (const path of candidates) {
    if (await exists(path)) return { path, sha256: await verified(path, known), known };
  }
  if (options.download === false) {
    throw new LitmusError(
      "BAD_INPUT",
      `the ${known.name} dataset is not in ${candidates.join(" or ")}; set --datasets-dir (or LITMUS_DATASETS_DIR) to a folder holding ${known.file}, or allow the download from ${known.url}`,
    );
  }
  const target = join(cacheDir, basename(known.file));
  const url = options.sourceUrl?.(known) ?? known.url;
  options.onProgress?.(`downloading ${known.name} from ${url}`);
  try {
    await downloadFile(url, target, { ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `the ${known.name} dataset is in none of ${candidates.join(", ")} and could not be downloaded from ${url} (${(error as Error).message}); put ${basename(known.file)} in one of those places or set --datasets-dir`,
      { cause: error },
    );
  }
  try {
    return { path: target, sha256: await verified(target, known), known };
  } catch (error) {
    await rm(target, { force: true }); // never leave a wrong file where the next run would find it
    throw error;
  }
}

/** The file's sha256, which must be the known dataset's. */
async function verified(path: string, known: KnownDataset): Promise<string> {
  const sha256 = await sha256OfFile(path);
  if (sha256 !== known.sha256) {
    throw new LitmusError(
      "BAD_INPUT",
      `${path} is not the published ${known.name} dataset: its sha256 is ${sha256}, expected ${known.sha256} (a different version or a damaged file; to use it anyway, pass its path instead of the name)`,
    );
  }
  return sha256;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
