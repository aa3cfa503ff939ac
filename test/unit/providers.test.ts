// Hosted providers against recorded real HTTP exchanges, replayed offline (this machine has no internet).
// The recordings are third-party (VCR cassettes and issue reports): see test/fixtures/http/README.md.

import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { DEFAULT_PRICES, type GenerateOptions, generate, openModel } from "../../src/models/index.ts";
import { exchange, replayFetch } from "../helpers/replay.ts";

const KEYS = { OPENAI_API_KEY: "sk-test-not-real", ANTHROPIC_API_KEY: "sk-ant-test-not-real" };
const FAST_RETRIES: GenerateOptions = { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } };

/** A local port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies are read field by field, as the tests need them.
function body(name: string): Record<string, any> {
  return JSON.parse(exchange(name).response.body);
}

async function modelFor(spec: string, names: string[], baseUrl?: string) {
  const replay = replayFetch(names);
  const model = await openModel(spec, {
    env: { ...KEYS, OLLAMA_HOST: "127.0.0.1:11434" },
    fetch: replay.fetch,
    ...(baseUrl ? { baseUrl } : {}),
    prices: { ...DEFAULT_PRICES, "openai:gpt-3.5-turbo": { inputPerMillion: 0.5, outputPerMillion: 1.5 } },
  });
  return { model, requests: replay.requests };
}

describe("OpenAI (chat completions)", () => {
  test("success: text, usage, finish reason and cost from the price table", async () => {
    const { model, requests } = await modelFor("openai:gpt-3.5-turbo", ["openai/success"]);
    const generation = await generate(model, { system: "Be brief.", prompt: "tell me a joke", maxOutputTokens: 50 });
    const recorded = body("openai/success");
    expect(generation.text).toBe(recorded.choices[0].message.content);
    expect(generation.finishReason).toBe("stop");
    expect(generation.usage).toEqual({
      inputTokens: recorded.usage.prompt_tokens,
      outputTokens: recorded.usage.completion_tokens,
    });
    expect(generation.costUsd).toBeCloseTo(
      (recorded.usage.prompt_tokens * 0.5 + recorded.usage.completion_tokens * 1.5) / 1e6,
      12,
    );
    expect(generation.retries).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(requests[0]?.headers.get("authorization")).toBe("Bearer sk-test-not-real");
    expect(requests[0]?.body).toMatchObject({
      model: "gpt-3.5-turbo",
      max_tokens: 50,
      temperature: 0,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "tell me a joke" },
      ],
    });
  });

  test("streaming: deltas add up to the text, with usage from the last chunk", async () => {
    const { model } = await modelFor("openai:gpt-4o", ["openai/stream"]);
    const deltas: string[] = [];
    const generation = await generate(model, { prompt: "hi" }, { onTextDelta: (delta) => deltas.push(delta) });
    const chunks = exchange("openai/stream")
      .response.body.split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)));
    const expected = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    const usage = chunks.at(-1).usage;
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(expected);
    expect(generation.text).toBe(expected);
    expect(generation.usage).toEqual({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
    expect(generation.timing.firstTokenMs).not.toBeNull();
    expect(generation.costUsd).toBeCloseTo((usage.prompt_tokens * 2.5 + usage.completion_tokens * 10) / 1e6, 12);
  });

  test("429 is retried, then the answer comes through", async () => {
    const { model, requests } = await modelFor("openai:gpt-3.5-turbo", ["openai/rate-limit", "openai/success"]);
    const retried: number[] = [];
    const generation = await generate(
      model,
      { prompt: "hi" },
      { ...FAST_RETRIES, onRetry: (_error, delayMs) => retried.push(delayMs) },
    );
    expect(generation.retries).toBe(1);
    expect(retried).toHaveLength(1);
    expect(generation.text).toBe(body("openai/success").choices[0].message.content);
    expect(requests).toHaveLength(2);
  });

  test("a 5xx that persists fails after the retries, with the server's message", async () => {
    const { model, requests } = await modelFor("openai:gpt-4o-mini", Array(4).fill("openai/server-error"));
    await expect(generate(model, { prompt: "hi" }, FAST_RETRIES)).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `openai:gpt-4o-mini failed after 3 retries (HTTP 500: ${body("openai/server-error").error.message})`,
    });
    expect(requests).toHaveLength(4);
  });

  test("a bad key is not retried and says which variable to check", async () => {
    const { model, requests } = await modelFor("openai:gpt-4o-mini", ["openai/bad-key"]);
    await expect(generate(model, { prompt: "hi" }, FAST_RETRIES)).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `openai rejected the API key (HTTP 401: ${body("openai/bad-key").error.message}): check OPENAI_API_KEY`,
    });
    expect(requests).toHaveLength(1);
  });

  test("a missing key is reported before any request, naming the variable", async () => {
    await expect(openModel("openai:gpt-4o", { env: {} })).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message:
        "openai models need an API key: set OPENAI_API_KEY in the environment (or use the embedded model: --model local)",
    });
  });
});

describe("Anthropic (messages)", () => {
  test("success", async () => {
    const { model, requests } = await modelFor("anthropic:claude-sonnet-4-5", ["anthropic/success"]);
    const generation = await generate(model, { prompt: "what's up" });
    const recorded = body("anthropic/success");
    expect(generation.text).toBe(recorded.content[0].text);
    expect(generation.finishReason).toBe("stop");
    expect(generation.usage.outputTokens).toBe(recorded.usage.output_tokens);
    expect(generation.costUsd).not.toBeNull();
    expect(requests[0]?.url).toBe("https://api.anthropic.com/v1/messages");
    expect(requests[0]?.headers.get("x-api-key")).toBe("sk-ant-test-not-real");
  });

  test("429 and 529 (overloaded) are retried", async () => {
    const { model, requests } = await modelFor("anthropic:claude-sonnet-4-5", [
      "anthropic/rate-limit",
      "anthropic/server-error",
      "anthropic/success",
    ]);
    const generation = await generate(model, { prompt: "what's up" }, FAST_RETRIES);
    expect(generation.retries).toBe(2);
    expect(requests).toHaveLength(3);
  });

  test("rate limited to the end: the message says so and keeps Anthropic's words", async () => {
    const { model } = await modelFor("anthropic:claude-sonnet-4-5", Array(2).fill("anthropic/rate-limit"));
    await expect(generate(model, { prompt: "x" }, { retry: { maxRetries: 1, baseDelayMs: 1 } })).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: `anthropic:claude-sonnet-4-5 is rate limited after 1 retry (HTTP 429: ${body("anthropic/rate-limit").error.message}); wait and try again`,
    });
  });

  test("a bad key names ANTHROPIC_API_KEY", async () => {
    const { model } = await modelFor("anthropic:claude-sonnet-4-5", ["anthropic/bad-key"]);
    await expect(generate(model, { prompt: "x" }, FAST_RETRIES)).rejects.toMatchObject({
      message: "anthropic rejected the API key (HTTP 401: invalid x-api-key): check ANTHROPIC_API_KEY",
    });
  });
});

describe("Ollama (/api/chat)", () => {
  test("success, at OLLAMA_HOST; unknown price is reported as unknown, not $0", async () => {
    const { model, requests } = await modelFor("ollama:llama3", ["ollama/success"]);
    const generation = await generate(model, { prompt: "tell me a joke about OpenTelemetry" });
    const recorded = body("ollama/success");
    expect(generation.text).toBe(recorded.message.content);
    expect(generation.usage).toEqual({ inputTokens: recorded.prompt_eval_count, outputTokens: recorded.eval_count });
    expect(generation.costUsd).toBeNull();
    expect(requests[0]?.url).toBe("http://127.0.0.1:11434/api/chat");
  });

  test("streaming NDJSON", async () => {
    const { model } = await modelFor("ollama:llama3", ["ollama/stream"]);
    const deltas: string[] = [];
    const generation = await generate(model, { prompt: "joke" }, { onTextDelta: (delta) => deltas.push(delta) });
    const expected = exchange("ollama/stream")
      .response.body.split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line).message?.content ?? "")
      .join("");
    expect(generation.text).toBe(expected);
    expect(deltas.join("")).toBe(expected);
  });

  test("a server error keeps Ollama's explanation", async () => {
    const { model } = await modelFor("ollama:llama3", Array(2).fill("ollama/server-error"));
    await expect(generate(model, { prompt: "x" }, { retry: { maxRetries: 1, baseDelayMs: 1 } })).rejects.toMatchObject({
      message: `ollama:llama3 failed after 1 retry (HTTP 500: ${body("ollama/server-error").error})`,
    });
  });
});

describe("OpenAI-compatible servers (--base-url)", () => {
  test("success from a vLLM server", async () => {
    const { model, requests } = await modelFor(
      "openai-compatible:meta-llama/Llama-3.2-1B-Instruct",
      ["openai-compatible/success"],
      "http://gpu-box:8000/v1",
    );
    const generation = await generate(model, { prompt: "joke" });
    expect(generation.text).toBe(body("openai-compatible/success").choices[0].message.content);
    expect(requests[0]?.url).toBe("http://gpu-box:8000/v1/chat/completions");
  });

  test("503 while the model loads is retried", async () => {
    const { model } = await modelFor(
      "openai-compatible:m",
      ["openai-compatible/server-error", "openai-compatible/success"],
      "http://localhost:8080/v1",
    );
    expect((await generate(model, { prompt: "joke" }, FAST_RETRIES)).retries).toBe(1);
  });

  test("401 from a gateway", async () => {
    const { model } = await modelFor("openai-compatible:m", ["openai-compatible/bad-key"], "http://localhost:8080/v1");
    await expect(generate(model, { prompt: "x" }, FAST_RETRIES)).rejects.toMatchObject({
      message:
        "openai-compatible rejected the API key (HTTP 401: Invalid authentication credentials): check OPENAI_COMPATIBLE_API_KEY",
    });
  });

  test("an unreachable server says which one", async () => {
    const port = await closedPort();
    const model = await openModel("openai-compatible:m", { baseUrl: `http://127.0.0.1:${port}/v1` });
    await expect(generate(model, { prompt: "x" }, FAST_RETRIES)).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      message: expect.stringMatching(
        new RegExp(
          `^cannot reach openai-compatible:m at http://127\\.0\\.0\\.1:${port}/v1/chat/completions after 3 retries: .*ECONNREFUSED`,
        ),
      ),
    });
  });
});
