import type { LlamaEmbeddingContext } from "node-llama-cpp";
import { Semaphore } from "../../concurrency.ts";
import { type LocalRuntimeOptions, loadModel } from "./llama-runtime.ts";

/** Texts longer than this are cut: bullets are a sentence or a short snippet. */
const EMBEDDING_CONTEXT_TOKENS = 512;

/**
 * Embeddings from a local GGUF model (its pooled hidden states), for comparing short texts such as playbook
 * bullets. The model is the one generation loads (once per process), in an embedding context of its own.
 */
export function localEmbedder(
  path: string,
  options: LocalRuntimeOptions = {},
): (text: string) => Promise<readonly number[]> {
  let context: Promise<LlamaEmbeddingContext> | undefined;
  // The embedding context has one sequence: one text at a time.
  const one = new Semaphore(1);
  return async (text) => {
    const loaded = await loadModel(path, options);
    context ??= loaded.model.createEmbeddingContext({ contextSize: EMBEDDING_CONTEXT_TOKENS });
    const embeddings = await context;
    return one.run(async () => (await embeddings.getEmbeddingFor(text.slice(0, EMBEDDING_CONTEXT_TOKENS * 3))).vector);
  };
}
