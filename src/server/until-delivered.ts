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

type Take = () => { release: () => void } | { refused: string };

/**
 * For a request whose handler takes places while it works and then answers (MCP over HTTP: a tool's result is
 * the response body): `keep(take)` takes places the same way, but they stay taken until this request's response
 * has been delivered or abandoned, since the answer stays in memory until then. Call `done()` once the
 * response exists.
 */
export function placesUntilDelivered(c: Context): { keep: (take: Take) => Take; done: () => void } {
  const releases: Array<() => void> = [];
  const done = releaseWhenDelivered(c, () => {
    for (const release of releases.splice(0)) release();
  });
  const keep =
    (take: Take): Take =>
    () => {
      const place = take();
      if ("refused" in place) return place;
      releases.push(place.release);
      return { release: () => {} };
    };
  return { keep, done };
}
