/**
 * Runs `work` over `items` with at most `concurrency` at once, starting each only while
 * `canStart()` holds (a time budget). Resolves true when every item ran; items not started are
 * left for the caller to hand back (redelivery, a saved position).
 *
 * @example
 * ```ts
 * const all = await forEachWithin(records, 5, () => deadline - Date.now() > 3_000, handle);
 * ```
 */
export async function forEachWithin<T>(
  items: readonly T[],
  concurrency: number,
  canStart: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<boolean> {
  let next = 0;
  let stopped = false;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      if (!canStart()) {
        stopped = true;
        return;
      }
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return !stopped && next >= items.length;
}
