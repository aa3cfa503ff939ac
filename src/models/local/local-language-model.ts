import { randomUUID } from "node:crypto";
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { LlamaChat, LlamaCompletion } from "node-llama-cpp";
import { LitmusError } from "../../errors.ts";
import type { PromptStyle } from "./gguf-metadata.ts";
import type { LoadedModel } from "./llama-runtime.ts";
import { LineGate, RepetitionGuard } from "./repetition-guard.ts";
import { chatHistoryOf, functionsOf, toolCallsInText } from "./tool-calls.ts";

const DEFAULT_MAX_OUTPUT_TOKENS = 256;
/** Fewer tokens left for the answer than this and the prompt is refused as too long. */
const MIN_OUTPUT_TOKENS = 32;
/** Room kept for what a chat template adds around the messages. */
const CHAT_TEMPLATE_ALLOWANCE = 64;

interface Generated {
  text: string;
  stopReason: string;
  /** Tools the model called (a chat model given tools). */
  toolCalls?: { name: string; params: unknown }[];
  inputTokens: number;
  outputTokens: number;
}

/**
 * An AI SDK language model over a GGUF file run by node-llama-cpp on the CPU. A base model (no chat template)
 * continues the prompt's text as it is; an instruction-tuned one gets it through its own chat template.
 */
export class LocalLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "local";
  readonly supportedUrls = {};
  readonly modelId: string;
  readonly promptStyle: PromptStyle;
  private readonly loaded: LoadedModel;

  constructor(options: { modelId: string; promptStyle: PromptStyle; loaded: LoadedModel }) {
    this.modelId = options.modelId;
    this.promptStyle = options.promptStyle;
    this.loaded = options.loaded;
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const generated = await this.generate(options, () => {});
    return {
      content: [
        ...(generated.text ? [{ type: "text" as const, text: generated.text }] : []),
        ...toolCallParts(generated),
      ],
      finishReason: finishReasonOf(generated.stopReason),
      usage: usageOf(generated),
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      start: async (controller) => {
        controller.enqueue({ type: "stream-start", warnings: [] });
        controller.enqueue({ type: "text-start", id: "0" });
        try {
          const gate = new LineGate();
          const emit = (delta: string): void => {
            if (delta) controller.enqueue({ type: "text-delta", id: "0", delta });
          };
          const generated = await this.generate(options, (text) => emit(gate.push(text)));
          emit(gate.finish(generated.text));
          controller.enqueue({ type: "text-end", id: "0" });
          for (const call of toolCallParts(generated)) controller.enqueue(call);
          controller.enqueue({
            type: "finish",
            finishReason: finishReasonOf(generated.stopReason),
            usage: usageOf(generated),
          });
        } catch (error) {
          controller.enqueue({ type: "error", error });
        }
        controller.close();
      },
    });
    return { stream };
  }

  private generate(options: LanguageModelV4CallOptions, onText: (delta: string) => void): Promise<Generated> {
    return this.loaded.withSequence(async (sequence) => {
      options.abortSignal?.throwIfAborted();
      const text = completionTextOf(options.prompt);
      // The messages' own tokens: for a chat model, the few tokens its template adds are not counted.
      const inputTokens = this.loaded.model.tokenize(text).length;
      const room = this.loaded.context.contextSize - inputTokens - CHAT_TEMPLATE_ALLOWANCE;
      if (room < MIN_OUTPUT_TOKENS) {
        // node-llama-cpp would silently drop the start of the prompt: say so instead.
        throw new LitmusError(
          "PROMPT_TOO_LONG",
          `the prompt (${inputTokens} tokens) does not fit the local model's context of ${this.loaded.context.contextSize} tokens: shorten the task or its visible tests`,
        );
      }
      let outputTokens = 0;
      const guard = new RepetitionGuard();
      const degenerate = new AbortController();
      const signals = [degenerate.signal, ...(options.abortSignal ? [options.abortSignal] : [])];
      const settings = {
        maxTokens: Math.min(options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, room),
        temperature: options.temperature ?? 0,
        ...(options.topP === undefined ? {} : { topP: options.topP }),
        ...(options.topK === undefined ? {} : { topK: options.topK }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.stopSequences?.length ? { customStopTriggers: options.stopSequences } : {}),
        signal: AbortSignal.any(signals),
        stopOnAbortSignal: true,
        onTextChunk: (text: string) => {
          if (degenerate.signal.aborted) return;
          onText(text);
          if (guard.push(text)) degenerate.abort();
        },
        onToken: (tokens: readonly unknown[]) => {
          outputTokens += tokens.length;
        },
      };
      try {
        if (this.promptStyle === "completion") {
          const completion = new LlamaCompletion({ contextSequence: sequence });
          const { response, metadata } = await completion.generateCompletionWithMeta(text, settings);
          options.abortSignal?.throwIfAborted();
          return {
            ...outcomeOf(response, metadata.stopReason, degenerate.signal.aborted),
            inputTokens,
            outputTokens,
          };
        }
        const history = chatHistoryOf(options.prompt);
        const chat = new LlamaChat({ contextSequence: sequence });
        const functions = functionsOf(options);
        const { response, functionCalls, metadata } = await chat.generateResponse(history, {
          ...settings,
          ...(functions ? { functions, documentFunctionParams: true } : {}),
        });
        options.abortSignal?.throwIfAborted();
        const outcome = outcomeOf(response, metadata.stopReason, degenerate.signal.aborted);
        const toolCalls = functionCalls?.length
          ? functionCalls.map((call) => ({ name: call.functionName, params: call.params }))
          : functions
            ? toolCallsInText(outcome.text, functions)
            : [];
        return toolCalls.length > 0
          ? { text: "", stopReason: "functionCalls", toolCalls, inputTokens, outputTokens }
          : { ...outcome, inputTokens, outputTokens };
      } catch (error) {
        if (options.abortSignal?.aborted) {
          throw new LitmusError("ABORTED", "the local model's generation was aborted", { cause: error });
        }
        throw error;
      }
    }, options.abortSignal);
  }
}

