import type { Context } from "hono";

type Take = () => { release: () => void } | { refused: string };

/**
 * Places (in a client's limits) taken while handling one request, released once both are true: the handler's
 * work is done (`done()`), and the response has been delivered or abandoned (the connection closed).
 *
 * Not when the handler is done alone: a client that does not read its answers would make the server buffer
 * without bound (40 unread runs once held 370 MiB). Not when the connection closes alone either: a client
 * that hangs up while its run goes on would get its place back and could start runs past its limit. Where the
 * request has no Node response to watch (the app called directly, as tests do), `done()` releases.
 */
export function placesUntilDelivered(c: Context): { keep: (take: Take) => Take; done: () => void } {
  const held: Array<() => void> = [];
  const outgoing = (c.env as { outgoing?: NodeResponse } | undefined)?.outgoing;
  let delivered = !outgoing || outgoing.closed === true;
  let finished = false;
  const settle = () => {
    if (delivered && finished) for (const release of held.splice(0)) release();
  };
  if (!delivered) {
    outgoing?.once("close", () => {
      delivered = true;
      settle();
    });
  }
  const keep =
    (take: Take): Take =>
    () => {
      const place = take();
      if ("refused" in place) return place;
      held.push(place.release);
      settle();
      return { release: () => {} };
    };
  return {
    keep,
    done: () => {
      finished = true;
      settle();
    },
  };
}

/** One place taken before the handler runs: released as `placesUntilDelivered` says. Returns the `done()`. */
export function releaseWhenDelivered(c: Context, release: () => void): () => void {
  const places = placesUntilDelivered(c);
  places.keep(() => ({ release }))();
  return places.done;
}

interface NodeResponse {
  readonly closed?: boolean;
  once(event: "close", listener: () => void): unknown;
}
