/**
 * DESIGN: "every terminal transition per generation is announced once". A generation that
 * settled but whose announcement did not go out (the run was too close to its deadline to record
 * a publish, its publish failed, or its claim raced the declaration) must still be announced when
 * a newer generation is declared before the next run: it is kept owed on the tenant item and
 * published, oldest first, before the newer one. Before this, the probe below announced
 * generations 1 and 3, never 2. Interleavings are fixed (a step or the announcer runs what
 * happens "meanwhile"); time is a shifted clock, never a sleep.
 */
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { createOutcomeEventPublisher } from "../../../src/events/publisher.ts";
import { announcementView } from "../../../src/outcomes/announcement-view.ts";
import { ANNOUNCE_RETRY_AFTER_MS, type OutcomeAnnouncer } from "../../../src/provisioning/announce.ts";
import { declarePresent } from "../../../src/provisioning/desired-state.ts";
import { eventBridgeAnnouncer } from "../../../src/provisioning/outcome-events.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const eventIdsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId).map((e) => e.detail["eventId"]);
/** The request again, `n` seconds later, with the consumer group's timeout changed (only the SLS step calls its provider). */
const updated = (request: TenantOnboarding, n: number): TenantOnboarding =>
  parseTenantOnboarding({ ...request, consumerGroup: { ...request.consumerGroup, timeout: 60 + 10 * n }, requestedAt: new Date(Date.parse(request.requestedAt) + n * 1_000).toISOString() });

function backfillOnce(service: Service, clock: ShiftedClock) {
  const positions = { load: async () => undefined, save: async () => undefined };
  return runBackfill(
    { deadline: clock.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    { store: service.store, positions, clock, reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: `backfill-${clock.now()}`, ...walk }) },
  );
}

/**
 * A service whose steps, once `slowNext(calls)` is called, take the rest of their run's budget:
 * when the `calls`-th provider update or removal from then on returns, the clock jumps past the
 * point where a publish could still be recorded. That run settles its generation but leaves the
 * announcement to the next run.
 */
function serviceWithSlowUpdate(clock: ShiftedClock, announcer?: OutcomeAnnouncer, documentClient?: DynamoDBDocumentClient): Service & { slowNext(calls?: number): void } {
  let left = 0;
  const afterCall = () => {
    if (left > 0 && --left === 0) clock.advance(RUN_BUDGET_MS);
  };
  const service = fx.service({
    clock,
    ...(announcer ? { announcer } : {}),
    ...(documentClient ? { documentClient } : {}),
    steps: (builtIn) =>
      builtIn.map((module) => ({
        ...module,
        ...(module.update
          ? {
              async update(plan: Parameters<NonNullable<typeof module.update>>[0], options: Parameters<NonNullable<typeof module.update>>[1]) {
                const effect = await module.update!(plan, options);
                afterCall();
                return effect;
              },
            }
          : {}),
        async remove(plan, options) {
          const effect = await module.remove(plan, options);
          afterCall();
          return effect;
        },
      })),
  });
  return Object.assign(service, { slowNext: (calls = 1) => void (left = calls) });
}
const RUN_BUDGET_MS = 30_000;

/**
 * A client that sends every request to the stack's DynamoDB and counts them: all requests, and
 * the writes to tenant items DynamoDB refused on their condition (each still costs a request
 * and write capacity), named by their update expression.
 */
function countingClient() {
  const inner = new DynamoDBDocumentClient();
  const counts = { requests: 0, refusedTenantWrites: [] as string[] };
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== "send") return Reflect.get(target, prop, receiver);
      return async (command: { input?: { Key?: { sk?: unknown }; UpdateExpression?: string } }) => {
        counts.requests++;
        try {
          return await (target.send as (c: unknown) => Promise<unknown>)(command);
        } catch (error) {
          if ((error as Error).name === "ConditionalCheckFailedException" && command.input?.Key?.sk === "TENANT") counts.refusedTenantWrites.push(command.input.UpdateExpression ?? "");
          throw error;
        }
      };
    },
  });
  return { client, counts, reset: () => Object.assign(counts, { requests: 0, refusedTenantWrites: [] }) };
}
const budget = (clock: ShiftedClock, workerId: string) => ({ deadline: clock.now() + RUN_BUDGET_MS, workerId });

