/**
 * The arithmetic of a shared call budget: how fast the fleet may go, how late a leased slot may
 * still be used, and the per-process rate when the table is out of reach. Pure functions, used
 * by the limiter, the configuration checks and the deployment test alike.
 *
 * Why slots: the fleet leases consecutive slots of one schedule, `1/rate` apart. Every call uses
 * its own slot, at most `tolerance` after the slot's time. Any one-second window then holds calls
 * of slots from a span of `1 s + tolerance`, i.e. at most `rate × (1 + tolerance) + 1` calls,
 * however IM counts (fixed seconds or a sliding window).
 */

/**
 * Calls per second the whole fleet makes to a command with documented limit `limit`, when the
 * configured pace is `ratePer200` for a 200/s command (commands with a lower limit get the same
 * fraction of theirs: multiaccount_import at 100/s gets half).
 *
 * @example
 * ```ts
 * fleetRate(200, 190); // 190
 * fleetRate(100, 190); // 95
 * ```
 */
export function fleetRate(limit: number, ratePer200: number): number {
  return (limit * ratePer200) / 200;
}

/**
 * How long after its time a leased slot may still be used (ms): a quarter of what the headroom
 * between `rate` and `limit` allows; the rest is left for what happens between the grant and
 * the provider's count (a busy event loop, the request's own CPU, the network) and for clock
 * skew between processes. A half measured 10006 answers on a loaded machine. Zero when there is
 * no headroom.
 *
 * @example
 * ```ts
 * slotToleranceMs(200, 190); // ≈ 11.8
 * ```
 */
export function slotToleranceMs(limit: number, rate: number): number {
  const lateness = (limit - 1) / rate - 1;
  return lateness > 0 ? (lateness * 1000) / 4 : 0;
}

/**
 * Most calls any one-second window can see when the fleet leases at `rate` and uses each slot
 * at most `toleranceMs` late (the bound the limiter is built on).
 *
 * @example
 * ```ts
 * worstWindowCount(190, slotToleranceMs(200, 190)); // ≈ 193.2, under 200
 * ```
 */
export function worstWindowCount(rate: number, toleranceMs: number): number {
  return rate * (1 + toleranceMs / 1000) + 1;
}

/**
 * The per-process rate while the table cannot be reached: the fleet rate divided by the most
 * processes that may call at once, so all of them together stay within the fleet rate.
 *
 * @example
 * ```ts
 * fallbackRate(190, 16); // 11.875
 * ```
 */
export function fallbackRate(rate: number, maxProcesses: number): number {
  return rate / maxProcesses;
}
