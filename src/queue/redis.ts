import { Redis } from "ioredis";
import { withTimeout } from "../concurrency.ts";
import { LitmusError, messageOf } from "../errors.ts";

/** How long reaching Redis may take before a command gives up with a clear error. */
const CONNECT_TIMEOUT_MS = 5000;

/** `url` without its password, for messages and logs. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Checks `url` names Redis (`redis://` or `rediss://`), or throws a BAD_INPUT that shows the form. */
export function parseQueueUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LitmusError("BAD_INPUT", `--queue "${url}" is not a URL; give Redis as redis://HOST:PORT[/DB]`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new LitmusError(
      "BAD_INPUT",
      `--queue "${displayUrl(url)}" is not a Redis URL; give it as redis://HOST:PORT[/DB] (rediss:// for TLS)`,
    );
  }
  return url;
}

/**
 * A connection for BullMQ: it waits out Redis restarts (BullMQ needs `maxRetriesPerRequest: null`), but the
 * first connection must succeed within a few seconds, so a wrong URL or a stopped server is reported at
 * once rather than as a hang.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(parseQueueUrl(url), {
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: true,
  });
  // ioredis reports connection errors as events too; they are what `connect` rejects with, below.
  redis.on("error", () => undefined);
  try {
    await withTimeout(redis.connect(), CONNECT_TIMEOUT_MS, `no answer in ${CONNECT_TIMEOUT_MS / 1000} s`);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new LitmusError(
      "QUEUE_UNAVAILABLE",
      `cannot reach Redis at ${displayUrl(url)} (${messageOf(error)}); start it (redis-server) or check --queue`,
      { cause: error },
    );
  }
  return redis;
}
