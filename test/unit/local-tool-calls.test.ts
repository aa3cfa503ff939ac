import { describe, expect, it } from "vitest";
import { chatHistoryOf, functionsOf, toolCallsInText } from "../../src/models/local/tool-calls.ts";

const runCode = {
  type: "function" as const,
  name: "runCode",
  description: "Run code",
  inputSchema: {
    type: "object" as const,
    properties: {
      code: { type: "string" as const, description: "the code" },
      language: { type: "string" as const, enum: ["python", "bash"] },
      limits: { anyOf: [{ type: "number" as const }, { type: "null" as const }] },
    },
    required: ["code", "limits"],
    additionalProperties: false,
    $schema: "http://json-schema.org/draft-07/schema#",
  },
};

describe("AI SDK tools for the local model's grammar", () => {
  it("keeps the required properties (its grammar writes every property it is given), types and descriptions", () => {
    expect(functionsOf({ prompt: [], tools: [runCode] })).toEqual({
      runCode: {
        description: "Run code",
        params: {
          type: "object",
          properties: {
            code: { type: "string", description: "the code" },
            limits: { oneOf: [{ type: "number" }, { type: "null" }] },
          },
        },
      },
    });
  });

  it("honours toolChoice: none gives no functions, a named tool only that one", () => {
    const other = { ...runCode, name: "readFile" };
    expect(functionsOf({ prompt: [], tools: [runCode, other], toolChoice: { type: "none" } })).toBeUndefined();
    expect(
      Object.keys(
        functionsOf({ prompt: [], tools: [runCode, other], toolChoice: { type: "tool", toolName: "readFile" } }) ?? {},
      ),
    ).toEqual(["readFile"]);
  });

  it("refuses a schema its grammar cannot express, naming the tool", () => {
    const bad = { ...runCode, inputSchema: { type: "object" as const, properties: { x: {} }, required: ["x"] } };
    expect(() => functionsOf({ prompt: [], tools: [bad] })).toThrow(/the input of tool runCode has a JSON schema/);
  });

  it("puts each earlier call back into the model's answer with the result its tool gave", () => {
    const history = chatHistoryOf([
      { role: "system", content: "be brief" },
      { role: "user", content: [{ type: "text", text: "what is 2 ** 10?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me run it." },
          { type: "tool-call", toolCallId: "c1", toolName: "runCode", input: { code: "2 ** 10" } },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c1",
            toolName: "runCode",
            output: { type: "json", value: { result: "1024" } },
          },
        ],
      },
    ]);
    expect(history).toEqual([
      { type: "system", text: "be brief" },
      { type: "user", text: "what is 2 ** 10?" },
      {
        type: "model",
        response: [
          "Let me run it.",
          { type: "functionCall", name: "runCode", params: { code: "2 ** 10" }, result: { result: "1024" } },
        ],
      },
    ]);
  });
});

describe("a tool call the model wrote as plain JSON", () => {
  const functions = { runCode: { description: "Run code" } };

  it.each([
    ['{"name": "runCode", "arguments": {"code": "2 ** 100"}}'],
    ['```json\n{\n  "name": "runCode",\n  "arguments": {"code": "2 ** 100"}\n}\n```'],
    ['  {"name": "runCode", "arguments": {"code": "2 ** 100"}}\n'],
  ])("is a call when the whole answer is one: %j", (text) => {
    expect(toolCallsInText(text, functions)).toEqual([{ name: "runCode", params: { code: "2 ** 100" } }]);
  });

  it.each([
    ['Here is the call: {"name": "runCode", "arguments": {"code": "1"}}'],
    ['{"name": "deleteEverything", "arguments": {}}'],
    ['{"name": "runCode", "arguments": {"code": "1"}, "then": "more"}'],
    ['{"name": "runCode", "arguments": "print(1)"}'],
    ['[{"name": "runCode", "arguments": {"code": "1"}}]'],
    ['{"name": "runCode", "arguments": {"code": "1"}}\n{"name": "runCode", "arguments": {"code": "2"}}'],
    ["def f():\n    return 1"],
  ])("is an ordinary answer otherwise: %j", (text) => {
    expect(toolCallsInText(text, functions)).toEqual([]);
  });
});
