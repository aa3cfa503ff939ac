import { type Attributes, type Histogram, type MeterProvider, metrics, type Span, SpanKind } from "@opentelemetry/api";
import { VERSION } from "../version.ts";
import { recordsContent } from "./content.ts";
import { ERROR_TYPE, GEN_AI, GEN_AI_METRICS } from "./genai.ts";
import { inSpan } from "./spans.ts";

/** What a model call span needs to know before the call. */
export interface ModelCallDescription {
  /** "chat" for chat models, "text_completion" for base models continuing a text. */
  operation: "chat" | "text_completion";
  provider: string;
  model: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  system?: string;
  prompt: string;
}

/** What the call produced, for the span and the metrics. */
export interface ModelCallOutcome {
  text: string;
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
  cached: boolean;
}

/**
 * Runs a model call in a span named like the GenAI conventions ("chat gpt-4o-mini"), with the request's and
 * the response's attributes, and records the GenAI client metrics (token usage, operation duration). Prompts
 * and answers are recorded only when the user opted in; keys and other secrets never are.
 */
export async function traceModelCall<T>(
  call: ModelCallDescription,
  work: () => Promise<T>,
  outcomeOf: (result: T) => ModelCallOutcome,
): Promise<T> {
  const common: Attributes = {
    [GEN_AI.operationName]: call.operation,
    [GEN_AI.providerName]: call.provider,
    [GEN_AI.requestModel]: call.model,
  };
  const started = performance.now();
  const { tokens, duration } = instruments();
  return inSpan(
    `${call.operation} ${call.model}`,
    {
      ...common,
      ...(call.maxTokens === undefined ? {} : { [GEN_AI.requestMaxTokens]: call.maxTokens }),
      ...(call.temperature === undefined ? {} : { [GEN_AI.requestTemperature]: call.temperature }),
      ...(call.seed === undefined ? {} : { [GEN_AI.requestSeed]: call.seed }),
      ...contentAttributes(call),
    },
    async (span) => {
      try {
        const result = await work();
        const outcome = outcomeOf(result);
        recordOutcome(span, outcome);
        tokens.record(outcome.inputTokens, { ...common, [GEN_AI.tokenType]: "input" });
        tokens.record(outcome.outputTokens, { ...common, [GEN_AI.tokenType]: "output" });
        duration.record((performance.now() - started) / 1000, common);
        return result;
      } catch (error) {
        duration.record((performance.now() - started) / 1000, {
          ...common,
          [ERROR_TYPE]: error instanceof Error ? error.name : "Error",
        });
        throw error;
      }
    },
    SpanKind.CLIENT,
  );
}

let created: { provider: MeterProvider; tokens: Histogram; duration: Histogram } | undefined;

/**
 * The GenAI histograms, made once per meter provider rather than per call. The provider is checked each time:
 * the metrics API has no proxy, so instruments made before telemetry started would record nowhere.
 */
function instruments(): { tokens: Histogram; duration: Histogram } {
  const provider = metrics.getMeterProvider();
  if (created?.provider !== provider) {
    const meter = provider.getMeter("litmus", VERSION);
    created = {
      provider,
      tokens: meter.createHistogram(GEN_AI_METRICS.tokenUsage, {
        unit: "{token}",
        description: "Number of input and output tokens used",
      }),
      duration: meter.createHistogram(GEN_AI_METRICS.operationDuration, {
        unit: "s",
        description: "Duration of GenAI operations",
      }),
    };
  }
  return created;
}

function recordOutcome(span: Span, outcome: ModelCallOutcome): void {
  span.setAttributes({
    [GEN_AI.usageInputTokens]: outcome.inputTokens,
    [GEN_AI.usageOutputTokens]: outcome.outputTokens,
    [GEN_AI.responseFinishReasons]: [outcome.finishReason],
    "litmus.cache.hit": outcome.cached,
  });
  if (recordsContent()) {
    span.setAttribute(
      GEN_AI.outputMessages,
      JSON.stringify([
        { role: "assistant", parts: [{ type: "text", content: outcome.text }], finish_reason: outcome.finishReason },
      ]),
    );
  }
}

function contentAttributes(call: ModelCallDescription): Attributes {
  if (!recordsContent()) return {};
  return {
    [GEN_AI.inputMessages]: JSON.stringify([{ role: "user", parts: [{ type: "text", content: call.prompt }] }]),
    ...(call.system ? { [GEN_AI.systemInstructions]: JSON.stringify([{ type: "text", content: call.system }]) } : {}),
  };
}
