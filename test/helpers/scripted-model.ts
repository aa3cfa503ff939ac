import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamResult,
} from "@ai-sdk/provider";
import type { TextModel } from "../../src/models/index.ts";

/** A language model that answers from a script and records every call: an honest fake of the real interface. */
export class ScriptedModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "scripted";
  readonly modelId = "scripted";
  readonly supportedUrls = {};
  readonly calls: LanguageModelV4CallOptions[] = [];
  private readonly answers: (string | Error)[];

  constructor(answers: (string | Error)[]) {
    this.answers = answers;
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    this.calls.push(options);
    const text = this.answers.shift() ?? "";
    if (text instanceof Error) throw text;
    return {
      content: [{ type: "text", text }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    };
  }

  doStream(): Promise<LanguageModelV4StreamResult> {
    throw new Error("the scripted model does not stream");
  }
}

export function scripted(
  answers: (string | Error)[],
  promptStyle: "chat" | "completion" = "chat",
): { model: TextModel; fake: ScriptedModel } {
  const fake = new ScriptedModel(answers);
  return {
    fake,
    model: {
      spec: "scripted:test",
      languageModel: fake,
      promptStyle,
      price: { inputPerMillion: 1, outputPerMillion: 2 },
      parallel: null,
      prefill: false,
      cacheIdentity: "scripted",
    },
  };
}

export function userText(call: LanguageModelV4CallOptions | undefined): string {
  const user = call?.prompt.find((message) => message.role === "user");
  return user && Array.isArray(user.content)
    ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("")
    : "";
}
