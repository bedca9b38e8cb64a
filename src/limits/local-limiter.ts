/** A per-process limiter: one token bucket per command, each at its own rate. */
import { TokenBucket } from "../http/rate-limiter.ts";
import type { Clock } from "../http/types.ts";
import type { CallRateLimiter } from "./types.ts";

/**
 * Paces each command of this process at its rate (no coordination with other processes): the
 * IM client's default, and the fleet limiter's fallback while the table is out of reach.
 *
 * @example
 * ```ts
 * const limiter = createLocalRateLimiter({ create_group: 190, account_import: 190 });
 * await limiter.acquire("create_group", Date.now() + 5_000);
 * ```
 */
export function createLocalRateLimiter(ratesPerSecond: Readonly<Record<string, number>>, clock?: Clock): CallRateLimiter {
  const buckets = new Map<string, TokenBucket>();
  for (const [command, ratePerSecond] of Object.entries(ratesPerSecond)) {
    buckets.set(command, new TokenBucket({ ratePerSecond, ...(clock ? { clock } : {}) }));
  }
  return {
    acquire(command, deadline) {
      const bucket = buckets.get(command);
      if (bucket === undefined) return Promise.reject(new RangeError(`command: no rate configured for ${command}`));
      return bucket.acquire(deadline);
    },
  };
}
