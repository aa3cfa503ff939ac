import { describe, expect, test } from "vitest";
import { meanPassAtK, passAtK } from "../../src/bench/index.ts";

/** 1 - C(n-c, k) / C(n, k) with exact integers: the definition the estimator must match. */
function exact(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let result = 1n;
    for (let i = 1; i <= b; i++) result = (result * BigInt(a - b + i)) / BigInt(i);
    return result;
  };
  const scale = 10n ** 15n;
  return 1 - Number((choose(n - c, k) * scale) / choose(n, k)) / Number(scale);
}

describe("pass@k", () => {
  test("matches the unbiased estimator's definition", () => {
    for (const [n, c, k] of [
      [10, 3, 1],
      [10, 3, 5],
      [200, 17, 10],
      [200, 17, 100],
      [5, 0, 1],
      [5, 5, 5],
      [20, 1, 20],
    ] as const) {
      expect(passAtK(n, c, k)).toBeCloseTo(exact(n, c, k), 12);
    }
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 15);
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 15);
  });

  test("the mean over tasks reports only the k every task has samples for", () => {
    const tasks = [
      { n: 10, c: 10 },
      { n: 10, c: 0 },
      { n: 5, c: 1 },
    ];
    expect(meanPassAtK(tasks, [1, 5, 10])).toEqual({
      "pass@1": (1 + 0 + 0.2) / 3,
      "pass@5": (1 + 0 + 1) / 3,
    });
  });

  test("nonsense is refused", () => {
    expect(() => passAtK(3, 4, 1)).toThrow("pass@k needs integers n >= 1, 0 <= c <= n, k >= 1; got n=3, c=4, k=1");
    expect(() => passAtK(3, 1, 4)).toThrow("pass@4 needs at least 4 samples per task, got 3");
  });
});
