/** Counting helpers of the rate-limiter tests: how many grants one window of time holds. */

/**
 * The most of `times` (ms, any order) that fall in any window [t, t + windowMs).
 *
 * ```ts
 * maxInAnyWindow([0, 10, 999, 1000], 1000); // 3
 * ```
 */
export function maxInAnyWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
