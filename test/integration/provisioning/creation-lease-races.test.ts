/**
 * The creation lease against a newer generation declared while its run is still working: the
 * run's own generation stays owed (DESIGN: every terminal transition per generation is announced
 * once), and whatever happens to its publish, the lease must end with the run, or the
 * announcements (which no other run may claim while the lease holds) wait for the lease to
 * lapse. The interleaving is fixed by the announcer: the newer generation is declared, and
 * reconciled by another run, just before the lease's run publishes.
 */
import { describe, expect, it } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { createOutcomeEventPublisher } from "../../../src/events/publisher.ts";
import type { OutcomeAnnouncer } from "../../../src/provisioning/announce.ts";
import { eventBridgeAnnouncer } from "../../../src/provisioning/outcome-events.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { systemClock } from "../../../src/http/clock.ts";
import type { Clock } from "../../../src/http/types.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { ANNOUNCE_RETRY_AFTER_MS } from "../../../src/provisioning/announce.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
// Long enough that no lease taken here lapses while the test runs, however loaded the machine:
// what the newer generation waits for is the lease's release, never the clock.
const soon = () => Date.now() + 120_000;
const eventIdsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId).map((e) => e.detail["eventId"]);

/** The EventBridge announcer, which first runs `meanwhile` (once) when asked to publish. */
function announcerWithInterleaving(eventBusName: string): OutcomeAnnouncer & { meanwhile?: (() => Promise<unknown>) | undefined } {
  const real = eventBridgeAnnouncer(createOutcomeEventPublisher({ eventBusName }));
  const announcer: OutcomeAnnouncer & { meanwhile?: (() => Promise<unknown>) | undefined } = {
    async announce(announcement) {
      const meanwhile = announcer.meanwhile;
      announcer.meanwhile = undefined;
      await meanwhile?.();
      await real.announce(announcement);
    },
  };
  return announcer;
}

/** One whole backfill run at the clock's time (no saved position). */
function backfillOnce(service: Service, clock: Clock = systemClock) {
  const positions = { load: async () => undefined, save: async () => undefined };
  return runBackfill(
    { deadline: clock.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    {
      store: service.store,
      positions,
      clock,
      reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: `backfill-${clock.now()}`, ...walk }),
    },
  );
}

const later = (request: TenantOnboarding, changes: Record<string, unknown>): TenantOnboarding =>
  parseTenantOnboarding({ ...request, ...changes, requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });

