import type { LanguageModelV4GenerateResult, LanguageModelV4Prompt } from "@ai-sdk/provider";
import { generateText, isStepCount } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sandboxTools } from "../../src/ai/index.ts";
import { Sandbox } from "../../src/sandbox/index.ts";

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A scripted model: each step calls the given tools (in parallel), the last step answers in text. */
function scriptedModel(steps: Array<Array<{ tool: string; input: unknown }> | string>) {
  let step = 0;
  return new MockLanguageModelV4({
    doGenerate: async (): Promise<LanguageModelV4GenerateResult> => {
      const current = steps[step++];
      if (current === undefined) throw new Error("the script has no more steps");
      if (typeof current === "string")
        return {
          content: [{ type: "text", text: current }],
          finishReason: { unified: "stop", raw: "stop" },
          usage,
          warnings: [],
        };
      return {
        content: current.map((call, index) => ({
          type: "tool-call" as const,
          toolCallId: `call-${step}-${index}`,
          toolName: call.tool,
          input: JSON.stringify(call.input),
        })),
        finishReason: { unified: "tool-calls", raw: "tool_calls" },
        usage,
        warnings: [],
      };
    },
  });
}

/** The tool results a model was shown in its prompt, as text. */
function toolResultsSeen(prompt: LanguageModelV4Prompt): string {
  return JSON.stringify(prompt.filter((message) => message.role === "tool"));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sandboxTools with the AI SDK's tool loop", () => {
  it("runs code statefully, writes and reads files, and the model sees every result", async () => {
    const create = vi.spyOn(Sandbox, "create");
    const model = scriptedModel([
      [{ tool: "runCode", input: { code: "import math\nradius = 3" } }],
      [
        { tool: "runCode", input: { code: "round(math.pi * radius ** 2, 2)" } },
        { tool: "writeFile", input: { path: "notes/area.txt", content: "area of r=3" } },
      ],
      [
        { tool: "readFile", input: { path: "notes/area.txt" } },
        { tool: "listFiles", input: { path: "notes" } },
        { tool: "runCode", input: { code: "print(open('notes/area.txt').read()); 1 / 0" } },
      ],
      "The area is 28.27.",
    ]);
    let sandbox: Sandbox | undefined;
    {
      await using tools = sandboxTools();
      expect(create, "no sandbox before the first tool call").not.toHaveBeenCalled();
      const result = await generateText({
        model,
        tools: tools.tools,
        stopWhen: isStepCount(6),
        prompt: "What is the area of a circle of radius 3?",
      });
      sandbox = await tools.sandbox();
      expect(result.text).toBe("The area is 28.27.");
      expect(create, "one sandbox for every call, parallel ones included").toHaveBeenCalledTimes(1);

      const outputs = result.steps.flatMap((step) => step.toolResults.map((toolResult) => toolResult.output));
      expect(outputs[1]).toMatchObject({ result: "28.27", error: null });
      expect(outputs[2]).toMatchObject({ path: "/home/user/notes/area.txt", bytes: 11 });
      expect(outputs[3]).toMatchObject({ content: "area of r=3", truncated: false });
      expect(outputs[4]).toEqual({
        entries: [{ name: "area.txt", path: "/home/user/notes/area.txt", type: "file", size: 11 }],
      });
      expect(outputs[5]).toMatchObject({ stdout: "area of r=3\n", error: { name: "ZeroDivisionError" } });

      // What the model was shown: the state it built, the file, the error with its traceback.
      const seen = toolResultsSeen(model.doGenerateCalls[3]?.prompt ?? []);
      expect(seen).toContain("result: 28.27");
      expect(seen).toContain("area of r=3");
      expect(seen).toContain("ZeroDivisionError: division by zero");
      expect(sandbox.isRunning()).toBe(true);
    }
    expect(sandbox.isRunning(), "the sandbox ends with the tools").toBe(false);
  });

  it("reports a missing file to the model as a tool error, and refuses calls once closed", async () => {
    const tools = sandboxTools();
    const model = scriptedModel([[{ tool: "readFile", input: { path: "missing.txt" } }], "No such file."]);
    const result = await generateText({ model, tools: tools.tools, stopWhen: isStepCount(3), prompt: "read it" });
    const errors = result.steps.flatMap((step) => step.content.filter((part) => part.type === "tool-error"));
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as { error: unknown }).error)).toMatch(/missing\.txt/);
    expect(toolResultsSeen(model.doGenerateCalls[1]?.prompt ?? [])).toMatch(/missing\.txt/);

    await tools.close();
    await expect(tools.sandbox()).rejects.toThrow(/closed/);
  });

  it("keeps the code inside the sandbox: no network, no host files", async () => {
    await using tools = sandboxTools();
    const model = scriptedModel([
      [
        {
          tool: "runCode",
          input: {
            code: "import os, socket\nprint(os.path.exists('/root'), os.environ.get('HOME'))\nsocket.create_connection(('1.1.1.1', 53), timeout=2)",
          },
        },
      ],
      "done",
    ]);
    const result = await generateText({ model, tools: tools.tools, stopWhen: isStepCount(3), prompt: "probe" });
    const output = result.steps[0]?.toolResults[0]?.output as { stdout: string; error: { name: string } | null };
    expect(output.stdout).toBe("False /home/user\n");
    expect(output.error?.name).toMatch(/OSError|gaierror|ConnectionRefusedError|PermissionError/);
  });
});
