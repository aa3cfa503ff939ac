import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { PhaseBars } from "../../src/cli/progress-bar.ts";

/** What the bars wrote to stderr (not a terminal under vitest: a line every 5 s and one when stopped). */
function captureStderr(): { lines: () => string[] } {
  let written = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  });
  return { lines: () => written.split("\n").filter((line) => line.trim() !== "") };
}

describe("progress bars", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  test("the ETA comes from this process's rate", () => {
    const stderr = captureStderr();
    using bars = new PhaseBars();
    const bar = bars.show("run", 100);
    vi.advanceTimersByTime(10_000);
    bar.update(10, "ten done");
    bars.stop();
    // 10 units in 10 s: 90 left take 90 s.
    expect(stderr.lines().at(-1)).toMatch(/10\/100 10% \| 10s elapsed, ETA 1m30s \| ten done/);
  });

  test("a resumed run's earlier work fills the bar but does not count toward the rate", () => {
    const stderr = captureStderr();
    using bars = new PhaseBars();
    const bar = bars.show("run", 100);
    bar.resume(50, "resuming");
    vi.advanceTimersByTime(10_000);
    bar.update(55, "five more");
    bars.stop();
    // 5 units in 10 s: 45 left take 90 s, not the 8 s that counting the resumed 50 would promise.
    expect(stderr.lines().at(-1)).toMatch(/55\/100 55% \| 10s elapsed, ETA 1m30s \| five more/);
  });

  test("before any work is done the ETA is unknown", () => {
    const stderr = captureStderr();
    using bars = new PhaseBars();
    bars.show("run", 100).resume(40, "resuming");
    vi.advanceTimersByTime(6_000);
    bars.stop();
    expect(stderr.lines().at(-1)).toMatch(/40\/100 40% \| 6s elapsed, ETA unknown \| resuming/);
  });
});
