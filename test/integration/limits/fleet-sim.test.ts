/**
 * The bench's mixed fleet (3 signup processes of 5 callers, 3 webhook processes of 4, 2 backfill
 * processes of 32; each tenant an account_import slot, 20 ms, a create_group slot, 20 ms) on
 * dynalite in virtual time with a seeded lane choice (test/support/fleet-sim.ts): counts only, the
 * same on a busy machine.
 */
import { describe, expect, it } from "vitest";
import { useDynalite } from "../../support/dynalite.ts";
import { simulateFleet } from "../../support/fleet-sim.ts";

const newTable = useDynalite();
const MIXED = [5, 4, 32, 5, 4, 32, 5, 4].map((callers) => ({ callers }));

describe("the fleet limiter, eight mixed processes in virtual time", () => {
  it("keeps every one-second window under the limit, and each process gets slots", async () => {
    const { docClient, tableName } = await newTable();
    const r = await simulateFleet({ docClient, tableName, processes: MIXED, seconds: 6 });
    expect(r.maxInWindow["account_import"]).toBeLessThanOrEqual(200);
    expect(r.maxInWindow["create_group"]).toBeLessThanOrEqual(200);
    for (const p of r.perProcess) expect(p.grants).toBeGreaterThan(0);
    // The fleet is saturated (demand far above 190/s): most of the rate is used. A loose floor
    // (the model measures ~0.78 of 200/s): it fails when coordination starves the fleet.
    expect(r.ratePerSecond["create_group"]).toBeGreaterThan(120);
    // Failed conditions are the protocol's overhead: with a 2 s horizon few extensions find every
    // lane booked (with 1 s and three tries per lane they were half of all requests).
    // The run is repeatable (virtual time, seeded lane choice): 0.276 on any machine at any load.
    // With Math.random lane choice it spread 0.24-0.32 over eight runs and once reached 0.366; the
    // old lane choice gave 0.46.
    expect(r.failedConditions / r.storeRequests).toBeLessThan(0.35);
  }, 60_000);

  it("is repeatable: the same seed gives the same counts, whatever else the machine is doing", async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const { docClient, tableName } = await newTable();
      const r = await simulateFleet({ docClient, tableName, processes: MIXED.slice(0, 4), seconds: 3, warmupMs: 1000, seed: 7 });
      runs.push({ grants: r.grants, storeRequests: r.storeRequests, failedConditions: r.failedConditions, perProcess: r.perProcess });
    }
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);
});
