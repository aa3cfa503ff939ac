import { expect, test } from "vitest";
import { percentile, percentiles } from "../../src/bench/index.ts";

test("nearest-rank percentiles", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  expect(percentile(samples, 0.5)).toBe(50);
  expect(percentile(samples, 0.99)).toBe(99);
  expect(percentile([3], 0.99)).toBe(3);
  expect(percentiles([1, 2, 3, 4])).toEqual({ p50: 2, p99: 4 });
  expect(Number.isNaN(percentile([], 0.5))).toBe(true);
});
