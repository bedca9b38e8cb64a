/**
 * The backfill's defaults by arithmetic: reading a page must not hold the event loop past a
 * rate-limit slot's tolerance, or every page costs IM budget (a slot used late is a slot lost).
 */
import { describe, expect, it } from "vitest";
import { BACKFILL_DEFAULTS } from "../../../src/backfill/defaults.ts";
import { slotToleranceMs } from "../../../src/limits/budget.ts";
import { IM_RATE_LIMITS } from "../../../src/providers/tencent-im/constants.ts";

/** IM_RATE_LIMIT_PER_SECOND's highest allowed value (src/config/config.ts). */
const HIGHEST_PACE = 195;
/**
 * CPU to parse one listed index entry of a page (JSON and unmarshalling), in one synchronous
 * stretch: measured ~10 µs warm on the bench machine (a 1,000-entry page 10 ms, 250 entries
 * 2.6 ms), twice that cold or with the machine busy.
 */
const PARSE_MS_PER_ENTRY = 0.02;

describe("BACKFILL_DEFAULTS", () => {
  it("reads pages small enough that parsing one fits within a slot's tolerance at the highest pace", () => {
    const tolerance = slotToleranceMs(IM_RATE_LIMITS.create_group, HIGHEST_PACE);
    expect(BACKFILL_DEFAULTS.pageSize * PARSE_MS_PER_ENTRY).toBeLessThanOrEqual(tolerance);
  });

  it("keeps at least twice the lanes the providers' latency needs at the highest pace", () => {
    // A tenant: two IM calls and one SLS call of 20 ms, about seven DynamoDB requests of a few ms.
    // Latency varies (a busy table queues requests), and a lane that is not waiting when an IM
    // slot comes leaves it unused: measured, 32 lanes (1.9x) let 200-590 slots per 10,000 tenants
    // pass with nobody waiting, 48 (2.8x) about 35.
    const tenantMs = 3 * 20 + 7 * 4;
    const lanesLatencyNeeds = (HIGHEST_PACE * tenantMs) / 1000;
    expect(BACKFILL_DEFAULTS.concurrency).toBeGreaterThanOrEqual(2 * lanesLatencyNeeds);
  });
});
