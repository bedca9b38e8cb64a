/**
 * A given-up outcome event of generation N against the generations after it: the failures index
 * (`npm run cli -- failures`, where everything listed reads GAVE_UP) lists exactly the
 * announcements given up now, never one that a newer generation retries or published, and an
 * operator's `retry` publishes only the current generation's event, never an outdated one.
 */
import { describe, expect, it } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { announcementView } from "../../../src/outcomes/announcement-view.ts";
import { ANNOUNCE_RETRY_AFTER_MS } from "../../../src/provisioning/announce.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const eventIdsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId).map((e) => e.detail["eventId"]);
const listedAsGivenUp = async (service: Service, tenantId: string) =>
  (await service.store.listFailedAnnouncements({ limit: 1000 })).some((t) => t.tenantId === tenantId);
const later = (request: TenantOnboarding, changes: Record<string, unknown>): TenantOnboarding =>
  parseTenantOnboarding({ ...request, ...changes, requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });

function backfillOnce(service: Service, clock: ShiftedClock) {
  const positions = { load: async () => undefined, save: async () => undefined };
  return runBackfill(
    { deadline: clock.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    { store: service.store, positions, clock, reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: "backfill", ...walk }) },
  );
}

/** A tenant whose generation-1 outcome event was given up at once (MalformedDetail). */
async function givenUpAtGenerationOne(service: Service, clock: ShiftedClock): Promise<TenantOnboarding> {
  const request = parseTenantOnboarding(sampleTenant());
  fx.stack.events.failEntries(1, "MalformedDetail", "Detail is malformed.");
  await service.provision(request, { deadline: clock.now() + 60_000, workerId: "w1" });
  expect(announcementView((await service.store.getTenant(request.tenantId)).tenant!)).toMatchObject({ generation: 1, state: "gave-up" });
  expect(await listedAsGivenUp(service, request.tenantId)).toBe(true);
  return request;
}

describe("a given-up announcement of an older generation", () => {
  it.each([
    ["an update (PRESENT)", "TenantProvisioned", (s: Service, r: TenantOnboarding, deadline: number) => s.provision(later(r, { displayName: "Renamed" }), { deadline, workerId: "w2" })],
    ["an offboarding (ABSENT)", "TenantDeprovisioned", (s: Service, r: TenantOnboarding, deadline: number) => s.offboard({ tenantId: r.tenantId, requestedAt: "now", source: "operator" }, { deadline, workerId: "w2" })],
  ])("leaves the failures index when generation 2 (%s) is retrying its own publish, and when that is published", async (_label, outcome, nextGeneration) => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = await givenUpAtGenerationOne(service, clock);
    const id = request.tenantId;

    fx.stack.events.failEntries(1, "ThrottlingException", "Rate exceeded");
    await nextGeneration(service, request, clock.now() + 60_000);
    const retrying = (await service.store.getTenant(id)).tenant!;
    expect(announcementView(retrying)).toMatchObject({ generation: 2, state: "retrying", attempts: 1 });
    // Nothing is given up now: `failures` must not list it (as GAVE_UP) while generation 2 retries.
    expect(await listedAsGivenUp(service, id)).toBe(false);

    clock.advance(ANNOUNCE_RETRY_AFTER_MS + 1_000);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:2:${outcome}`]);
    expect(announcementView((await service.store.getTenant(id)).tenant!)).toEqual({ generation: 2, outcome, state: "published", attempts: 0 });
    expect(await listedAsGivenUp(service, id)).toBe(false);
  });

  it("is not published again by an operator's `retry` once a newer generation is declared (its event is outdated)", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = await givenUpAtGenerationOne(service, clock);
    const id = request.tenantId;
    // Generation 2 changes the consumer group, which SLS keeps refusing for now: not settled.
    fx.stack.sls.faults.configure({ rules: [{ operation: "UpdateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" } }] });
    try {
      const second = await service.provision(later(request, { consumerGroup: { timeout: 120 } }), { deadline: clock.now() + 60_000, workerId: "w2" });
      expect(second.steps.find((s) => s.step === "sls-consumer-group")?.status).toBe("FAILED_RETRYABLE");
      const { announcementRedriven, result } = await service.retry({ tenantId: id }, { deadline: clock.now() + 60_000, workerId: "op" });
      expect([announcementRedriven, result.generation]).toEqual([false, 2]);
    } finally {
      fx.stack.sls.faults.configure({});
    }
    expect(eventIdsOf(id)).toEqual([]);
    // Generation 1's give-up still stands (its event never went out) until generation 2 is announced.
    expect(await listedAsGivenUp(service, id)).toBe(true);
    clock.advance(3_600_000);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:2:TenantProvisioned`]);
    expect(await listedAsGivenUp(service, id)).toBe(false);
  });
});
