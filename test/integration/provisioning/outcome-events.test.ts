/**
 * Outcome events through the EventBridge stand-in (PutEvents over HTTP, the real SDK client):
 * one event per (tenant, generation, outcome) under concurrent deliveries, and a publish that
 * failed after the claim announced again by the backfill with the identical event.
 */
import { watchCommands } from "../../support/watch-commands.ts";
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it, vi } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;
const eventsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId);
const later = (request: TenantOnboarding, changes: Record<string, unknown>, ms: number): TenantOnboarding =>
  parseTenantOnboarding({ ...request, ...changes, requestedAt: new Date(Date.parse(request.requestedAt) + ms).toISOString() });

/** One whole backfill run on `service` at `clock`'s time (no saved position). */
function backfillOnce(service: Service, clock: ShiftedClock) {
  const positions = { load: async () => undefined, save: async () => undefined };
  return runBackfill(
    { deadline: clock.now() + 20_000, perTenantBudgetMs: 5_000, concurrency: 4, pageSize: 1000 },
    { store: service.store, positions, clock, reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: "backfill", ...walk }) },
  );
}

/**
 * A DynamoDB client whose first UpdateItem that claims an announcement (it names
 * `announcedGeneration`) fails as a dropped connection would: the run dies between recording its
 * last step and announcing, as a crashed process does.
 */
function clientFailingFirstAnnouncementClaim() {
  let failed = false;
  const client = new DynamoDBDocumentClient();
  watchCommands(client, ({ input }) => {
    if (!failed && Object.values((input["ExpressionAttributeNames"] as Record<string, string> | undefined) ?? {}).includes("announcedGeneration")) {
      failed = true;
      throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    }
  });
  return client;
}

/**
 * A tenant provisioned, then updated (generation 2, announced through a claim on the tenant item,
 * as any tenant with steps is) while PutEvents fails once: generation 2 is claimed, not published.
 */
async function updateWithFailingPublish(service: Service) {
  const first = parseTenantOnboarding(sampleTenant());
  await service.provision(first, { deadline: soon(), workerId: "w0" });
  const request = later(first, { displayName: "Second" }, 1_000);
  fx.stack.events.failEntries(1);
  await service.provision(request, { deadline: soon(), workerId: "w1" });
  expect(eventsOf(request.tenantId).map((e) => e.detail["generation"])).toEqual([1]);
  return request;
}