describe("a newer generation declared while the creation lease's run announces", () => {
  const imRefusesGroupOf = (request: TenantOnboarding) =>
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { code: 10016 }, resource: `tenant-${request.tenantId}` }] });
  it.each([
    ["an update (generation 2, PRESENT)", "TenantProvisioned", undefined, (other: Service, request: TenantOnboarding) => other.provision(later(request, { displayName: "Renamed" }), { deadline: soon(), workerId: "w2" })],
    ["an offboarding (generation 2, ABSENT)", "TenantDeprovisioned", undefined, (other: Service, request: TenantOnboarding) => other.offboard({ tenantId: request.tenantId, requestedAt: "now", source: "operator" }, { deadline: soon(), workerId: "w2" })],
    [
      "an operator's `retry` of the step IM refused for good (generation 2)",
      "TenantProvisioned",
      imRefusesGroupOf,
      async (other: Service, request: TenantOnboarding) => {
        fx.stack.im.faults.configure({});
        return (await other.retry({ tenantId: request.tenantId }, { deadline: soon(), workerId: "w2" })).result;
      },
    ],
  ])("%s, then the lease's publish fails: the lease ends with its run; generation 1 stays owed and goes out before generation 2", async (_label, outcome, before, declareNewer) => {
    const clock = new ShiftedClock();
    const other = fx.service({ clock });
    const announcer = announcerWithInterleaving(other.config.outcomeEventBusName ?? "");
    const leaseRun = fx.service({ announcer });
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    before?.(request);
    announcer.meanwhile = async () => {
      const newer = await declareNewer(other, request);
      // Settled, but not announced: the lease is held, so no other run may claim it.
      expect(newer.steps.map((s) => [s.generation, s.status])).toEqual(newer.steps.map(() => [2, outcome === "TenantProvisioned" ? "SUCCEEDED" : "DELETED"]));
      expect(eventIdsOf(id)).toEqual([]);
      // The lease's own publish (generation 1, outdated now) fails, retryably.
      fx.stack.events.failEntries(1, "InternalFailure", "Injected entry failure.");
    };
    try {
      const first = await leaseRun.provision(request, { deadline: soon(), workerId: "w1" });
      expect(first.generation).toBe(1);
      expect(announcer.meanwhile).toBeUndefined();
    } finally {
      fx.stack.events.reset();
      fx.stack.im.faults.configure({});
    }

    const after = (await other.store.getTenant(id)).tenant!;
    expect(after.generation).toBe(2);
    expect(after.leaseOwner).toBeUndefined();
    // Generation 1 settled before generation 2 was declared: it is owed, its failure counted.
    const firstOutcome = before ? "TenantProvisioningFailed" : "TenantProvisioned";
    expect(after.owedAnnouncements?.map((o) => [o.generation, o.outcome])).toEqual([[1, firstOutcome]]);
    expect(after.announceFailure).toMatchObject({ generation: 1, attempts: 1, gaveUp: false, code: "InternalFailure" });

    // Not before its retry time (generation 2 waits behind it); then once each, oldest first.
    await backfillOnce(other, clock);
    expect(eventIdsOf(id)).toEqual([]);
    clock.advance(ANNOUNCE_RETRY_AFTER_MS + 1_000);
    await backfillOnce(other, clock);
    await backfillOnce(other, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:${firstOutcome}`, `${id}:2:${outcome}`]);
    const done = (await other.store.getTenant(id)).tenant!;
    expect([done.indexDueAt, done.owedAnnouncements, done.announceFailure]).toEqual([undefined, [], undefined]);
  });
});

describe("an offboarding declared while the creation lease's run is making the resources", () => {
  it("waits for the run (its steps have no items yet), and the next run removes what it made and announces the removal", async () => {
    const other = fx.service();
    let meanwhile: (() => Promise<unknown>) | undefined;
    // The IM step runs `meanwhile` (once) just before it creates the group.
    const leaseRun = fx.service({
      steps: (builtIn) =>
        builtIn.map((module) =>
          module.name !== "im-group"
            ? module
            : {
                ...module,
                async ensure(plan, options) {
                  const run = meanwhile;
                  meanwhile = undefined;
                  await run?.();
                  return module.ensure(plan, options);
                },
              },
        ),
    });
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    meanwhile = async () => {
      const off = await other.offboard({ tenantId: id, requestedAt: "now", source: "operator" }, { deadline: soon(), workerId: "w2" });
      // Generation 2 is declared; its steps are the lease's run's to write: nothing removed yet.
      expect([off.generation, off.desired, off.retryable]).toEqual([2, "ABSENT", true]);
      expect(off.steps.map((s) => s.action)).toEqual(off.steps.map(() => "in-progress-elsewhere"));
    };
    const first = await leaseRun.provision(request, { deadline: soon(), workerId: "w1" });
    expect(meanwhile).toBeUndefined();
    // The run made and recorded generation 1 (it read no newer one), published it, and ended its lease.
    expect(first.steps.map((s) => [s.generation, s.status])).toEqual([
      [1, "SUCCEEDED"],
      [1, "SUCCEEDED"],
    ]);
    const tenant = (await other.store.getTenant(id)).tenant!;
    expect([tenant.generation, tenant.desired, tenant.leaseOwner]).toEqual([2, "ABSENT", undefined]);

    await backfillOnce(other);
    const { steps } = await other.store.getTenant(id);
    expect(steps.map((s) => [s.step, s.observedGeneration, s.status]).sort()).toEqual([
      ["im-group", 2, "DELETED"],
      ["sls-consumer-group", 2, "DELETED"],
    ]);
    expect(fx.stack.im.state().groups.filter((g) => g.groupId === `tenant-${id}`)).toEqual([]);
    const slsGroups = Object.values(fx.stack.sls.state().groups).flatMap((byLogstore) => Object.values(byLogstore).flat());
    expect(slsGroups.filter((g) => g.name === `tenant-${id}`)).toEqual([]);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantDeprovisioned`]);
  });
});
