export interface Percentiles {
  p50: number;
  p99: number;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50 and p99, rounded to microseconds. */
export function percentiles(samples: readonly number[]): Percentiles {
  return { p50: round(percentile(samples, 0.5)), p99: round(percentile(samples, 0.99)) };
}

/** `value` rounded to `digits` decimals (default 3). */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