/** Generation 1 announced; generation 2 settled (SUCCEEDED) by a run that left its announcement to the next run. */
async function generationTwoSettledUnannounced(service: ReturnType<typeof serviceWithSlowUpdate>, clock: ShiftedClock): Promise<TenantOnboarding> {
  const request = parseTenantOnboarding(sampleTenant());
  const id = request.tenantId;
  await service.provision(request, budget(clock, "w1"));
  expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
  service.slowNext();
  const second = await service.provision(updated(request, 1), budget(clock, "w2"));
  expect([second.generation, second.succeeded]).toEqual([2, true]);
  expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
  return request;
}

describe("a settled generation whose announcement was left to the next run, superseded before it", () => {
  it("the probe: generation 3 declared (an update) before the next run; generations 1, 2 and 3 are each announced once, in order", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;

    const third = await service.provision(updated(request, 2), budget(clock, "w3"));
    expect([third.generation, third.succeeded]).toEqual([3, true]);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
    // Nothing is left owed or due; later runs publish nothing again.
    const tenant = (await service.store.getTenant(id)).tenant!;
    expect([tenant.owedAnnouncements, tenant.indexDueAt]).toEqual([[], undefined]);
    expect(announcementView(tenant)).toEqual({ generation: 3, outcome: "TenantProvisioned", state: "published", attempts: 0 });
    clock.advance(3_600_000);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toHaveLength(3);
    // The events carry their generation: consumers order by it.
    expect(fx.stack.events.events.filter((e) => e.detail["tenantId"] === id).map((e) => e.detail["generation"])).toEqual([1, 2, 3]);
  });

  it("an offboarding declared before the next run: generation 2 (TenantProvisioned) goes out before generation 3 (TenantDeprovisioned)", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    await service.offboard({ tenantId: id, requestedAt: "now", source: "operator" }, budget(clock, "w3"));
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantDeprovisioned`]);
  });

  it("an offboarding whose announcement was left to the next run, then a signup again: 1, 2 (TenantDeprovisioned) and 3 are each announced once", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    await service.provision(request, budget(clock, "w1"));
    service.slowNext(2); // both steps remove
    const off = await service.offboard({ tenantId: id, requestedAt: "now", source: "operator" }, budget(clock, "w2"));
    expect([off.generation, off.succeeded]).toEqual([2, true]);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
    const again = await service.provision(updated(request, 1), budget(clock, "w3"));
    expect([again.generation, again.desired, again.succeeded]).toEqual([3, "PRESENT", true]);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantDeprovisioned`, `${id}:3:TenantProvisioned`]);
  });

  it("runs at once over the owed generation (the declaring run, two re-drives, the backfill) announce each generation once", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    // Generation 3 is declared only (no run yet): generation 2 is owed and shown so.
    const declared = await declarePresent(updated(request, 2), service.steps.map((s) => s.name), service.store, clock);
    expect(declared.change).toBe("new-generation");
    expect(announcementView(declared.tenant)).toEqual({ generation: 2, outcome: "TenantProvisioned", state: "owed", attempts: 0, owed: [{ generation: 2, outcome: "TenantProvisioned" }] });
    await Promise.all([
      service.reconcile(declared, budget(clock, "r1")),
      service.reconcile(declared, budget(clock, "r2")),
      service.reconcile(await service.store.getTenant(id), budget(clock, "r3")),
      backfillOnce(service, clock),
    ]);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
  });

  it("a failed publish of the owed generation is counted and retried with backoff; the newer generation waits behind it", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    fx.stack.events.failEntries(1, "ThrottlingException", "Rate exceeded");
    await service.provision(updated(request, 2), budget(clock, "w3"));
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
    const retrying = (await service.store.getTenant(id)).tenant!;
    expect(announcementView(retrying)).toMatchObject({
      generation: 2,
      state: "retrying",
      attempts: 1,
      lastError: { code: "ThrottlingException" },
      owed: [{ generation: 2, outcome: "TenantProvisioned" }],
    });
    // Not due yet: nothing goes out, generation 3 included.
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
    clock.advance(ANNOUNCE_RETRY_AFTER_MS + 1_000);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
    const done = (await service.store.getTenant(id)).tenant!;
    expect([done.owedAnnouncements, done.indexDueAt, done.announceFailure]).toEqual([[], undefined, undefined]);
  });

  it("a permanent publish failure gives the owed generation up (listed and shown), and the newer generation is announced after it", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    fx.stack.events.failEntries(1, "MalformedDetail", "Detail is malformed.");
    await service.provision(updated(request, 2), budget(clock, "w3"));
    const gaveUp = (await service.store.getTenant(id)).tenant!;
    expect(announcementView(gaveUp)).toMatchObject({ generation: 2, state: "gave-up", attempts: 1, lastError: { code: "MalformedDetail" } });
    expect(gaveUp.owedAnnouncements).toEqual([]);
    expect((await service.store.listFailedAnnouncements({ limit: 1000 })).map((t) => [t.tenantId, t.announceFailure?.generation])).toContainEqual([id, 2]);
    // Still due for generation 3, which the next run announces (generation 2's give-up is then history, as for any older generation).
    expect(gaveUp.indexDueAt).toBeDefined();
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
    expect((await service.store.getTenant(id)).tenant?.indexDueAt).toBeUndefined();
  });
});

