/** Public types of the call-rate limiters (src/limits). */

/**
 * Grants permission for one provider call of a command. The IM client asks it before every
 * attempt; implementations decide how calls are spread (one process, or the whole fleet).
 */
export interface CallRateLimiter {
  /**
   * Resolves when this process may send one call of `command`. Throws
   * `RateLimitDeadlineError` (src/http/errors.ts) when that would only be after `deadline`
   * (epoch ms), without taking a share of the budget.
   */
  acquire(command: string, deadline?: number): Promise<void>;
}

/** Why a fleet limiter stopped leasing from the table and paces on its own. */
export interface LimiterFallbackInfo {
  provider: string;
  command: string;
  /** The store failure (its error name, never a secret or a full message). */
  reason: string;
  /** The per-process rate used until the store answers again. */
  fallbackRatePerSecond: number;
}

/** Told about the limiter's state changes (logs, metrics). */
export interface LimiterEvents {
  /** The table could not be reached or throttled us: pacing locally at a safe rate. */
  onFallback?: ((info: LimiterFallbackInfo) => void) | undefined;
  /** The table answered again after a fallback. */
  onRecovered?: ((info: { provider: string; command: string }) => void) | undefined;
}
