import { LitmusError } from "../../errors.ts";

/** How a model wants to be prompted: a base model continues text, an instruction-tuned one answers a chat. */
export type PromptStyle = "completion" | "chat";

/** What a GGUF file's metadata says about the model inside. */
export interface GgufModelInfo {
  name: string | null;
  architecture: string;
  sizeLabel: string | null;
  contextLength: number | null;
  /** Instruction-tuned models carry a chat template; base models do not. */
  hasChatTemplate: boolean;
  promptStyle: PromptStyle;
}

/** Reads the metadata of a GGUF file (not its tensors: this is fast). */
export async function readGgufModelInfo(path: string): Promise<GgufModelInfo> {
  let metadata: Record<string, unknown>;
  try {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    metadata = (await readGgufFileInfo(path, { readTensorInfo: false })).metadata as Record<string, unknown>;
  } catch (error) {
    throw new LitmusError("MODEL_UNAVAILABLE", `cannot read the GGUF metadata of ${path}: ${String(error)}`, {
      cause: error,
    });
  }
  const general = (metadata.general ?? {}) as Record<string, unknown>;
  const architecture = String(general.architecture ?? "unknown");
  const tokenizer = (metadata.tokenizer ?? {}) as Record<string, unknown>;
  const hasChatTemplate = typeof tokenizer.chat_template === "string" && tokenizer.chat_template.length > 0;
  const architectureKeys = (metadata[architecture] ?? {}) as Record<string, unknown>;
  return {
    name: typeof general.name === "string" ? general.name : null,
    architecture,
    sizeLabel: typeof general.size_label === "string" ? general.size_label : null,
    contextLength: typeof architectureKeys.context_length === "number" ? architectureKeys.context_length : null,
    hasChatTemplate,
    promptStyle: hasChatTemplate ? "chat" : "completion",
  };
}
