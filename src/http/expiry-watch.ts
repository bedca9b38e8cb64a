/** One timer for every in-flight attempt's time limit, instead of a timer armed and cleared per request. */

/** The timer functions an {@link ExpiryWatch} uses; injectable so tests move time themselves. */
export interface ExpiryTimers {
  /**
   * Milliseconds on a monotonic clock: a limit is measured as a setTimeout measures it, not moved
   * by a step of the wall clock (or by a test that stops `Date`).
   */
  now(): number;
  /** Calls `fn` once, no earlier than `ms` from now; the handle must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: an in-flight request's socket keeps the process alive, not its time limit. */
const systemExpiryTimers: ExpiryTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Something with a time limit: `expire` is called once, at or after `expiresAt`, unless removed first. */
export interface Expiring {
  /** On the watch's clock ({@link ExpiryWatch.now}). */
  readonly expiresAt: number;
  expire(): void;
}

/**
 * Watches in-flight attempts and expires each at its `expiresAt`, with one timer armed for the
 * earliest of them. A request that ends in time costs a Set insert and delete: the timer is
 * re-armed only when a new attempt expires before the one it waits for, and when it fires (at
 * the earliest `expiresAt`, whether or not that attempt is still in flight). Node's own
 * setTimeout/clearTimeout per request re-created a timer list and re-armed libuv's timer on
 * every sequential request.
 *
 * @example
 * ```ts
 * const watch = new ExpiryWatch();
 * const attempt = { expiresAt: watch.now() + 2000, expire: () => req.destroy() };
 * watch.add(attempt);
 * // ... answer arrived:
 * watch.delete(attempt);
 * ```
 */
export class ExpiryWatch {
  readonly #timers: ExpiryTimers;
  readonly #pending = new Set<Expiring>();
  #timer: unknown;
  /** When the armed timer fires; Infinity when none is armed. */
  #armedAt = Number.POSITIVE_INFINITY;

  constructor(timers: ExpiryTimers = systemExpiryTimers) {
    this.#timers = timers;
  }

  /** Now on this watch's (monotonic) clock, in ms. */
  now(): number {
    return this.#timers.now();
  }

  /** Starts watching `item`. */
  add(item: Expiring): void {
    this.#pending.add(item);
    if (item.expiresAt < this.#armedAt) this.#arm(item.expiresAt);
  }

  /** Stops watching `item` (it ended in time); its `expire` is never called after this. */
  delete(item: Expiring): void {
    this.#pending.delete(item);
  }

  /** Attempts watched now. */
  get size(): number {
    return this.#pending.size;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = this.#timers.setTimeout(() => this.#fire(), Math.max(1, at - this.#timers.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = this.#timers.now();
    const due: Expiring[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const item of this.#pending) {
      if (item.expiresAt <= now) due.push(item);
      else if (item.expiresAt < next) next = item.expiresAt;
    }
    for (const item of due) this.#pending.delete(item);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    // Last: an expire that sends again (a retry) may add to the watch.
    for (const item of due) item.expire();
  }
}
