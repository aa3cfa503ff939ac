import { LitmusError } from "../errors.ts";
import { traceModelCall } from "../telemetry/index.ts";
import { modelCallError } from "./model-errors.ts";
import type { TextModel } from "./open-model.ts";
import { costOf } from "./prices.ts";
import { ResponseCache } from "./response-cache.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";

/** One request to a model. */
export interface GenerateRequest {
  /** Instructions for a chat model; a completion model sees them ahead of the prompt. */
  system?: string;
  prompt: string;
  /**
   * The start of the answer, written for the model, which continues it (a chat model's prefill, such as an
   * opened code fence). The returned text is what the model added. Only for models with `prefill`.
   */
  responsePrefix?: string;
  /** Default 512. */
  maxOutputTokens?: number;
  /** Default 0 (greedy). */
  temperature?: number;
  stopSequences?: string[];
  seed?: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Per call, retries included. Default 120 s. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Answers are read from and written to this cache when given. */
  cache?: ResponseCache;
  /** Receives the text as it is generated. */
  onTextDelta?: (delta: string) => void;
  onRetry?: (error: unknown, delayMs: number) => void;
}

export type FinishReason = "stop" | "length" | "content-filter" | "tool-calls" | "error" | "interrupted" | "other";

/** What a model call produced and what it cost. */
export interface Generation {
  text: string;
  finishReason: FinishReason;
  usage: { inputTokens: number; outputTokens: number };
  /** USD; 0 for local models and cache hits; `null` when the model's price is unknown. */
  costUsd: number | null;
  timing: {
    durationMs: number;
    /** Time to the first text, when streamed. */
    firstTokenMs: number | null;
    outputTokensPerSecond: number | null;
  };
  cached: boolean;
  retries: number;
}

/**
 * Generates text with retries (rate limits, 5xx), a timeout, and the response cache when one is given; traced
 * as a GenAI client span when telemetry is on.
 */
export function generate(
  model: TextModel,
  request: GenerateRequest,
  options: GenerateOptions = {},
): Promise<Generation> {
  return traceModelCall(
    {
      operation: model.promptStyle === "chat" ? "chat" : "text_completion",
      provider: providerOf(model.spec),
      model: model.languageModel.modelId,
      maxTokens: request.maxOutputTokens ?? 512,
      temperature: request.temperature ?? 0,
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.system === undefined ? {} : { system: request.system }),
      prompt: request.prompt,
    },
    () => generateOnce(model, request, options),
    (generation) => ({
      text: generation.text,
      finishReason: generation.finishReason,
      inputTokens: generation.usage.inputTokens,
      outputTokens: generation.usage.outputTokens,
      cached: generation.cached,
    }),
  );
}

/** The provider as the GenAI conventions name it: the spec's prefix, the local runtime as llama.cpp. */
function providerOf(spec: string): string {
  const prefix = spec.split(":", 1)[0] ?? spec;
  return prefix === "local" ? "llama.cpp" : prefix;
}

async function generateOnce(model: TextModel, request: GenerateRequest, options: GenerateOptions): Promise<Generation> {
  const started = performance.now();
  const settings = {
    maxOutputTokens: request.maxOutputTokens ?? 512,
    temperature: request.temperature ?? 0,
    ...(request.stopSequences?.length ? { stopSequences: request.stopSequences } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  };
  const key = options.cache
    ? ResponseCache.keyOf({
        model: model.cacheIdentity,
        system: request.system ?? null,
        prompt: request.prompt,
        ...(request.responsePrefix ? { responsePrefix: request.responsePrefix } : {}),
        ...settings,
      })
    : "";
  const hit = options.cache ? await options.cache.get(key) : null;
  if (hit) {
    if (hit.text) options.onTextDelta?.(hit.text);
    return {
      text: hit.text,
      finishReason: hit.finishReason as FinishReason,
      usage: hit.usage,
      costUsd: model.price === null ? null : 0,
      timing: { durationMs: performance.now() - started, firstTokenMs: null, outputTokensPerSecond: null },
      cached: true,
      retries: 0,
    };
  }

  const timeoutMs = options.timeoutMs ?? 120_000;
  const signal = options.signal
    ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  let firstTokenMs: number | null = null;
  let retries = 0;
  if (request.responsePrefix && !model.prefill) {
    throw new LitmusError("INTERNAL", `${model.spec} cannot continue a written start of its answer`);
  }
  const call = {
    model: model.languageModel,
    ...(request.responsePrefix
      ? {
          messages: [
            { role: "user" as const, content: request.prompt },
            { role: "assistant" as const, content: request.responsePrefix },
          ],
        }
      : { prompt: request.prompt }),
    ...(request.system === undefined ? {} : { system: request.system }),
    ...settings,
    maxRetries: 0, // retried below, with jitter and the server's retry-after
    abortSignal: signal,
  };
  // Imported on first use: the AI SDK takes ~200 ms to load, which commands without a model never pay.
  const { generateText, streamText } = await import("ai");
  let result: {
    text: string;
    finishReason: FinishReason;
    usage: { inputTokens: number | undefined; outputTokens: number | undefined };
  };
  try {
    ({ value: result } = await withRetry(
      async () => {
        if (!options.onTextDelta) return generateText(call);
        const onTextDelta = options.onTextDelta;
        let streamError: unknown;
        const stream = streamText({
          ...call,
          onError: ({ error }) => {
            streamError = error;
          },
        });
        for await (const delta of stream.textStream) {
          firstTokenMs ??= performance.now() - started;
          onTextDelta(delta);
        }
        if (streamError !== undefined) throw streamError;
        return { text: await stream.text, finishReason: await stream.finishReason, usage: await stream.usage };
      },
      {
        ...options.retry,
        signal,
        onRetry: (error, delayMs) => {
          retries++;
          options.onRetry?.(error, delayMs);
        },
      },
    ));
  } catch (error) {
    if (options.signal?.aborted)
      throw new LitmusError("ABORTED", `the call to ${model.spec} was aborted`, { cause: error });
    if (signal.aborted) {
      throw new LitmusError(
        "ABORTED",
        `${model.spec} did not answer within ${timeoutMs / 1000} s (raise it with --model-timeout)`,
        {
          cause: error,
        },
      );
    }
    throw modelCallError(error, { spec: model.spec, retries });
  }
  const durationMs = performance.now() - started;
  const usage = { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 };
  const generation: Generation = {
    text: result.text,
    finishReason: result.finishReason,
    usage,
    costUsd: costOf(model.price, usage),
    timing: {
      durationMs,
      firstTokenMs,
      outputTokensPerSecond: usage.outputTokens > 0 ? usage.outputTokens / (durationMs / 1000) : null,
    },
    cached: false,
    retries,
  };
  // The cache is a convenience: failing to write it (a full disk) must not throw away an answer paid for.
  if (options.cache)
    await options.cache.set(key, { text: result.text, finishReason: result.finishReason, usage }).catch(() => {});
  return generation;
}
