import { describe, expect, it } from "vitest";
import { ExpiryWatch, type Expiring } from "../../../src/http/expiry-watch.ts";
import { ManualTimers } from "../../support/manual-timers.ts";

function item(expiresAt: number, expired: string[], name: string, onExpire?: () => void): Expiring {
  return {
    expiresAt,
    expire() {
      expired.push(name);
      onExpire?.();
    },
  };
}

describe("ExpiryWatch", () => {
  it("expires an item at its expiresAt, not a millisecond before", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    watch.add(item(timers.now() + 1000, expired, "a"));
    timers.advance(999);
    expect(expired).toEqual([]);
    timers.advance(1);
    expect(expired).toEqual(["a"]);
    expect(watch.size).toBe(0);
    expect(timers.waiting).toBe(0);
  });

  it("never expires an item deleted in time", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    const a = item(timers.now() + 1000, expired, "a");
    watch.add(a);
    watch.delete(a);
    timers.advance(5000);
    expect(expired).toEqual([]);
  });

  it("arms one timer for many sequential items, and again only for an earlier one", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    for (let i = 0; i < 100; i++) {
      const it = item(timers.now() + 5000, expired, `seq${i}`);
      watch.add(it);
      timers.advance(10);
      watch.delete(it);
    }
    expect(timers.armed).toEqual([5000]);
    // A shorter limit (a near deadline) re-arms for itself.
    watch.add(item(timers.now() + 300, expired, "near"));
    expect(timers.armed).toEqual([5000, 300]);
    expect(timers.waiting).toBe(1);
    timers.advance(300);
    expect(expired).toEqual(["near"]);
  });

  it("expires concurrent items each at its own time, whatever order they were added in", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    const t0 = timers.now();
    watch.add(item(t0 + 3000, expired, "late"));
    watch.add(item(t0 + 1000, expired, "early"));
    watch.add(item(t0 + 2000, expired, "middle"));
    timers.advance(1000);
    expect(expired).toEqual(["early"]);
    timers.advance(1000);
    expect(expired).toEqual(["early", "middle"]);
    timers.advance(1000);
    expect(expired).toEqual(["early", "middle", "late"]);
  });

  it("a timer that fires before the clock reaches expiresAt re-arms instead of expiring early", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch({
      now: () => timers.now(),
      // Node's timers count from the loop's cached time, which can lag Date.now(): fire 1 ms early.
      setTimeout: (fn, ms) => timers.setTimeout(fn, Math.max(1, ms - 1)),
      clearTimeout: (h) => timers.clearTimeout(h),
    });
    const expired: string[] = [];
    watch.add(item(timers.now() + 100, expired, "a"));
    timers.advance(99);
    expect(expired).toEqual([]);
    expect(watch.size).toBe(1);
    timers.advance(1);
    expect(expired).toEqual(["a"]);
  });

  it("watches an item added by an expire (a retry sent from the timeout)", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    watch.add(item(timers.now() + 100, expired, "first", () => watch.add(item(timers.now() + 100, expired, "retry"))));
    timers.advance(100);
    expect(expired).toEqual(["first"]);
    expect(watch.size).toBe(1);
    timers.advance(100);
    expect(expired).toEqual(["first", "retry"]);
  });

  it("after a fire, re-arms for the earliest item left, whichever was added last", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    const t0 = timers.now();
    watch.add(item(t0 + 100, expired, "first"));
    watch.add(item(t0 + 200, expired, "second"));
    watch.add(item(t0 + 300, expired, "third"));
    timers.advance(100);
    expect(timers.armed).toEqual([100, 100]);
    timers.advance(100);
    expect(expired).toEqual(["first", "second"]);
  });

  it("an item with the same expiresAt as the armed timer arms no second timer", () => {
    const timers = new ManualTimers();
    const watch = new ExpiryWatch(timers);
    const expired: string[] = [];
    const at = timers.now() + 1000;
    watch.add(item(at, expired, "a"));
    watch.add(item(at, expired, "b"));
    expect(timers.armed).toEqual([1000]);
    timers.advance(1000);
    expect(expired).toEqual(["a", "b"]);
  });
});

