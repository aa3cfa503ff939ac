import type {
  JSONSchema7Definition,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from "@ai-sdk/provider";
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, GbnfJsonSchema } from "node-llama-cpp";
import { LitmusError } from "../../errors.ts";

/**
 * The AI SDK's function tools as node-llama-cpp functions, which the chat template shows the model and a
 * grammar holds its calls to. `undefined` when the call has none (or the caller said not to use them).
 */
export function functionsOf(options: LanguageModelV4CallOptions): ChatModelFunctions | undefined {
  if (!options.tools?.length || options.toolChoice?.type === "none") return undefined;
  const chosen = options.toolChoice?.type === "tool" ? options.toolChoice.toolName : undefined;
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const tool of options.tools) {
    if (tool.type !== "function" || (chosen !== undefined && tool.name !== chosen)) continue;
    functions[tool.name] = {
      ...(tool.description ? { description: tool.description } : {}),
      params: grammarSchemaOf(tool.inputSchema, `the input of tool ${tool.name}`),
    };
  }
  return Object.keys(functions).length > 0 ? functions : undefined;
}

/**
 * A JSON schema in the subset node-llama-cpp's grammar supports. Its objects always produce every property, so
 * only the required ones are kept: the model leaves the optional ones out, as a caller may.
 */
function grammarSchemaOf(schema: JSONSchema7Definition, where: string): GbnfJsonSchema {
  if (typeof schema === "boolean") return { type: ["string", "number", "boolean", "null"] };
  const described = schema.description ? { description: schema.description } : {};
  if (schema.const !== undefined) return { const: schema.const as string | number | boolean | null, ...described };
  if (schema.enum) return { enum: schema.enum as (string | number | boolean | null)[], ...described };
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives)
    return {
      oneOf: alternatives.map((alternative: JSONSchema7Definition) => grammarSchemaOf(alternative, where)),
      ...described,
    };
  switch (schema.type) {
    case "object": {
      const required = new Set(schema.required ?? []);
      const properties = Object.entries(schema.properties ?? {}).filter(([name]) => required.has(name));
      return {
        type: "object",
        properties: Object.fromEntries(properties.map(([name, value]) => [name, grammarSchemaOf(value, where)])),
        ...described,
      };
    }
    case "array":
      return {
        type: "array",
        ...(schema.items && !Array.isArray(schema.items) ? { items: grammarSchemaOf(schema.items, where) } : {}),
        ...described,
      };
    case "string":
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type: schema.type, ...described };
    default:
      throw new LitmusError(
        "BAD_INPUT",
        `${where} has a JSON schema the local model's grammar cannot express (${JSON.stringify(schema).slice(0, 200)}): give it a type, enum, const or anyOf`,
      );
  }
}

/**
 * The conversation as node-llama-cpp's chat history. A tool call the model made earlier goes back into its
 * answer with the result the tool gave, the way its chat template renders a finished call.
 */
export function chatHistoryOf(prompt: LanguageModelV4Prompt): ChatHistoryItem[] {
  const results = new Map<string, unknown>();
  for (const message of prompt) {
    if (message.role !== "tool") continue;
    for (const part of message.content)
      if (part.type === "tool-result") results.set(part.toolCallId, resultOf(part.output));
  }
  const history: ChatHistoryItem[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case "system":
        history.push({ type: "system", text: message.content });
        break;
      case "user":
        history.push({
          type: "user",
          text: message.content.map((part) => (part.type === "text" ? part.text : "")).join(""),
        });
        break;
      case "assistant":
        history.push({
          type: "model",
          response: message.content.flatMap((part): Array<string | ChatModelFunctionCall> => {
            if (part.type === "text") return [part.text];
            if (part.type !== "tool-call") return [];
            return [
              {
                type: "functionCall",
                name: part.toolName,
                params: typeof part.input === "string" ? parseJson(part.input) : part.input,
                result: results.get(part.toolCallId) ?? null,
              },
            ];
          }),
        });
        break;
      case "tool":
        break; // its results are in the calls above
      default:
        message satisfies never;
        throw new LitmusError("INTERNAL", "unknown message role");
    }
  }
  return history;
}

/**
 * Tool calls a model wrote as plain text: an answer that is exactly one JSON object `{"name", "arguments"}`
 * (in a code fence or not) naming one of the functions. Qwen2.5-Coder's chat template asks for calls between
 * its `<tool_call>` tokens, where node-llama-cpp finds them; the 0.5B and 1.5B models write the same JSON
 * without those tokens. Anything else is an ordinary answer.
 */
export function toolCallsInText(text: string, functions: ChatModelFunctions): { name: string; params: unknown }[] {
  const body = /^\s*(?:```(?:json)?\s*\n)?([\s\S]*?)\n?(?:```)?\s*$/.exec(text)?.[1] ?? "";
  const call = parseJson(body);
  if (typeof call !== "object" || call === null || Array.isArray(call)) return [];
  const { name, arguments: params, ...rest } = call as Record<string, unknown>;
  if (typeof name !== "string" || !(name in functions) || Object.keys(rest).length > 0) return [];
  if (typeof params !== "object" || params === null || Array.isArray(params)) return [];
  return [{ name, params }];
}

/** A tool's output as the model reads it back: text as text, JSON as a value. */
function resultOf(output: LanguageModelV4ToolResultOutput): unknown {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return output.value;
    case "execution-denied":
      return `the tool call was denied${output.reason ? `: ${output.reason}` : ""}`;
    case "content":
      return output.value.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("\n");
    default:
      return null;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
