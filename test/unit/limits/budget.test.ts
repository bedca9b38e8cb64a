import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fallbackRate, fleetRate, slotToleranceMs, worstWindowCount } from "../../../src/limits/budget.ts";
import { imCommandBudgets } from "../../../src/limits/im-limiter.ts";
import { IM_RATE_LIMITS } from "../../../src/providers/tencent-im/constants.ts";

describe("budget arithmetic", () => {
  it("gives commands with a lower limit the same fraction of theirs", () => {
    expect(fleetRate(200, 190)).toBe(190);
    expect(fleetRate(100, 190)).toBe(95);
    for (const [command, budget] of Object.entries(imCommandBudgets(190))) {
      expect(budget.limitPerSecond).toBe(IM_RATE_LIMITS[command as keyof typeof IM_RATE_LIMITS]);
      expect(budget.ratePerSecond).toBeLessThan(budget.limitPerSecond);
    }
  });

  it("never lets a one-second window hold more than the limit, for every allowed rate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 195 }), fc.constantFrom(100, 200), (ratePer200, limit) => {
        const rate = fleetRate(limit, ratePer200);
        const tolerance = slotToleranceMs(limit, rate);
        // A quarter of the headroom goes to lateness; the rest is left for jitter and skew.
        expect(worstWindowCount(rate, 4 * tolerance)).toBeLessThanOrEqual(limit + 1e-9);
        expect(tolerance).toBeGreaterThan(0);
      }),
    );
  });

  it("has no tolerance without headroom, and splits the fleet rate over the processes", () => {
    expect(slotToleranceMs(200, 200)).toBe(0);
    expect(slotToleranceMs(200, 190)).toBeCloseTo(11.84, 2);
    expect(fallbackRate(190, 16) * 16).toBeCloseTo(190, 9);
  });
});
