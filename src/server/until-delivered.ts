import type { Context } from "hono";

/**
 * Calls `release` once the request's response has been delivered or abandoned (the connection closed), not
 * when the handler is done: a client that does not read its answers keeps holding the slot the answer took,
 * so it cannot make the server buffer without bound (40 unread runs once held 370 MiB). Returns what the
 * handler calls when its own work is done: nothing to do under Node's server, and the release itself where
 * the request has no Node response to watch (the app called directly, as tests do).
 */
export function releaseWhenDelivered(c: Context, release: () => void): () => void {
  const outgoing = (c.env as { outgoing?: { once(event: "close", listener: () => void): unknown } } | undefined)
    ?.outgoing;
  if (!outgoing) return release;
  outgoing.once("close", release);
  return () => {};
}
