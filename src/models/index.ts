export { modelCacheDir, responseCacheDir } from "../cache-dirs.ts";
export { API_KEY_VARIABLES } from "./api-keys.ts";
export {
  DEFAULT_MODEL_NAME,
  EMBEDDED_MODELS,
  type EmbeddedModel,
  embeddedModel,
  type ModelPart,
} from "./embedded-models.ts";
export {
  type FinishReason,
  type GenerateOptions,
  type GenerateRequest,
  type Generation,
  generate,
} from "./generate.ts";
export { type GgufHeader, readGgufHeader } from "./gguf-file.ts";
export { localEmbedder } from "./local/embeddings.ts";
export { type GgufModelInfo, type PromptStyle, readGgufModelInfo } from "./local/gguf-metadata.ts";
export { defaultContextSettings, disposeLocalModels, type LocalRuntimeOptions } from "./local/llama-runtime.ts";
export { type OpenModelOptions, openModel, type TextModel } from "./open-model.ts";
export { costOf, DEFAULT_PRICES, loadPriceTable, type ModelPrice, type PriceTable, priceOf } from "./prices.ts";
export {
  assembleParts,
  defaultModelPath,
  embeddedModelPath,
  type PullOptions,
  type PullProgress,
  pulledModelPath,
  pullModel,
} from "./pull-model.ts";
export { resolveLocalModel } from "./resolve-local-model.ts";
export { ResponseCache } from "./response-cache.ts";
export { backoffDelayMs, type RetryPolicy } from "./retry.ts";
export { MODEL_SPEC_FORMS, type ModelSpec, parseModelSpec } from "./spec.ts";
export { verifyModelFile } from "./verify-model.ts";