/** The answer, cut back to before the loop when the repetition guard stopped it. */
function outcomeOf(response: string, stopReason: string, degenerated: boolean): { text: string; stopReason: string } {
  return degenerated
    ? { text: RepetitionGuard.trim(response), stopReason: "repetition" }
    : { text: response, stopReason };
}

/** A base model sees the conversation as one text to continue: system, then each message, as written. */
function completionTextOf(prompt: LanguageModelV4Prompt): string {
  return prompt.map(textOf).join("\n");
}

/** The text of a message; files and tool parts have none a text model can read. */
function textOf(message: LanguageModelV4Prompt[number]): string {
  return typeof message.content === "string"
    ? message.content
    : message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** The model's tool calls as the AI SDK's tool-call parts, each with an id of its own. */
function toolCallParts(generated: Generated) {
  return (generated.toolCalls ?? []).map((call) => ({
    type: "tool-call" as const,
    toolCallId: `call-${randomUUID()}`,
    toolName: call.name,
    input: JSON.stringify(call.params ?? {}),
  }));
}

function finishReasonOf(stopReason: string): LanguageModelV4FinishReason {
  switch (stopReason) {
    case "functionCalls":
      return { unified: "tool-calls", raw: stopReason };
    case "maxTokens":
      return { unified: "length", raw: stopReason };
    case "abort":
      return { unified: "interrupted", raw: stopReason };
    case "repetition":
      return { unified: "other", raw: stopReason };
    default:
      return { unified: "stop", raw: stopReason };
  }
}

function usageOf(generated: Generated): LanguageModelV4Usage {
  return {
    inputTokens: { total: generated.inputTokens, noCache: generated.inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: generated.outputTokens, text: generated.outputTokens, reasoning: 0 },
  };
}
