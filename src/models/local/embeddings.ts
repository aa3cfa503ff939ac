import type { LlamaEmbeddingContext } from "node-llama-cpp";
import { type LocalRuntimeOptions, loadModel } from "./llama-runtime.ts";

/** Texts longer than this are cut: bullets are a sentence or a short snippet. */
const EMBEDDING_CONTEXT_TOKENS = 512;

/**
 * Embeddings from a local GGUF model (its pooled hidden states), for comparing short texts such as playbook
 * bullets. The model is the one generation loads (once per process); embeddings run one at a time with it.
 */
export function localEmbedder(
  path: string,
  options: LocalRuntimeOptions = {},
): (text: string) => Promise<readonly number[]> {
  let context: Promise<LlamaEmbeddingContext> | undefined;
  return async (text) => {
    const loaded = await loadModel(path, options);
    context ??= loaded.model.createEmbeddingContext({ contextSize: EMBEDDING_CONTEXT_TOKENS });
    const embeddings = await context;
    return loaded.exclusive(
      async () => (await embeddings.getEmbeddingFor(text.slice(0, EMBEDDING_CONTEXT_TOKENS * 3))).vector,
    );
  };
}
