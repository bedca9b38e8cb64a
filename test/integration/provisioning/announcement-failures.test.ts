/**
 * Outcome events that EventBridge will not take: a permanent PutEvents failure (a non-retryable
 * entry ErrorCode, a deleted bus) is given up at once; a retryable one (throttling) is retried by
 * the backfill with backoff and given up after MAX_ANNOUNCE_ATTEMPTS. A given-up announcement is
 * listed, shown in the status, and published again (the identical event, once) by `retry`.
 * Before this, every backfill run re-published it, without end.
 */
import { describe, expect, it } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { announcementView } from "../../../src/outcomes/announcement-view.ts";
import { ANNOUNCE_RETRY_AFTER_MS, MAX_ANNOUNCE_ATTEMPTS, MAX_ANNOUNCE_BACKOFF_MS } from "../../../src/provisioning/announce.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;
const eventsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId);
const putEventsCalls = () => fx.stack.events.calls["PutEvents"] ?? 0;

function backfillOnce(service: Service, clock: ShiftedClock) {
  const positions = { load: async () => undefined, save: async () => undefined };
  return runBackfill(
    { deadline: clock.now() + 20_000, perTenantBudgetMs: 5_000, concurrency: 4, pageSize: 1000 },
    { store: service.store, positions, clock, reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: "backfill", ...walk }) },
  );
}

describe("outcome events EventBridge refuses", () => {
  it.each([
    ["a non-retryable entry ErrorCode (AccessDeniedException)", "AccessDeniedException", () => fx.stack.events.failEntries(1_000, "AccessDeniedException", "not allowed")],
    ["a deleted bus (the call fails with ResourceNotFoundException)", "ResourceNotFoundException", () => fx.stack.events.failNext("PutEvents", { type: "ResourceNotFoundException", message: "Event bus gone does not exist." }, 1_000)],
  ])("%s: given up at once, listed and shown, never re-published by the backfill; `retry` publishes it once", async (_label, code, breakBus) => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    breakBus();
    try {
      await service.provision(request, { deadline: soon(), workerId: "w1" });
      const calls = putEventsCalls();
      for (let run = 0; run < 4; run++) {
        clock.advance(MAX_ANNOUNCE_BACKOFF_MS);
        await backfillOnce(service, clock);
      }
      expect(putEventsCalls() - calls).toBe(0);
    } finally {
      fx.stack.events.reset();
    }
    expect(eventsOf(id)).toEqual([]);
    const { tenant } = await service.store.getTenant(id);
    expect(tenant?.indexDueAt).toBeUndefined();
    expect(announcementView(tenant!)).toMatchObject({ generation: 1, outcome: "TenantProvisioned", state: "gave-up", attempts: 1, lastError: { code } });
    expect((await service.store.listFailedAnnouncements({ limit: 1000 })).map((t) => t.tenantId)).toContain(id);
    expect((await service.store.listFailures({ limit: 1000 })).some((f) => f.tenantId === id)).toBe(false);

    // The bus is fixed: the operator re-drives; the identical event goes out once, nothing else changes.
    const { declared, announcementRedriven, result } = await service.retry({ tenantId: id }, { deadline: soon(), workerId: "op" });
    expect([declared.change, announcementRedriven, result.generation]).toEqual(["unchanged", true, 1]);
    await service.retry({ tenantId: id }, { deadline: soon(), workerId: "op2" });
    await backfillOnce(service, clock);
    expect(eventsOf(id).map((e) => e.detail["eventId"])).toEqual([`${id}:1:TenantProvisioned`]);
    const after = (await service.store.getTenant(id)).tenant!;
    expect(after.indexDueAt).toBeUndefined();
    expect(after.announceFailure).toBeUndefined();
    expect(announcementView(after)).toEqual({ generation: 1, outcome: "TenantProvisioned", state: "published", attempts: 0 });
    expect((await service.store.listFailedAnnouncements({ limit: 1000 })).map((t) => t.tenantId)).not.toContain(id);
  });

  it("throttling is retried with backoff (a minute, doubling) and given up after MAX_ANNOUNCE_ATTEMPTS publishes", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    fx.stack.events.failEntries(1_000, "ThrottlingException", "Rate exceeded");
    try {
      const calls = putEventsCalls();
      await service.provision(request, { deadline: soon(), workerId: "w1" });
      expect(putEventsCalls() - calls).toBe(1);
      clock.advance(ANNOUNCE_RETRY_AFTER_MS + 1_000); // attempt 1 was due again after a minute
      const ranAt = clock.now();
      await backfillOnce(service, clock);
      expect(putEventsCalls() - calls).toBe(2);
      const view = announcementView((await service.store.getTenant(id)).tenant!);
      expect(view).toMatchObject({ state: "retrying", attempts: 2, lastError: { code: "ThrottlingException" } });
      // Doubled: two minutes after the failure, which happened during the run.
      expect(Date.parse(view!.nextAttemptAt!)).toBeGreaterThanOrEqual(ranAt + 2 * ANNOUNCE_RETRY_AFTER_MS);
      expect(Date.parse(view!.nextAttemptAt!)).toBeLessThanOrEqual(clock.now() + 2 * ANNOUNCE_RETRY_AFTER_MS);
      clock.advance(ANNOUNCE_RETRY_AFTER_MS + 1_000); // not yet due: no publish
      await backfillOnce(service, clock);
      expect(putEventsCalls() - calls).toBe(2);
      for (let run = 0; run < 3 * MAX_ANNOUNCE_ATTEMPTS; run++) {
        clock.advance(MAX_ANNOUNCE_BACKOFF_MS);
        await backfillOnce(service, clock);
      }
      expect(putEventsCalls() - calls).toBe(MAX_ANNOUNCE_ATTEMPTS);
    } finally {
      fx.stack.events.reset();
    }
    const { tenant } = await service.store.getTenant(id);
    expect(tenant?.indexDueAt).toBeUndefined();
    expect(announcementView(tenant!)).toMatchObject({ state: "gave-up", attempts: MAX_ANNOUNCE_ATTEMPTS, lastError: { code: "ThrottlingException" } });
    expect(fx.logger.lines.filter((l) => l.includes('"outcome announcement gave up"') && l.includes(id))).toHaveLength(1);
  });

  it("a given-up announcement of an older generation is cleared once a newer generation's outcome is published", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1, "MalformedDetail", "Detail is malformed.");
    await service.provision(request, { deadline: soon(), workerId: "w1" });
    expect(announcementView((await service.store.getTenant(request.tenantId)).tenant!)?.state).toBe("gave-up");
    const update = parseTenantOnboarding({ ...request, displayName: "Renamed", requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });
    await service.provision(update, { deadline: soon(), workerId: "w2" });
    const { tenant } = await service.store.getTenant(request.tenantId);
    expect(announcementView(tenant!)).toEqual({ generation: 2, outcome: "TenantProvisioned", state: "published", attempts: 0 });
    expect((await service.store.listFailedAnnouncements({ limit: 1000 })).map((t) => t.tenantId)).not.toContain(request.tenantId);
  });
});
