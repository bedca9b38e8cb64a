import { describe, expect, it } from "vitest";
import { backoffDelay, withRetry, type RetryPolicy } from "../../../src/http/retry.ts";
import { FakeClock, sequenceRandom } from "../../support/fake-clock.ts";

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, throttledBaseDelayMs: 400 };

describe("backoffDelay", () => {
  it("draws uniformly below a cap that doubles per retry and stops at maxDelayMs", () => {
    const almostOne = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, false, almostOne))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(policy, 3, false, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 3, false, () => 0)).toBe(0);
  });

  it("backs off longer when throttled", () => {
    expect(backoffDelay(policy, 1, true, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 2, true, () => 0.5)).toBe(400);
  });

  it("without a throttled base, backs off throttled retries from 4x the base", () => {
    const { throttledBaseDelayMs: _unset, ...plain } = policy;
    expect(backoffDelay(plain, 1, true, () => 0.5)).toBe(200);
    expect(backoffDelay(plain, 2, true, () => 0.5)).toBe(400);
    expect(backoffDelay(plain, 1, false, () => 0.5)).toBe(50);
  });
});

describe("withRetry", () => {
  it("retries transient failures with full-jitter backoff until success", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = await withRetry(
      async (n) => {
        calls++;
        if (n < 3) throw new Error("transient");
        return "ok";
      },
      { policy, classify: () => "retry", clock, random: sequenceRandom(0.5, 0.25) },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([50, 50]);
  });

  it("stops at once on an error classified as stop and rethrows it unchanged", async () => {
    const clock = new FakeClock();
    const permanent = new Error("permanent");
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw permanent;
        },
        { policy, classify: () => "stop", clock },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const clock = new FakeClock();
    let calls = 0;
    await expect(
      withRetry(
        async (n) => {
          calls++;
          throw new Error(`attempt ${n}`);
        },
        { policy, classify: () => "retry", clock, random: () => 0 },
      ),
    ).rejects.toThrow("attempt 5");
    expect(calls).toBe(5);
  });

  it("never sleeps past the deadline", async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const onRetry: number[] = [];
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("transient");
        },
        {
          policy: { ...policy, maxAttempts: 100 },
          classify: () => "retry",
          clock,
          random: () => 0.999,
          deadline: 500,
          onRetry: (i) => onRetry.push(i.delayMs),
        },
      ),
    ).rejects.toThrow("transient");
    // 99 + 199 = 298 slept; the next (399) would end at 697 > 500.
    expect(clock.sleeps).toEqual([99, 199]);
    expect(onRetry).toEqual([99, 199]);
    expect(calls).toBe(3);
    expect(clock.now()).toBeLessThanOrEqual(500);
  });

  it("keeps reserveMs free before the deadline for the next attempt", async () => {
    const clock = new FakeClock(0);
    await expect(
      withRetry(
        async () => {
          throw new Error("x");
        },
        { policy, classify: () => "retry", clock, random: () => 0.5, deadline: 100, reserveMs: 60 },
      ),
    ).rejects.toThrow("x");
    expect(clock.sleeps).toEqual([]);
  });

  // The rule at the edge: a retry must leave more than reserveMs. Here now = 890 and the first
  // backoff is 50 ms (0.5 of the 100 ms cap), so it ends at 940.
  it.each([
    { deadline: 1_000, reserveMs: 60, retries: false }, // 890 + 50 + 60 === deadline
    { deadline: 1_001, reserveMs: 60, retries: true },
    { deadline: 940, reserveMs: 0, retries: false }, // the attempt would start at the deadline
    { deadline: 941, reserveMs: 0, retries: true },
  ])("deadline $deadline with reserve $reserveMs: retries = $retries", async ({ deadline, reserveMs, retries }) => {
    const clock = new FakeClock(890);
    const failure = new Error("transient");
    const attempts: number[] = [];
    const outcome = await withRetry(
      async (n) => {
        attempts.push(n);
        if (n === 1) throw failure;
        return "ok";
      },
      { policy, classify: () => "retry", clock, random: () => 0.5, deadline, reserveMs },
    ).catch((error: unknown) => error);
    expect(outcome).toBe(retries ? "ok" : failure);
    expect(attempts).toEqual(retries ? [1, 2] : [1]);
    expect(clock.sleeps).toEqual(retries ? [50] : []);
  });

  it("uses the longer throttled backoff when the classifier says throttled", async () => {
    const clock = new FakeClock();
    await withRetry(
      async (n) => {
        if (n === 1) throw new Error("rate limited");
        return 1;
      },
      { policy, classify: () => "throttled", clock, random: () => 0.5 },
    );
    expect(clock.sleeps).toEqual([200]);
  });
});
