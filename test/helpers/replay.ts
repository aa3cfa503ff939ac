import { readFileSync } from "node:fs";

/** A recorded HTTP exchange (test/fixtures/http: real responses published by third parties, see its README). */
interface Exchange {
  source: string;
  request: { method: string; path: string };
  response: { status: number; headers: Record<string, string>; body: string };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

/** Reads `test/fixtures/http/<name>.json`. */
export function exchange(name: string): Exchange {
  return JSON.parse(readFileSync(new URL(`../fixtures/http/${name}.json`, import.meta.url), "utf8")) as Exchange;
}

/**
 * A `fetch` that answers each call with the next recorded exchange, offline, and records what was sent.
 * A call beyond the recording fails the test loudly.
 */
export function replayFetch(names: string[]): { fetch: typeof globalThis.fetch; requests: RecordedRequest[] } {
  const queue = names.map(exchange);
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const text = await request.text();
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: text ? JSON.parse(text) : null,
    });
    const next = queue.shift();
    if (!next)
      throw new Error(`unexpected request ${request.method} ${request.url}: the recording has no more exchanges`);
    return new Response(next.response.body, { status: next.response.status, headers: next.response.headers });
  };
  return { fetch, requests };
}
