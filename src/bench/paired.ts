import { seededRandom } from "../random.ts";

/** One task under one seed, scored in two arms (1 passed, 0 failed). */
export interface Pair {
  taskId: string;
  seed: number;
  a: number;
  b: number;
}

/** The paired difference of two arms: mean of a - b with a bootstrap 95% interval, and the tasks each won. */
export interface PairedDifference {
  /** Mean over pairs of a - b: the difference in pass@1. */
  mean: number;
  low: number;
  high: number;
  /** Pairs where only a passed, and where only b passed. */
  aOnly: number;
  bOnly: number;
  pairs: number;
}

/**
 * The paired difference with a 95% percentile-bootstrap interval that resamples tasks (a task's seeds stay
 * together: they share the task's difficulty), with a seeded generator so a report can be reproduced.
 */
export function pairedDifference(pairs: Pair[], options: { resamples?: number; seed?: number } = {}): PairedDifference {
  const byTask = new Map<string, number[]>();
  for (const pair of pairs) byTask.set(pair.taskId, [...(byTask.get(pair.taskId) ?? []), pair.a - pair.b]);
  const groups = [...byTask.values()];
  const meanOf = (chosen: number[][]) => {
    const all = chosen.flat();
    return all.length === 0 ? 0 : all.reduce((sum, value) => sum + value, 0) / all.length;
  };
  const random = seededRandom(options.seed ?? 1);
  const resamples = options.resamples ?? 2000;
  const means: number[] = [];
  for (let round = 0; round < resamples && groups.length > 0; round++) {
    means.push(meanOf(Array.from({ length: groups.length }, () => groups[Math.floor(random() * groups.length)] ?? [])));
  }
  means.sort((x, y) => x - y);
  const quantile = (q: number) => means[Math.min(means.length - 1, Math.max(0, Math.floor(q * means.length)))] ?? 0;
  return {
    mean: meanOf(groups),
    low: quantile(0.025),
    high: quantile(0.975),
    aOnly: pairs.filter((pair) => pair.a > pair.b).length,
    bOnly: pairs.filter((pair) => pair.b > pair.a).length,
    pairs: pairs.length,
  };
}
