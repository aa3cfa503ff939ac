import { expect, test } from "vitest";
import { ClientLimiter } from "../../src/server/limits.ts";

test("a client gets at most its concurrent runs and its runs per minute; others are not affected", () => {
  const limiter = new ClientLimiter({
    concurrent: 2,
    perMinute: 3,
    bodyBytes: 1024,
    sessions: 1,
    contexts: 1,
    sandboxes: 8,
    sandboxIdleMs: 60_000,
  });
  const at = Date.UTC(2026, 11, 2, 12, 0, 5);
  const first = limiter.start("a", at);
  const second = limiter.start("a", at);
  expect(limiter.start("a", at)).toEqual({
    refused: "2 runs of yours are in progress (at most 2 at once): wait for one to end",
  });
  expect("release" in limiter.start("b", at)).toBe(true);
  if ("release" in first) first.release();
  if ("release" in first) first.release(); // twice is once
  const third = limiter.start("a", at);
  expect("release" in third).toBe(true);
  if ("release" in second) second.release();
  if ("release" in third) third.release();
  expect(limiter.start("a", at + 20_000)).toEqual({
    refused: "3 runs started in the last minute (at most 3): try again in 40 s",
  });
  expect("release" in limiter.start("a", at + 60_000)).toBe(true);
});

test("the minute slides: a client cannot start twice its limit around the turn of a minute", () => {
  const limiter = new ClientLimiter({
    concurrent: 10,
    perMinute: 2,
    bodyBytes: 1024,
    sessions: 1,
    contexts: 1,
    sandboxes: 8,
    sandboxIdleMs: 60_000,
  });
  const endOfMinute = Date.UTC(2026, 11, 2, 12, 0, 59);
  for (const offset of [0, 500]) {
    const started = limiter.start("a", endOfMinute + offset);
    if ("release" in started) started.release();
  }
  // Two seconds later it is another minute on the clock, but not 60 seconds since those two runs.
  expect(limiter.start("a", endOfMinute + 2000)).toEqual({
    refused: "2 runs started in the last minute (at most 2): try again in 58 s",
  });
});
