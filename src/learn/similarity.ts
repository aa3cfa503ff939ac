import { localEmbedder } from "../models/index.ts";
import { lexicalSimilarity } from "./text.ts";

/** How alike two bullets' texts are (0 to 1), and from what score on they count as the same lesson. */
export interface Similarity {
  readonly name: string;
  readonly duplicateAt: number;
  score(left: string, right: string): Promise<number>;
}

/**
 * Word-set cosine, the default. Measured (`node bench/dedup-similarity.ts`): different lessons of the rules
 * score at most 0.354 and paraphrases 0 to 0.772, so at 0.4 no two different lessons merge and 6 of 10
 * paraphrases are caught.
 */
export const lexical: Similarity = {
  name: "lexical",
  duplicateAt: 0.4,
  score: async (left, right) => lexicalSimilarity(left, right),
};

/** Cosine similarity of embedding vectors from `embed`, cached per text; duplicates from `duplicateAt` on. */
export function embeddingSimilarity(
  name: string,
  embed: (text: string) => Promise<readonly number[]>,
  duplicateAt: number,
): Similarity {
  const vectors = new Map<string, Promise<readonly number[]>>();
  const vectorOf = (text: string) => {
    let vector = vectors.get(text);
    if (!vector) {
      vector = embed(text);
      vectors.set(text, vector);
    }
    return vector;
  };
  return {
    name,
    duplicateAt,
    async score(left, right) {
      const [a, b] = await Promise.all([vectorOf(left), vectorOf(right)]);
      let dot = 0;
      let normA = 0;
      let normB = 0;
      for (let index = 0; index < Math.min(a.length, b.length); index++) {
        const x = a[index] ?? 0;
        const y = b[index] ?? 0;
        dot += x * y;
        normA += x * x;
        normB += y * y;
      }
      return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
    },
  };
}

/**
 * The embeddings of a local GGUF model (`--embeddings local:PATH.gguf`, an embedding model at best). The
 * embedded generators are not embedding models: on the bench above Gemma 3 270M scores different lessons
 * up to 0.945 and paraphrases from 0.858, so it separates them worse than words do, and is not the default.
 */
export function localEmbeddings(path: string, duplicateAt = 0.945): Similarity {
  return embeddingSimilarity(`embeddings of ${path}`, localEmbedder(path), duplicateAt);
}
