import { setTimeout as delay } from "node:timers/promises";
import type { Clock, Random } from "./types.ts";

/**
 * The real clock.
 *
 * @example
 * ```ts
 * await systemClock.sleep(100);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => (ms <= 0 ? Promise.resolve() : delay(ms).then(() => undefined)),
};

/** `Math.random`, as a {@link Random}. */
export const systemRandom: Random = () => Math.random();