// Finishing an owed announcement first sent the current generation's finish, and giving one up
// the current generation's give-up: both conditional on the generation it no longer is, so both
// were refused, one wasted request and write each time. The run knows the announcement is owed.
describe("an owed announcement's bookkeeping sends only the owed generation's writes", () => {
  it("published: no refused write on the tenant item; each generation still announced once, nothing left owed", async () => {
    const clock = new ShiftedClock();
    const counting = countingClient();
    const service = serviceWithSlowUpdate(clock, undefined, counting.client);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    counting.reset();
    await service.provision(updated(request, 2), budget(clock, "w3"));
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
    expect(counting.counts.refusedTenantWrites).toEqual([]);
    // The refused Put of the known tenant, its Query, the declaration (keeping 2 owed), both steps
    // marked stale, the SLS step's claim, update and completion around it, the IM step's
    // fast-forward; then for generations 2 and 3 a claim and a finish each. 13 before: the owed
    // generation's finish first tried the current generation's.
    expect(counting.counts.requests).toBe(12);
    const tenant = (await service.store.getTenant(id)).tenant!;
    expect([tenant.owedAnnouncements, tenant.indexDueAt]).toEqual([[], undefined]);
  });

  it("given up: no refused write on the tenant item; listed, no longer owed, and the newer generation announced after it", async () => {
    const clock = new ShiftedClock();
    const counting = countingClient();
    const service = serviceWithSlowUpdate(clock, undefined, counting.client);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    fx.stack.events.failEntries(1, "MalformedDetail", "Detail is malformed.");
    counting.reset();
    await service.provision(updated(request, 2), budget(clock, "w3"));
    expect(counting.counts.refusedTenantWrites).toEqual([]);
    // As above up to generation 2's claim, then its give-up (one write; two before), and
    // generation 3 waits for the next run.
    expect(counting.counts.requests).toBe(10);
    const gaveUp = (await service.store.getTenant(id)).tenant!;
    expect(announcementView(gaveUp)).toMatchObject({ generation: 2, state: "gave-up", attempts: 1, lastError: { code: "MalformedDetail" } });
    expect(gaveUp.owedAnnouncements).toEqual([]);
    expect((await service.store.listFailedAnnouncements({ limit: 1000 })).map((t) => [t.tenantId, t.announceFailure?.generation])).toContainEqual([id, 2]);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
  });
});

