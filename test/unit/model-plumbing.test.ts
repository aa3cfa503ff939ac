import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APICallError } from "@ai-sdk/provider";
import { describe, expect, test } from "vitest";
import { backoffDelayMs, costOf, loadPriceTable, priceOf, ResponseCache } from "../../src/models/index.ts";

function apiError(statusCode: number, headers: Record<string, string> = {}): APICallError {
  return new APICallError({
    message: "failed",
    url: "https://api.example/v1",
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
  });
}

describe("retry backoff", () => {
  test("the server's retry-after wins, in seconds or milliseconds, capped at maxDelayMs", () => {
    expect(backoffDelayMs(apiError(429, { "retry-after": "2" }), 0, {})).toBe(2000);
    expect(backoffDelayMs(apiError(429, { "retry-after-ms": "150", "retry-after": "9" }), 0, {})).toBe(150);
    expect(backoffDelayMs(apiError(429, { "retry-after": "600" }), 0, { maxDelayMs: 5000 })).toBe(5000);
  });

  test("without one, full jitter under a ceiling that doubles per retry", () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(apiError(503), attempt, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelayMs(apiError(503), 3, policy, () => 0.5)).toBe(400);
    expect(backoffDelayMs(apiError(503), 3, policy, () => 0)).toBe(0);
  });
});

describe("prices", () => {
  test("exact specs are priced, and dated snapshots like their model; other variants are unknown", () => {
    expect(priceOf("openai:gpt-4o-mini")).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    expect(priceOf("openai:gpt-4o-2024-08-06")).toEqual({ inputPerMillion: 2.5, outputPerMillion: 10 });
    expect(priceOf("anthropic:claude-sonnet-4-20250514")).toEqual({ inputPerMillion: 3, outputPerMillion: 15 });
    expect(priceOf("anthropic:claude-3-5-haiku-latest")).toEqual({ inputPerMillion: 0.8, outputPerMillion: 4 });
    expect(priceOf("openai:gpt-4oops")).toBeNull();
    expect(priceOf("openai:o3-pro")).toBeNull();
    expect(priceOf("openai:gpt-5-pro")).toBeNull();
    expect(priceOf("ollama:llama3")).toBeNull();
    expect(priceOf("local")).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
  });

  test("cost in USD, and unknown when the price is", () => {
    expect(costOf({ inputPerMillion: 2, outputPerMillion: 8 }, { inputTokens: 1000, outputTokens: 500 })).toBeCloseTo(
      0.006,
      10,
    );
    expect(costOf(null, { inputTokens: 1, outputTokens: 1 })).toBeNull();
  });

  test("a prices file extends and overrides the table; a bad one names the entry", async () => {
    const directory = mkdtempSync(join(tmpdir(), "litmus-prices-"));
    const good = join(directory, "prices.json");
    writeFileSync(
      good,
      JSON.stringify({
        "ollama:llama3": { inputPerMillion: 0, outputPerMillion: 0 },
        "openai:gpt-4o": { inputPerMillion: 1, outputPerMillion: 2 },
      }),
    );
    const table = await loadPriceTable(good);
    expect(priceOf("ollama:llama3", table)).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(priceOf("openai:gpt-4o", table)).toEqual({ inputPerMillion: 1, outputPerMillion: 2 });
    expect(priceOf("openai:gpt-4o-mini", table)).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    const bad = join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ "openai:gpt-4o": { inputPerMillion: -1, outputPerMillion: 2 } }));
    await expect(loadPriceTable(bad)).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: `the prices file ${bad} is invalid at openai:gpt-4o.inputPerMillion: Too small: expected number to be >=0`,
    });
  });
});

describe("response cache", () => {
  test("keys ignore property order and see every setting", () => {
    expect(ResponseCache.keyOf({ a: 1, b: { c: 2, d: 3 } })).toBe(ResponseCache.keyOf({ b: { d: 3, c: 2 }, a: 1 }));
    expect(ResponseCache.keyOf({ prompt: "x", temperature: 0 })).not.toBe(
      ResponseCache.keyOf({ prompt: "x", temperature: 0.1 }),
    );
  });

  test("an answer survives a new cache on the same directory; a corrupt entry is a miss", async () => {
    const directory = mkdtempSync(join(tmpdir(), "litmus-cache-"));
    const key = ResponseCache.keyOf({ prompt: "hello" });
    const answer = { text: "world", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 1 } };
    await new ResponseCache(directory).set(key, answer);
    expect(await new ResponseCache(directory).get(key)).toEqual(answer);
    expect(readdirSync(join(directory, key.slice(0, 2)))).toEqual([`${key}.json`]);
    writeFileSync(join(directory, key.slice(0, 2), `${key}.json`), '{"text": ');
    expect(await new ResponseCache(directory).get(key)).toBeNull();
    expect(await new ResponseCache(directory).get(ResponseCache.keyOf({ prompt: "other" }))).toBeNull();
  });
});
