import { describe, expect, it, onTestFinished, vi } from "vitest";
import { backoffDelay, withRetry, type RetryPolicy } from "../../../src/http/retry.ts";
import { systemClock } from "../../../src/http/clock.ts";
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

describe("withRetry: the caller's abort during a backoff", () => {
  /** Whether `promise` has settled once pending I/O and timers due now have had a turn (a backoff of seconds has not). */
  async function settledAfterOneTurn(promise: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setImmediate(resolve));
    return settled;
  }

  // A deadline-bound call whose abort (a store's own time limit) fired while it slept kept
  // sleeping the whole backoff (up to 20 s for a throttled AWS call), then made its next attempt.
  it("ends the sleep at once with the signal's reason, as an abort during an attempt does, and makes no further attempt", async () => {
    const controller = new AbortController();
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const attempts: number[] = [];
    let sleeping!: () => void;
    const asleep = new Promise<void>((resolve) => (sleeping = resolve));
    // Fake timers: the backoff's timer is counted alone, and only the abort can end it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    onTestFinished(() => void vi.useRealTimers());
    const outcome = withRetry(
      async (n) => {
        attempts.push(n);
        throw new Error("throttled");
      },
      // The system clock: a backoff of 30 s.
      { policy: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 }, classify: () => "retry", random: () => 0.5, signal: controller.signal, onRetry: () => sleeping() },
    ).catch((error: unknown) => error);
    await asleep;
    expect(vi.getTimerCount()).toBe(1);
    controller.abort(reason);
    expect(await settledAfterOneTurn(outcome)).toBe(true);
    expect(await outcome).toBe(reason);
    expect(attempts).toEqual([1]);
    // The backoff's timer is cleared, not left to keep the process alive for 30 s.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a reason that is not an Error ends it with an AbortError that carries the reason", async () => {
    const controller = new AbortController();
    const clock = new FakeClock();
    // A clock whose sleep never ends by itself.
    const stalled = { now: () => clock.now(), sleep: (_ms: number, signal?: AbortSignal) => systemClock.sleep(3_600_000, signal) };
    const outcome = withRetry(
      async () => {
        throw new Error("transient");
      },
      { policy, classify: () => "retry", clock: stalled, random: () => 0.5, signal: controller.signal, onRetry: () => queueMicrotask(() => controller.abort("shutting down")) },
    ).catch((error: unknown) => error);
    expect(await outcome).toMatchObject({ name: "AbortError", cause: "shutting down" });
  });

  it("a signal already aborted when the backoff would start: no sleep, no further attempt", async () => {
    const clock = new FakeClock();
    const reason = new Error("stop now");
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("transient");
        },
        { policy, classify: () => "retry", clock, random: () => 0.5, signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("a signal already aborted when the backoff would also cross the deadline: the signal's reason, not the attempt's error", async () => {
    const clock = new FakeClock();
    const reason = new Error("caller gave up");
    await expect(
      withRetry(
        async () => {
          throw new Error("transient");
        },
        { policy, classify: () => "retry", clock, random: () => 0.5, deadline: clock.now() + 1, signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(clock.sleeps).toEqual([]);
  });

  it("a clock that ignores the signal: the abort still ends the loop when the sleep returns, with no further attempt", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const reason = new Error("aborted while asleep");
    const ignoring = { now: () => clock.now(), sleep: async (ms: number) => { await clock.sleep(ms); controller.abort(reason); } };
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("transient");
        },
        { policy, classify: () => "retry", clock: ignoring, random: () => 0.5, signal: controller.signal },
      ),
    ).rejects.toBe(reason);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([50]);
  });
});
