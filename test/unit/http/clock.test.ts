import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/http/clock.ts";

/** Whether `promise` settles within a few turns of the microtask queue (no timer can fire meanwhile). */
async function settlesWithoutATimer(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
}

describe("systemClock.sleep", () => {
  it("returns at once for no time or a negative time: no timer, so a zero backoff costs no turn of the event loop", async () => {
    expect(await settlesWithoutATimer(systemClock.sleep(0))).toBe(true);
    expect(await settlesWithoutATimer(systemClock.sleep(-5))).toBe(true);
  });

  it("waits on a timer for a positive time", async () => {
    const sleeping = systemClock.sleep(1);
    expect(await settlesWithoutATimer(sleeping)).toBe(false);
    await expect(sleeping).resolves.toBeUndefined();
  });
});
