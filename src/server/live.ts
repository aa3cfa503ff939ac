import { EventEmitter } from "node:events";

/** Something a page watching a review needs to hear about: output of the run, or a new status. */
export type LiveEvent =
  | { type: "output"; stream: "stdout" | "stderr"; text: string }
  | { type: "status"; status: string };

/**
 * Live events per review, for the pages watching it (Server-Sent Events). The process doing the work publishes
 * output as it comes; status changes made by other processes reach watchers through the store (see the
 * stream route, which also polls it).
 */
export class LiveReviews {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Any number of open pages may watch one review.
    this.emitter.setMaxListeners(0);
  }

  publish(id: string, event: LiveEvent): void {
    this.emitter.emit(id, event);
  }

  /** Calls `listener` with every event of review `id` until the returned function is called. */
  subscribe(id: string, listener: (event: LiveEvent) => void): () => void {
    this.emitter.on(id, listener);
    return () => this.emitter.off(id, listener);
  }
}
