import { expect, test } from "vitest";
import { ClientLimiter } from "../../src/server/limits.ts";

test("a client gets at most its concurrent runs and its runs per minute; others are not affected", () => {
  const limiter = new ClientLimiter({ concurrent: 2, perMinute: 3, bodyBytes: 1024, sessions: 1, contexts: 1 });
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
  expect(limiter.start("a", at)).toEqual({ refused: "3 runs started this minute (at most 3): try again in a minute" });
  expect("release" in limiter.start("a", at + 60_000)).toBe(true);
});
