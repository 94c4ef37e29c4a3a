/**
 * Small numeric helpers for the results: medians, ratios, rates.
 *
 * @module
 */

/**
 * The median of some numbers (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `value / reference`, or undefined when either is missing or the
 * reference is not a positive number (a failed or skipped baseline).
 *
 * @example
 * ```ts
 * ratio(50, 200); // 0.25
 * ratio(50, undefined); // undefined
 * ```
 */
export function ratio(value: number | undefined, reference: number | undefined): number | undefined {
  if (value === undefined || reference === undefined || !(reference > 0) || !Number.isFinite(value)) return undefined;
  return value / reference;
}

/**
 * Throughput in MB/s, where MB is 10^6 bytes.
 *
 * @example
 * ```ts
 * mbPerSecond(5_000_000, 2000); // 2.5
 * ```
 */
export function mbPerSecond(bytes: number, ms: number): number {
  if (!(ms > 0)) return NaN;
  return bytes / 1e6 / (ms / 1000);
}

/** 2^20. */
export const MIB = 1 << 20;