describe("outcome events on EventBridge", () => {
  it("exactly one event per (tenant, generation, outcome) under concurrent duplicate deliveries", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    // A run announces only with time left to record it: generous deadlines, so a loaded machine
    // does not leave an intermediate generation to a backfill this test does not run.
    const soon = () => Date.now() + 30_000;
    await Promise.all(Array.from({ length: 6 }, (_, i) => service.provision(request, { deadline: soon(), workerId: `a${i}` })));
    await Promise.all(Array.from({ length: 6 }, (_, i) => service.provision(later(request, { displayName: "Second" }, 1_000), { deadline: soon(), workerId: `b${i}` })));
    const offAt = new Date(Date.parse(request.requestedAt) + 2_000).toISOString();
    await Promise.all(Array.from({ length: 4 }, (_, i) => service.offboard({ tenantId: id, requestedAt: offAt, source: "op" }, { deadline: soon(), workerId: `c${i}` })));
    // Duplicates after settling publish nothing more.
    await service.provision(later(request, { displayName: "Second" }, 1_000), { deadline: soon(), workerId: "late" });

    const events = eventsOf(id);
    expect(events.map((e) => [e.source, e.detailType, e.detail["generation"], e.detail["eventId"]])).toEqual([
      ["tenant-provisioner", "TenantProvisioned", 1, `${id}:1:TenantProvisioned`],
      ["tenant-provisioner", "TenantProvisioned", 2, `${id}:2:TenantProvisioned`],
      ["tenant-provisioner", "TenantDeprovisioned", 3, `${id}:3:TenantDeprovisioned`],
    ]);
    expect(events[0]?.detail["resources"]).toMatchObject({ "im-group.groupId": `tenant-${id}`, "sls-consumer-group.consumerGroup": `tenant-${id}` });
  });

  it("a failed provisioning names the step, the status, the code and the request id", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 400, code: "JsonInfoInvalid" }, resource: `tenant-${request.tenantId}` }] });
    try {
      await service.provision(request, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const [event] = eventsOf(request.tenantId);
    expect(event?.detailType).toBe("TenantProvisioningFailed");
    expect(event?.detail).toMatchObject({ step: "sls-consumer-group", status: "FAILED_PERMANENT", code: "JsonInfoInvalid", provider: "sls", generation: 1 });
    expect(event?.detail["requestId"]).toEqual(expect.any(String));
  });

  it("PutEvents failing for the creating run: its lease becomes a claim, and the backfill announces once the retry time has come", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1);
    await service.provision(request, { deadline: soon(), workerId: "w1" });
    expect(eventsOf(request.tenantId)).toEqual([]);
    await backfillOnce(service, clock); // not due yet
    expect(eventsOf(request.tenantId)).toEqual([]);
    clock.advance(61_000);
    await backfillOnce(service, clock);
    await backfillOnce(service, clock); // settled: not again
    expect(eventsOf(request.tenantId).map((e) => e.detail["eventId"])).toEqual([`${request.tenantId}:1:TenantProvisioned`]);
    expect((await service.store.getTenant(request.tenantId)).tenant?.indexDueAt).toBeUndefined();
  });

  it("PutEvents failing after the claim: the backfill announces it once its retry time has come, with the identical event", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = await updateWithFailingPublish(service);
    const id = request.tenantId;
    const backfill = () => backfillOnce(service, clock);
    await backfill(); // not due yet: the claimer may still be publishing
    expect(eventsOf(id).map((e) => e.detail["generation"])).toEqual([1]);
    clock.advance(61_000);
    await backfill();
    await backfill(); // settled: not again
    const events = eventsOf(id).filter((e) => e.detail["generation"] === 2);
    expect(events.map((e) => e.detail["eventId"])).toEqual([`${id}:2:TenantProvisioned`]);
    const { tenant, steps } = await service.store.getTenant(id);
    expect(tenant?.indexDueAt).toBeUndefined();
    // occurredAt is the generation's last transition, not the publish time: a repeat is identical.
    expect(events[0]?.detail["occurredAt"]).toBe(steps.map((s) => s.updatedAt).sort().at(-1));
  });

  it("a run that dies after its last step but before announcing: no one announces while its creation lease holds, the backfill once it lapses", async () => {
    const clock = new ShiftedClock();
    const request = parseTenantOnboarding(sampleTenant());
    // The creating run never gets past its publish: a process that died there.
    let dead: (() => void) | undefined;
    const hung = { announce: () => new Promise<void>((_, reject) => (dead = () => reject(new Error("process gone")))) };
    const crashing = fx.service({ clock, announcer: hung });
    const run = crashing.provision(request, { deadline: soon(), workerId: "w1" });
    await vi.waitUntil(() => dead !== undefined, HANG_CAP);
    const { steps } = await crashing.store.getTenant(request.tenantId);
    expect(steps.map((s) => s.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);

    const service = fx.service({ clock });
    await backfillOnce(service, clock);
    await service.provision(request, { deadline: soon(), workerId: "redelivery" });
    expect(eventsOf(request.tenantId)).toEqual([]);
    clock.advance(61_000); // the lease (deadline + 30 s grace) has lapsed
    await backfillOnce(service, clock);
    await backfillOnce(service, clock);
    expect(eventsOf(request.tenantId).map((e) => e.detail["eventId"])).toEqual([`${request.tenantId}:1:TenantProvisioned`]);
    expect((await service.store.getTenant(request.tenantId)).tenant).toMatchObject({ announcedGeneration: 1 });
    expect((await service.store.getTenant(request.tenantId)).tenant?.indexDueAt).toBeUndefined();
    expect((await service.store.getTenant(request.tenantId)).tenant?.leaseOwner).toBeUndefined();
    // The dead run's late end changes nothing.
    dead?.();
    await run;
    expect(eventsOf(request.tenantId)).toHaveLength(1);
  });

  it("a run that dies after its last step of an update, before claiming the announcement: the backfill announces it", async () => {
    const clock = new ShiftedClock();
    const first = parseTenantOnboarding(sampleTenant());
    await fx.service({ clock }).provision(first, { deadline: soon(), workerId: "w0" });
    const request = later(first, { displayName: "Second" }, 1_000);
    const crashing = fx.service({ clock, documentClient: clientFailingFirstAnnouncementClaim() });
    await expect(crashing.provision(request, { deadline: soon(), workerId: "w1" })).rejects.toThrow("socket hang up");
    const { steps } = await crashing.store.getTenant(request.tenantId);
    expect(steps.map((s) => [s.status, s.observedGeneration])).toEqual([["SUCCEEDED", 2], ["SUCCEEDED", 2]]);
    expect(eventsOf(request.tenantId).map((e) => e.detail["generation"])).toEqual([1]);

    const service = fx.service({ clock });
    clock.advance(61_000);
    await backfillOnce(service, clock);
    expect(eventsOf(request.tenantId).map((e) => e.detail["eventId"])).toEqual([`${request.tenantId}:1:TenantProvisioned`, `${request.tenantId}:2:TenantProvisioned`]);
    expect((await service.store.getTenant(request.tenantId)).tenant?.indexDueAt).toBeUndefined();
  });

  it("an overdue announcement is published again by one run only, however many come at once", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const request = await updateWithFailingPublish(service);
    clock.advance(61_000);
    // The backfill and duplicate deliveries of the signup arrive together, all past the retry time.
    await Promise.all([
      ...Array.from({ length: 3 }, async (_, i) => service.reconcile(await service.store.getTenant(request.tenantId), { deadline: clock.now() + 8_000, workerId: `backfill-${i}` })),
      ...Array.from({ length: 3 }, (_, i) => service.provision(request, { deadline: clock.now() + 8_000, workerId: `redelivery-${i}` })),
    ]);
    expect(eventsOf(request.tenantId).map((e) => e.detail["eventId"])).toEqual([`${request.tenantId}:1:TenantProvisioned`, `${request.tenantId}:2:TenantProvisioned`]);
    expect((await service.store.getTenant(request.tenantId)).tenant?.indexDueAt).toBeUndefined();
  });
});
