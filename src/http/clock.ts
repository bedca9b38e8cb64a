import { abortError } from "./abort.ts";
import type { Clock, Random } from "./types.ts";

/**
 * The real clock. `sleep` with a signal ends at once when the signal aborts (rejecting with
 * {@link abortError}) and clears its timer, so an aborted wait keeps nothing alive.
 *
 * @example
 * ```ts
 * await systemClock.sleep(100);
 * await systemClock.sleep(2_000, AbortSignal.timeout(500)); // rejects with the TimeoutError after 500 ms
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (ms <= 0) return Promise.resolve();
    if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/** `Math.random`, as a {@link Random}. */
export const systemRandom: Random = () => Math.random();
