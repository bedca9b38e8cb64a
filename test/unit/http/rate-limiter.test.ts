import { describe, expect, it } from "vitest";
import { RateLimitDeadlineError } from "../../../src/http/errors.ts";
import { TokenBucket } from "../../../src/http/rate-limiter.ts";
import type { Clock } from "../../../src/http/types.ts";

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

describe("TokenBucket", () => {
  it("spaces concurrent callers evenly at the configured rate", async () => {
    const clock = new RecordingClock();
    const bucket = new TokenBucket({ ratePerSecond: 200, clock });
    await Promise.all(Array.from({ length: 5 }, () => bucket.acquire()));
    // First token is free; the others are due 5 ms apart.
    expect(clock.wakeAt).toEqual([10_005, 10_010, 10_015, 10_020]);
  });

  it("never lets more than ratePerSecond calls into any one-second window", async () => {
    const clock = new RecordingClock();
    const bucket = new TokenBucket({ ratePerSecond: 50, clock });
    const due: number[] = [];
    for (let i = 0; i < 500; i++) {
      const before = clock.wakeAt.length;
      await bucket.acquire();
      due.push(clock.wakeAt.length > before ? (clock.wakeAt.at(-1) ?? clock.time) : clock.time);
    }
    for (let i = 0; i + 50 < due.length; i++) {
      expect((due[i + 50] ?? 0) - (due[i] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
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
    await expect(bucket.acquire(clock.time + 50)).rejects.toBeInstanceOf(RateLimitDeadlineError);
    // The refused call took nothing: the next caller still gets the 100 ms slot.
    await bucket.acquire(clock.time + 100);
    expect(clock.wakeAt).toEqual([10_100]);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/ratePerSecond/);
  });
});
