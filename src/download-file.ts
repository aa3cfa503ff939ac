import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/**
 * Downloads `url` to `target` through a temporary file (a failed or aborted download leaves nothing behind),
 * giving up when no data arrives for `stallMs`. node-llama-cpp has a downloader, but it retries for minutes
 * without an abort while the network is down; one URL needs nothing more than fetch.
 */
export async function downloadFile(
  url: string,
  target: string,
  options: {
    headers?: Record<string, string>;
    stallMs?: number;
    signal?: AbortSignal;
    onProgress?: (bytes: number, totalBytes: number | null) => void;
  },
): Promise<void> {
  const stallMs = options.stallMs ?? 30_000;
  const stalled = new AbortController();
  let timer = setTimeout(() => stalled.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
  const keepAlive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stalled.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, stalled.signal]) : stalled.signal;
  const partial = `${target}.${process.pid}.part`;
  try {
    const response = await fetch(url, { headers: options.headers ?? {}, signal, redirect: "follow" });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const total = Number(response.headers.get("content-length")) || null;
    let received = 0;
    await mkdir(dirname(target), { recursive: true });
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      keepAlive();
      options.onProgress?.(received, total);
    });
    await pipeline(body, createWriteStream(partial), { signal });
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw stalled.signal.aborted ? stalled.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}
