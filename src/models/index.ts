export { DEFAULT_MODEL } from "./default-model.ts";
export { type GgufHeader, readGgufHeader } from "./gguf-file.ts";
export { modelCacheDir } from "./model-cache.ts";
export { assembleParts, defaultModelPath, type PullOptions, pullDefaultModel } from "./pull-default-model.ts";
export { resolveLocalModel } from "./resolve-local-model.ts";
export { MODEL_SPEC_FORMS, type ModelSpec, parseModelSpec } from "./spec.ts";
