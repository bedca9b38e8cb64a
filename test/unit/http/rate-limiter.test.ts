import { describe, expect, it } from "vitest";
import { RateLimitDeadlineError } from "../../../src/http/errors.ts";
import { TokenBucket } from "../../../src/http/rate-limiter.ts";
import type { Clock } from "../../../src/http/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";

/** A clock whose sleep records the wake-up time instead of advancing (concurrent waiters). */
class RecordingClock implements Clock {
  time = 10_000;
  readonly wakeAt: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.wakeAt.push(this.time + ms);
  }
}

/**
 * A discrete-event clock: sleeps wake in time order, one at a time, after all other work has
 * settled; timers due while the loop is "stalled" (between stallFrom and stallUntil) all fire at
 * stallUntil, together, as a blocked Node event loop does.
 */
class StallingClock implements Clock {
  time: number;
  readonly #queue: { at: number; wake: () => void }[] = [];
  readonly #stallFrom: number;
  readonly #stallUntil: number;
  constructor(start: number, stallFrom: number, stallUntil: number) {
    this.time = start;
    this.#stallFrom = stallFrom;
    this.#stallUntil = stallUntil;
  }
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.#queue.push({ at: this.time + ms, wake }));
  }
  /** Runs until no sleeper is left. */
  async run(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.#queue.length === 0) return;
      this.#queue.sort((a, b) => a.at - b.at);
      const next = this.#queue.shift();
      if (!next) return;
      const at = next.at >= this.#stallFrom && next.at < this.#stallUntil ? this.#stallUntil : next.at;
      this.time = Math.max(this.time, at);
      next.wake();
    }
  }
}

function expectAtMostPerSecond(sortedTimes: number[], rate: number): void {
  for (let i = 0; i + rate < sortedTimes.length; i++) {
    expect((sortedTimes[i + rate] ?? 0) - (sortedTimes[i] ?? 0)).toBeGreaterThanOrEqual(1000);
  }
}

describe("TokenBucket", () => {
  it("spaces concurrent callers evenly at the configured rate", async () => {
    const clock = new RecordingClock();
    const bucket = new TokenBucket({ ratePerSecond: 200, clock });
    await Promise.all(Array.from({ length: 5 }, () => bucket.acquire()));
    // First token is free; the others are due 5 ms apart.
    expect(clock.wakeAt).toEqual([10_005, 10_010, 10_015, 10_020]);
  });

  it("never lets more than ratePerSecond calls into any one-second window", async () => {
    const clock = new FakeClock(10_000);
    const bucket = new TokenBucket({ ratePerSecond: 50, clock });
    const granted: number[] = [];
    for (let i = 0; i < 500; i++) {
      await bucket.acquire();
      granted.push(clock.now());
    }
    expectAtMostPerSecond(granted, 50);
  });

  it("keeps the per-second count when a stalled event loop wakes many waiters at once", async () => {
    // The loop is blocked from 10.2 s to 10.9 s: 14 waiters' slots fall in it and wake together.
    const clock = new StallingClock(10_000, 10_200, 10_900);
    const bucket = new TokenBucket({ ratePerSecond: 20, clock });
    const granted: number[] = [];
    const all = Promise.all(
      Array.from({ length: 120 }, async () => {
        await bucket.acquire();
        granted.push(clock.now());
      }),
    );
    await clock.run();
    await all;
    expect(granted).toHaveLength(120);
    expectAtMostPerSecond(granted.sort((a, b) => a - b), 20);
  });

  it("allows a burst of `burst` tokens after idling, then spaces", async () => {
    const clock = new RecordingClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, clock });
    for (let i = 0; i < 4; i++) await bucket.acquire();
    expect(clock.wakeAt).toEqual([10_100]);
  });

  it("refuses without taking a token when the token is due after the deadline", async () => {
    const clock = new RecordingClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, clock });
    await bucket.acquire();
    const refused = await bucket.acquire(clock.time + 50).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitDeadlineError);
    expect(refused).toMatchObject({ name: "RateLimitDeadlineError", message: "no token before the deadline (next in 100 ms)" });
    // The refused call took nothing: the next caller still gets the 100 ms slot.
    await bucket.acquire(clock.time + 100);
    expect(clock.wakeAt).toEqual([10_100]);
  });

  it("with a burst above the rate, waits only until the oldest token of the window is a second old", async () => {
    const clock = new FakeClock(10_000);
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, clock });
    await bucket.acquire();
    await bucket.acquire();
    clock.advance(300);
    // The bucket has a third token, but two went out 300 ms ago: 700 ms more, not a full second.
    await bucket.acquire();
    expect(clock.sleeps).toEqual([700]);
    expect(clock.now()).toBe(11_000);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/ratePerSecond/);
  });
});
