import { getEventListeners } from "node:events";
import { describe, expect, it, vi } from "vitest";
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

describe("systemClock.sleep with a signal", () => {
  it("an abort ends it at once with the signal's reason and clears its timer", async () => {
    const controller = new AbortController();
    const reason = new Error("deadline");
    // Fake timers so the count is of this sleep's timer alone (the test runner has timers of its own).
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const sleeping = systemClock.sleep(3_600_000, controller.signal);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort(reason);
      await expect(sleeping).rejects.toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a signal aborted already rejects without a timer, even for no time", async () => {
    const reason = new Error("gone");
    const zero = systemClock.sleep(0, AbortSignal.abort(reason));
    expect(await settlesWithoutATimer(zero.catch(() => undefined))).toBe(true);
    await expect(zero).rejects.toBe(reason);
    await expect(systemClock.sleep(10, AbortSignal.abort("why"))).rejects.toMatchObject({ name: "AbortError", cause: "why" });
  });

  it("a sleep that ends on its own leaves no listener on the signal", async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    await sleeping;
    // A signal that lives on (a whole invocation's) gathers no listener per backoff.
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
