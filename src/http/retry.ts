import { abortError } from "./abort.ts";
import { systemClock, systemRandom } from "./clock.ts";
import type { Clock, Random } from "./types.ts";

/** Capped exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff cap before jitter for the first retry, in ms; doubles each retry. */
  baseDelayMs: number;
  /** Largest backoff cap, in ms. */
  maxDelayMs: number;
  /** Base for `throttled` failures (rate limited), which back off longer. Default 4x baseDelayMs. */
  throttledBaseDelayMs?: number;
}

/** What to do after a failed attempt. */
export type RetryDecision = "retry" | "throttled" | "stop";

/** Options of {@link withRetry}. */
export interface RetryOptions {
  policy: RetryPolicy;
  /** Decides from the error whether another attempt is worth it. */
  classify: (error: unknown) => RetryDecision;
  /**
   * Absolute epoch-ms. A retry is made only if its backoff ends strictly before
   * `deadline - reserveMs` (see {@link withRetry}).
   */
  deadline?: number | undefined;
  /** Time the next attempt needs before the deadline; a retry must leave more than this. Default 0. */
  reserveMs?: number;
  clock?: Clock;
  random?: Random;
  /**
   * The caller's abort (the one its attempts are given): one that fires during a backoff ends the
   * sleep at once and the call with the signal's reason ({@link abortError}), the error an abort
   * during an attempt gives; no further attempt is made.
   */
  signal?: AbortSignal | undefined;
  /** Called before each sleep; for logs and metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** A sensible default for provider calls inside a Lambda invocation. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 3_000,
  throttledBaseDelayMs: 1_000,
};

/**
 * The backoff before retry number `retry` (1 for the first retry): a uniform draw in
 * [0, min(maxDelayMs, base * 2^(retry-1))) — "full jitter".
 *
 * @example
 * ```ts
 * backoffDelay(DEFAULT_RETRY_POLICY, 3, false, () => 0.5); // 200
 * ```
 */
export function backoffDelay(policy: RetryPolicy, retry: number, throttled: boolean, random: Random): number {
  const base = throttled ? (policy.throttledBaseDelayMs ?? policy.baseDelayMs * 4) : policy.baseDelayMs;
  const cap = Math.min(policy.maxDelayMs, base * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Runs `attempt` until it succeeds, the error is not worth retrying, attempts run out, or the
 * next backoff would leave no more than `reserveMs` before the deadline. The last error is
 * thrown as it is.
 *
 * The edge `now + delay + reserveMs === deadline` gives up: the attempt would start with exactly
 * its reserve and no slack for a timer that fires late (with no reserve, it would start at the
 * deadline itself, with no time at all).
 *
 * An abort of `signal` during a backoff ends it at once: the call fails with the signal's reason.
 *
 * @example
 * ```ts
 * const res = await withRetry((n) => client.call(n), {
 *   policy: DEFAULT_RETRY_POLICY,
 *   classify: (e) => (e instanceof ProviderError && e.retryable ? "retry" : "stop"),
 *   deadline: Date.now() + 10_000,
 * });
 * ```
 */
export async function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const reserve = options.reserveMs ?? 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const decision = options.classify(error);
      if (decision === "stop" || n >= options.policy.maxAttempts) throw error;
      // An abort comes first: a caller that aborted gets the signal's reason, not a deadline give-up.
      const signal = options.signal;
      if (signal?.aborted) throw abortError(signal);
      const delayMs = backoffDelay(options.policy, n, decision === "throttled", random);
      // Equality gives up too: see the edge in the doc comment.
      // Stryker disable next-line ConditionalExpression: `x >= undefined` is false, so dropping the `!== undefined` test changes nothing
      if (options.deadline !== undefined && clock.now() + delayMs + reserve >= options.deadline) throw error;
      options.onRetry?.({ attempt: n, delayMs, error });
      await clock.sleep(delayMs, signal);
      // A clock that does not watch the signal: at least no attempt after the abort.
      if (signal?.aborted) throw abortError(signal);
    }
  }
}
