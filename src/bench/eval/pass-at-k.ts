/**
 * The unbiased estimator of pass@k from n samples of which c passed (Chen et al. 2021, "Evaluating Large
 * Language Models Trained on Code"): 1 - C(n-c, k) / C(n, k), computed as a product to stay exact for large n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || k < 1 || c < 0 || c > n) {
    throw new RangeError(`pass@k needs integers n >= 1, 0 <= c <= n, k >= 1; got n=${n}, c=${c}, k=${k}`);
  }
  if (k > n) throw new RangeError(`pass@${k} needs at least ${k} samples per task, got ${n}`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** Mean pass@k over tasks, for every k in `ks` that every task has enough samples for. */
export function meanPassAtK(
  perTask: Iterable<{ n: number; c: number }>,
  ks: readonly number[],
): Record<string, number> {
  const tasks = [...perTask];
  const result: Record<string, number> = {};
  if (tasks.length === 0) return result;
  const fewest = Math.min(...tasks.map((task) => task.n));
  for (const k of ks) {
    if (k > fewest) continue;
    result[`pass@${k}`] = tasks.reduce((sum, task) => sum + passAtK(task.n, task.c, k), 0) / tasks.length;
  }
  return result;
}