describe("a settled generation racing the declaration of the next one", () => {
  type Interleaving = OutcomeAnnouncer & { meanwhile?: (() => Promise<unknown>) | undefined; failed?: unknown };
  /** The EventBridge announcer, which first runs `meanwhile` (once) when asked to publish; what that threw is kept in `failed`. */
  function announcerWithInterleaving(eventBusName: string): Interleaving {
    const real = eventBridgeAnnouncer(createOutcomeEventPublisher({ eventBusName }));
    const announcer: Interleaving = {
      async announce(announcement) {
        const meanwhile = announcer.meanwhile;
        announcer.meanwhile = undefined;
        try {
          await meanwhile?.();
        } catch (error) {
          announcer.failed = error;
        }
        await real.announce(announcement);
      },
    };
    return announcer;
  }

  it("claimed and publishing when newer generations are declared and run: the claimer's publish counts, nobody publishes generation 2 again", async () => {
    const clock = new ShiftedClock();
    const other = fx.service({ clock });
    const announcer = announcerWithInterleaving(other.config.outcomeEventBusName ?? "");
    const claimer = fx.service({ clock, announcer });
    const request = parseTenantOnboarding(sampleTenant());
    const id = request.tenantId;
    await other.provision(request, budget(clock, "w1"));
    announcer.meanwhile = async () => {
      // Generation 2 is claimed by the run below; generation 3 is declared meanwhile (not run: never settled).
      const third = await declarePresent(updated(request, 2), other.steps.map((s) => s.name), other.store, clock);
      expect(announcementView(third.tenant)).toMatchObject({ generation: 2, state: "publishing", owed: [{ generation: 2 }] });
      // Generation 4 (nothing new to owe) and 5 (owes 4) are declared and settled: generation 2's
      // claim keeps its due time through both, so a backfill now takes nothing over from the claimer.
      await other.provision(updated(request, 3), budget(clock, "w4"));
      await other.provision(updated(request, 4), budget(clock, "w5"));
      await backfillOnce(other, clock);
      const after = (await other.store.getTenant(id)).tenant!;
      expect([after.generation, after.owedAnnouncements?.map((o) => o.generation), after.indexDueAt]).toEqual([5, [2, 4], third.tenant.indexDueAt]);
      expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`]);
    };
    await claimer.provision(updated(request, 1), budget(clock, "w2"));
    expect([announcer.meanwhile, announcer.failed]).toEqual([undefined, undefined]);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`]);
    // Published and no longer owed: the next run announces generations 4 and 5, and 2 never again.
    clock.advance(ANNOUNCE_RETRY_AFTER_MS * 2);
    await backfillOnce(other, clock);
    await backfillOnce(other, clock);
    expect(eventIdsOf(id)).toEqual([1, 2, 4, 5].map((g) => `${id}:${g}:TenantProvisioned`));
  });

  it("settled after the declaring request read it unsettled: the settling run keeps it owed itself and announces it", async () => {
    const clock = new ShiftedClock();
    const service = serviceWithSlowUpdate(clock);
    const request = await generationTwoSettledUnannounced(service, clock);
    const id = request.tenantId;
    // Generation 2 as its run read it; generation 3 is declared by a request that did not see it settled.
    const atTwo = await service.store.getTenant(id);
    const third = await service.store.changeDesired(id, 2, { desired: "PRESENT", source: "webhook", snapshot: { ...updated(request, 2) } });
    expect(third?.owedAnnouncements).toEqual([]);
    // The run that settled generation 2 announces: its claim is lost to generation 3, so it owes and claims it.
    await service.reconcile(atTwo, budget(clock, "w2"));
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`]);
    await backfillOnce(service, clock);
    expect(eventIdsOf(id)).toEqual([`${id}:1:TenantProvisioned`, `${id}:2:TenantProvisioned`, `${id}:3:TenantProvisioned`]);
  });
});
