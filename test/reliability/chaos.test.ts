/**
 * The chaos run in small (the full one is `npm run chaos`): the same runner, fault mix and
 * invariants, 48 tenants × 3 concurrent deliveries (one SQS signup event, two signed webhooks).
 */
import { describe, expect, it } from "vitest";
import { formatChaosReport } from "../../bench/chaos/report.ts";
import { runChaos, type ChaosResult } from "../../bench/chaos/runner.ts";

describe("chaos (small): concurrent deliveries under injected faults converge", () => {
  let result: ChaosResult;

  // The time limits here are caps for a hang, not expectations: on a loaded 2-core machine the run
  // has taken over a minute; it returns as soon as it is done.
  it("runs 48 tenants × 3 deliveries, replays the DLQ and backfills until nothing is unfinished", { timeout: 240_000 }, async () => {
    result = await runChaos({
      tenants: 48,
      imPermanentTenants: 2,
      slsPermanentTenants: 1,
      outageTenants: 2,
      attemptTimeoutMs: 300,
      tenantConcurrency: 12,
      sqsPollers: 3,
      maxBackfillRounds: 8,
      drainTimeoutMs: 120_000,
      seed: 7,
      idPrefix: "rel",
    });
    if (!result.ok) process.stderr.write(formatChaosReport(result));
    expect(result.config.permanent).toHaveLength(3);
  });

  it("injected the fault mix it claims: ~33% transient and ambiguous successes at both providers, hangs and resets", () => {
    for (const f of [result.faults.sls, result.faults.im]) {
      const kinds = f.byKind;
      // 35% of the calls the transient rules see, less the creates the ambiguous rules took first:
      // about 0.33 per call. Over ~200 calls that share is a binomial draw (which calls come in which
      // order depends on timing), so the floor sits 4 standard deviations below it, not at a fixed
      // 0.3 that one run in several fell under (0.283 at load 18).
      const expected = 0.33;
      const floor = expected - 4 * Math.sqrt((expected * (1 - expected)) / f.decisions);
      expect((kinds.error ?? 0) / f.decisions).toBeGreaterThanOrEqual(floor);
      expect((kinds["error-after-effect"] ?? 0) + (kinds["reset-after-effect"] ?? 0) + (kinds["hang-after-effect"] ?? 0)).toBeGreaterThan(0);
    }
    // Hangs (3%) and resets (4%) get what the earlier rules leave, ~2-2.5% of a provider's ~150
    // calls: none at one provider is a 2% chance per run (it happened in a fresh clone), none at
    // both well under 0.1%.
    const both = (kind: "hang" | "reset") => (result.faults.sls.byKind[kind] ?? 0) + (result.faults.im.byKind[kind] ?? 0);
    expect(both("hang")).toBeGreaterThan(0);
    expect(both("reset")).toBeGreaterThan(0);
    // The outage tenants cannot finish during the deliveries: the backfill had work. (The DLQ need
    // not: a record whose steps wait for their backoff is acknowledged for the backfill to finish,
    // so outages no longer fill the DLQ; what reaches it is replayed and checked empty below.)
    expect(result.backfill.unfinishedAfterDeliveries).toBeGreaterThan(0);
    expect(result.backfill.rounds.length).toBeGreaterThan(0);
  });

  it("mixed the lifecycle in: at least 10% of the tenants updated and 10% offboarded, and said so in events", () => {
    expect(result.config.updated / result.config.tenants).toBeGreaterThanOrEqual(0.1);
    expect(result.config.offboarded / result.config.tenants).toBeGreaterThanOrEqual(0.1);
    expect(result.counts.steps.DELETED).toBe(2 * result.config.offboarded);
    expect(result.counts.outcomeEvents["TenantDeprovisioned"]).toBe(result.config.offboarded);
  });

  it.each([
    "every tenant ends SUCCEEDED (DELETED when offboarded) or with exactly its injected permanent error",
    "zero duplicate resources",
    "every SUCCEEDED record matches a sandbox resource and every sandbox resource has a SUCCEEDED record",
    "sandbox state equals each tenant's desired state at its latest generation; no stray delete",
    "exactly one outcome event per (tenant, generation, outcome), none missing",
    "no record lost or left IN_PROGRESS; queues and DLQ empty",
    "no 5xx reply and no crashed invocation",
    "no secret in any log line",
  ])("invariant: %s", (name) => {
    const verdict = result.invariants.find((i) => i.name === name);
    expect(verdict, `no verdict named "${name}"`).toBeDefined();
    expect(verdict?.failures).toEqual([]);
    expect(verdict?.ok).toBe(true);
  });

  it("every delivery was made: 48 signups (event + 2 webhooks), 6 updates (event + webhook), 6 offboards (2 events); replies all 2xx (in progress elsewhere is a 202, never a 409)", () => {
    expect(result.deliveries.sqsMessagesSent).toBe(48 + 6 + 2 * 6);
    expect(result.deliveries.webhookRequests).toBe(96 + 6);
    for (const status of Object.keys(result.deliveries.webhookStatuses)) expect(["200", "201", "202"]).toContain(status);
    // One tenant's SLS step and two tenants' IM steps fail permanently; six tenants are offboarded.
    expect(result.counts.slsGroups).toBe(47 - 6);
    expect(result.counts.imGroups).toBe(46 - 6);
  });
});
