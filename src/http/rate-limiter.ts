import { systemClock } from "./clock.ts";
import { RateLimitDeadlineError } from "./errors.ts";
import type { Clock } from "./types.ts";

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the provider's limit, e.g. 200 for IM create_group). */
  ratePerSecond: number;
  /**
   * Most tokens held at once; the largest burst. Default 1: calls are spaced evenly, so no
   * window of one second ever holds more than `ratePerSecond` calls, however the provider counts.
   */
  burst?: number;
  clock?: Clock;
}

/**
 * A token bucket that hands out tokens in arrival order. Each `acquire` reserves the next
 * token and waits until it is due, so concurrent callers are spaced evenly. On top, a sliding
 * one-second window over the times tokens were actually handed out: when the event loop stalls,
 * the waiters of several slots wake together, and without the window they would all go out at
 * once and exceed the provider's per-second count.
 *
 * @example
 * ```ts
 * const createGroupLimit = new TokenBucket({ ratePerSecond: 200 });
 * await createGroupLimit.acquire(deadline);
 * ```
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  /** When the next token is due (epoch ms); slots before `now - (burst-1)*interval` have lapsed. */
  #nextFreeAt: number;
  /** When each of the last `windowSize` tokens was handed out (a ring). */
  readonly #granted: number[] = [];
  #oldest = 0;
  readonly #windowSize: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError("ratePerSecond: must be greater than 0");
    this.ratePerSecond = options.ratePerSecond;
    this.burst = Math.max(1, Math.floor(options.burst ?? 1));
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = 1000 / options.ratePerSecond;
    this.#nextFreeAt = -Infinity;
    this.#windowSize = Math.max(1, Math.floor(options.ratePerSecond));
  }

  /**
   * Waits for a token. Throws {@link RateLimitDeadlineError} without taking one when the token
   * would only be due after `deadline`.
   */
  async acquire(deadline?: number): Promise<void> {
    const now = this.#clock.now();
    // The bucket holds at most `burst` tokens: the earliest slot is burst intervals back.
    const earliest = now - (this.burst - 1) * this.#intervalMs;
    const slot = Math.max(this.#nextFreeAt, earliest);
    const waitMs = slot - now;
    // Stryker disable next-line ConditionalExpression: `x > undefined` is false, so dropping the `!== undefined` test changes nothing
    if (deadline !== undefined && now + Math.max(0, waitMs) > deadline) {
      throw new RateLimitDeadlineError(`no token before the deadline (next in ${Math.ceil(waitMs)} ms)`);
    }
    this.#nextFreeAt = slot + this.#intervalMs;
    if (waitMs > 0) await this.#clock.sleep(Math.ceil(waitMs));
    await this.#withinWindow();
  }

  /** Waits until fewer than `ratePerSecond` tokens went out in the last second, then records one. */
  async #withinWindow(): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      if (this.#granted.length < this.#windowSize) {
        this.#granted.push(now);
        return;
      }
      const oldest = this.#granted[this.#oldest] ?? now;
      if (now - oldest >= 1000) {
        this.#granted[this.#oldest] = now;
        this.#oldest = (this.#oldest + 1) % this.#windowSize;
        return;
      }
      await this.#clock.sleep(Math.ceil(1000 - (now - oldest)));
    }
  }
}
