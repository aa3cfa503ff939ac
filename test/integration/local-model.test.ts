import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateText, isStepCount } from "ai";
import { afterAll, describe, expect, test } from "vitest";
import { sandboxTools } from "../../src/ai/index.ts";
import {
  defaultModelPath,
  disposeLocalModels,
  generate,
  openModel,
  ResponseCache,
  readGgufModelInfo,
} from "../../src/models/index.ts";
import { loadModel } from "../../src/models/local/llama-runtime.ts";
import { LocalLanguageModel } from "../../src/models/local/local-language-model.ts";

const pulled = existsSync(defaultModelPath());
const skipped = pulled
  ? ""
  : " (skipped: the embedded model is not pulled: run `litmus models pull`, as scripts/setup.sh does)";
const PROMPT = 'def add(a, b):\n    """Return the sum of a and b."""\n    return';

afterAll(disposeLocalModels);

describe.skipIf(!pulled)(`the embedded model through the AI SDK${skipped}`, () => {
  test("the GGUF metadata says instruction-tuned, so prompts are chat prompts with a prefill", async () => {
    expect(await readGgufModelInfo(defaultModelPath())).toEqual({
      name: "Qwen2.5 Coder 0.5B Instruct AWQ",
      architecture: "qwen2",
      sizeLabel: "0.5B",
      contextLength: 32768,
      hasChatTemplate: true,
      promptStyle: "chat",
    });
    const model = await openModel("local");
    expect(model.promptStyle).toBe("chat");
    expect(model.prefill).toBe(true);
    expect(model.parallel).toBe(4);
    expect(model.price).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
  });

  test("a prefilled answer is continued: the model writes the code inside the opened fence, up to its end", async () => {
    const model = await openModel("local");
    const generation = await generate(model, {
      system: "You write Python. Reply with code only.",
      prompt: "Write a function add(a, b) that returns a + b.",
      responsePrefix: "```python\n",
      stopSequences: ["\n```"],
      maxOutputTokens: 64,
    });
    expect(generation.text).toMatch(/^def add\(a, b\):/);
    expect(generation.text).not.toContain("```");
    expect(generation.finishReason).toBe("stop");
  });

  test("generations at once decode together on the context's sequences", async () => {
    const model = await openModel("local");
    // The context openModel loaded: the same settings give the same cached instance.
    const { context } = await loadModel(defaultModelPath());
    let mostInUse = 0;
    const watch = setInterval(() => {
      mostInUse = Math.max(mostInUse, context.totalSequences - context.sequencesLeft);
    }, 5);
    try {
      const generations = await Promise.all(
        [0, 1, 2].map((index) =>
          generate(model, { prompt: `Count from ${index} to 40, one number a line.`, maxOutputTokens: 24 }),
        ),
      );
      for (const generation of generations) expect(generation.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      clearInterval(watch);
    }
    // One at a time, at most one sequence would ever be in use. (Not timed by streamed text: the local model
    // releases text a line at a time, and an answer written on one line arrives only at its end.)
    expect(mostInUse).toBe(3);
    expect(context.sequencesLeft).toBe(context.totalSequences);
  }, 120_000);

  test("a short greedy completion: text up to the stop sequence, usage, finish reason, timing, $0", async () => {
    const model = await openModel("local");
    const generation = await generate(model, { prompt: PROMPT, maxOutputTokens: 16, stopSequences: ["\n"] });
    expect(generation.text.trim()).not.toBe("");
    expect(generation.text).not.toContain("\n");
    expect(generation.finishReason).toBe("stop");
    expect(generation.usage.inputTokens).toBeGreaterThan(10);
    expect(generation.usage.outputTokens).toBeGreaterThanOrEqual(1);
    expect(generation.usage.outputTokens).toBeLessThanOrEqual(16);
    expect(generation.costUsd).toBe(0);
    expect(generation.timing.durationMs).toBeGreaterThan(0);
    expect(generation.cached).toBe(false);
  });

  test("streaming gives the same greedy text in pieces; the token budget ends with finish reason length", async () => {
    const model = await openModel("local");
    const whole = await generate(model, { prompt: "The capital of France is", maxOutputTokens: 6 });
    const deltas: string[] = [];
    const streamed = await generate(
      model,
      { prompt: "The capital of France is", maxOutputTokens: 6 },
      { onTextDelta: (delta) => deltas.push(delta) },
    );
    expect(streamed.text).toBe(whole.text);
    expect(deltas.join("")).toBe(whole.text);
    expect(streamed.usage.outputTokens).toBe(6);
    expect(streamed.finishReason).toBe("length");
    expect(streamed.timing.firstTokenMs).toBeGreaterThan(0);
  });

  test("the response cache answers a repeated request exactly, without the model", async () => {
    const model = await openModel("local");
    const cache = new ResponseCache(mkdtempSync(join(tmpdir(), "litmus-responses-")));
    const request = { prompt: PROMPT, maxOutputTokens: 8, temperature: 0.7, seed: 7 };
    const first = await generate(model, request, { cache });
    const second = await generate(model, request, { cache });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.text).toBe(first.text);
    expect(second.usage).toEqual(first.usage);
  });

  test("a prompt too long for the context is refused, not silently cut", async () => {
    const model = await openModel("local");
    await expect(generate(model, { prompt: "word ".repeat(2500), maxOutputTokens: 16 })).rejects.toMatchObject({
      code: "PROMPT_TOO_LONG",
      message: expect.stringMatching(
        /^the prompt \(\d+ tokens\) does not fit the local model's context of 2048 tokens/,
      ),
    });
  });

  test("the completion path (for base models) continues the text as it is", async () => {
    // The embedded model has a chat template; driving it as a base model checks the path, not the answer.
    const loaded = await loadModel(defaultModelPath());
    const completion = new LocalLanguageModel({ modelId: "qwen", promptStyle: "completion", loaded });
    const result = await completion.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: PROMPT }] }],
      maxOutputTokens: 8,
      stopSequences: ["\n"],
    });
    const text = result.content[0]?.type === "text" ? result.content[0].text : "";
    expect(text.trim()).toBe("a + b");
    expect(result.usage.outputTokens.total).toBeLessThanOrEqual(8);
    expect(result.usage.inputTokens.total).toBeGreaterThan(10);
  });

  test("an abort stops generation with ABORTED; a timeout says how long it waited", async () => {
    const model = await openModel("local");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      generate(model, { prompt: "Once upon a time", maxOutputTokens: 400 }, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: "ABORTED",
      message: "the call to local was aborted",
    });
    await expect(
      generate(model, { prompt: "Once upon a time", maxOutputTokens: 400 }, { timeoutMs: 100 }),
    ).rejects.toMatchObject({
      code: "ABORTED",
      message: "local did not answer within 0.1 s (raise it with --model-timeout)",
    });
  });

  test("calls a tool through the AI SDK: the sandbox tools run the code it wrote for the task", async () => {
    const model = await openModel("local", { local: { sequences: 1 } });
    await using tools = sandboxTools();
    const result = await generateText({
      model: model.languageModel,
      tools: tools.tools,
      stopWhen: isStepCount(1),
      temperature: 0,
      maxOutputTokens: 200,
      prompt: "Use the runCode tool to compute 2 ** 100 with Python, then tell me the number.",
    });
    const [step] = result.steps;
    expect(step?.finishReason).toBe("tool-calls");
    expect(step?.toolCalls.map((call) => call.toolName)).toEqual(["runCode"]);
    // It wrote code that computes the number; the sandbox ran it (a trailing expression or a print).
    expect(JSON.stringify(step?.toolResults[0]?.output)).toContain("1267650600228229401496703205376");
  }, 120_000); // a model of its own (one sequence) to load, a long tools prompt, a sandbox to start
});
