/**
 * Logstores come from the registry in the table: a tenant gets a slot at first provisioning, a
 * full logstore at SLS moves it to the next one with room in the same run, every logstore full is
 * a retryable LogstoresExhausted, and an existing assignment never moves. Against the real SLS
 * sandbox and dynalite.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { LogstoreRegistry } from "../../../src/logstores/index.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { makeStepDue, sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 20 });
const soon = () => Date.now() + 10_000;
let nextLogstore = 0;
/** Sandbox logstores no other test of the file uses. */
const freshLogstores = (n: number) => Array.from({ length: n }, () => `${LOCAL.slsLogstorePrefix}${nextLogstore++}`);
let ddb: DynamoDBClient | undefined;
afterAll(() => ddb?.destroy());

/** A service on a table of its own (an empty registry), with `logstores` registered. */
async function serviceWith(logstores: { name: string; capacity?: number }[]): Promise<Service> {
  ddb ??= new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const table = `logstores-${randomUUID().slice(0, 8)}`;
  await ensureOutcomeTable(ddb, table);
  const service = fx.service({}, { OUTCOME_TABLE_NAME: table });
  await service.logstores.add(logstores);
  return service;
}

let filler = 0;
/** Fills a logstore to SLS's 30 groups with groups made by hand (the registry does not know them). */
async function fillByHand(service: Service, logstore: string): Promise<void> {
  const count = fx.stack.sls.state().groups[LOCAL.slsProject]?.[logstore]?.length ?? 0;
  for (let i = count; i < 30; i++) await service.slsClientFor(logstore).createConsumerGroup({ name: `by-hand-${filler++}`, timeout: 60, order: false }, { deadline: soon() });
}
const whereIs = (name: string) => Object.entries(fx.stack.sls.state().groups[LOCAL.slsProject] ?? {}).filter(([, groups]) => groups.some((g) => g.name === name)).map(([l]) => l);
const counts = async (service: Service) =>
  Object.fromEntries((await service.logstores.list({ fresh: true })).map((l) => [l.name, { assigned: l.assigned, full: l.full }]));
const slsStep = <S extends { step: string }>(result: { steps: S[] }) => result.steps.find((s) => s.step === "sls-consumer-group");
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe("a tenant whose logstore is full", () => {
  it("ends SUCCEEDED in another logstore in the same run; the full one is marked and keeps no slot", async () => {
    const [a, b] = freshLogstores(2);
    const service = await serviceWith([{ name: a! }]);
    await fillByHand(service, a!);
    // The service read the registry while it held only `a`; `b` is added by another process.
    await service.logstores.list();
    await new LogstoreRegistry({ client: service.documentClient, tableName: service.config.outcomeTableName }).add([{ name: b! }]);

    const tenant = parseTenantOnboarding(sampleTenant());
    const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    expect(slsStep(result)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: b, consumerGroup: `tenant-${tenant.tenantId}` } });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([b]);
    expect(await counts(service)).toEqual({ [a!]: { assigned: 0, full: true }, [b!]: { assigned: 1, full: false } });

    // Updates go where the group is; offboarding deletes it and frees its slot.
    const updated = await service.provision(parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 77 }, requestedAt: later(1_000) }), { deadline: soon(), workerId: "w2" });
    expect(slsStep(updated)).toMatchObject({ status: "SUCCEEDED", providerOutcome: "updated", resource: { logstore: b } });
    await service.offboard({ tenantId: tenant.tenantId, requestedAt: later(2_000), source: "op" }, { deadline: soon(), workerId: "w3" });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([]);
    expect((await counts(service))[b!]).toEqual({ assigned: 0, full: false });
  });

  it("never moves a group that exists: a full logstore already holding the tenant's group is success there", async () => {
    const [a, b] = freshLogstores(2);
    const service = await serviceWith([{ name: a! }, { name: b! }]);
    const tenant = parseTenantOnboarding(sampleTenant());
    const name = `tenant-${tenant.tenantId}`;
    // An earlier run took a slot in `a` and its create went through unconfirmed; `a` filled up since.
    await service.logstores.take(a!, tenant.tenantId);
    await service.slsClientFor(a!).createConsumerGroup({ name, timeout: 60, order: false }, { deadline: soon() });
    await fillByHand(service, a!);
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", times: 1, error: { status: 400, code: "ConsumerGroupQuotaExceed" }, resource: name }] });
    try {
      const state = await service.store.registerTenant(tenant.tenantId, tenant as never, "signup", ["sls-consumer-group", "im-group"]);
      expect(state).toHaveLength(2);
      // Its second attempt (the first died before recording): the ledger says `a`.
      const died = await service.store.claimStep(tenant.tenantId, "sls-consumer-group", { owner: "died", leaseMs: 1, generation: 1 });
      expect(died.claimed).toBe(true);
      // Its 1 ms lease lapsed (waited for, not assumed of the next calls' duration).
      const lapsesAt = Date.parse(died.record?.leaseExpiresAt ?? "");
      while (Date.now() <= lapsesAt) await new Promise((resolve) => setImmediate(resolve));
      const result = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: soon(), workerId: "w2" });
      expect(slsStep(result)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: a } });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    expect(whereIs(name)).toEqual([a]);
    expect((await counts(service))[a!]).toEqual({ assigned: 1, full: false });
  });
});

describe("every logstore full", () => {
  it("is a retryable LogstoresExhausted holding no slot and no group; after `logstores add` a repeated signup leaves it waiting and `backfill --now` places it with one create", async () => {
    const [a, b, c] = freshLogstores(3);
    const service = await serviceWith([{ name: a! }, { name: b!, capacity: 1 }]);
    await fillByHand(service, a!);
    const first = parseTenantOnboarding(sampleTenant());
    expect(slsStep(await service.provision(first, { deadline: soon(), workerId: "w1" }))).toMatchObject({ status: "SUCCEEDED", resource: { logstore: b } });

    const tenant = parseTenantOnboarding(sampleTenant());
    const creates = fx.stack.sls.state().createsApplied;
    const result = await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(slsStep(result)).toMatchObject({ status: "FAILED_RETRYABLE", error: { code: "LogstoresExhausted", provider: "sls", errorClass: "transient" } });
    expect(slsStep(result)?.error?.message).toMatch(/all 2 registered logstores are full: add one with `npm run cli -- logstores add NAME`/);
    expect(fx.stack.sls.state().createsApplied).toBe(creates);
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([]);
    expect(await service.logstores.holderOf(tenant.tenantId)).toBeUndefined();
    expect(await counts(service)).toEqual({ [a!]: { assigned: 0, full: true }, [b!]: { assigned: 1, full: false } });
    // The metric: a StepFailed with code LogstoresExhausted (the core reports every step's end).
    const logged = fx.logger.lines.filter((l) => l.includes(tenant.tenantId) && l.includes("LogstoresExhausted"));
    expect(logged.length).toBeGreaterThan(0);

    await service.logstores.add([{ name: c! }]);
    // Before its backoff passed, a repeat of the signup leaves it waiting (no call, no attempt)...
    const early = await service.provision(tenant, { deadline: soon(), workerId: "w3" });
    expect(slsStep(early)).toMatchObject({ status: "FAILED_RETRYABLE", action: "not-due", attempts: 1 });
    expect(fx.stack.sls.state().createsApplied).toBe(creates);
    // ...and the runbook's `backfill --now` (a re-drive ignoring the backoff) places it at once.
    const again = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: soon(), workerId: "backfill", ignoreBackoff: true });
    expect(slsStep(again)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: c } });
    expect(fx.stack.sls.state().createsApplied).toBe(creates + 1);
    expect((await counts(service))[c!]).toEqual({ assigned: 1, full: false });
  });
});

describe("an existing assignment", () => {
  it("never moves when the registry changes: updates, operator re-drives and the backfill keep the recorded logstore", async () => {
    const [a, b] = freshLogstores(2);
    const service = await serviceWith([{ name: a! }]);
    const tenant = parseTenantOnboarding(sampleTenant());
    const name = `tenant-${tenant.tenantId}`;
    expect(slsStep(await service.provision(tenant, { deadline: soon(), workerId: "w1" }))).toMatchObject({ resource: { logstore: a } });

    // The registry changes: `a` is marked full, `b` is added with all the room.
    await service.logstores.markFull(a!);
    await service.logstores.add([{ name: b! }]);
    const updated = await service.provision(parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 90 }, requestedAt: later(1_000) }), { deadline: soon(), workerId: "w2" });
    expect(slsStep(updated)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: a } });
    const { result: redriven } = await service.retry({ tenantId: tenant.tenantId }, { deadline: soon(), workerId: "operator" });
    expect(slsStep(redriven)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: a } });
    // The group gone out of band: the backfill's re-drive makes it again in `a`, its slot still held.
    await service.slsClientFor(a!).removeConsumerGroup({ name }, { deadline: soon() });
    await service.provision(parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 91 }, requestedAt: later(2_000) }), { deadline: soon(), workerId: "w3" });
    expect(whereIs(name)).toEqual([a]);
    expect(await counts(service)).toEqual({ [a!]: { assigned: 1, full: true }, [b!]: { assigned: 0, full: false } });

    // Offboarding frees the slot (and the full mark: SLS has room there again); a signup after
    // that takes a slot in its old logstore again.
    await service.offboard({ tenantId: tenant.tenantId, requestedAt: later(3_000), source: "op" }, { deadline: soon(), workerId: "w4" });
    expect(await counts(service)).toEqual({ [a!]: { assigned: 0, full: false }, [b!]: { assigned: 0, full: false } });
    const back = await service.provision(parseTenantOnboarding({ ...tenant, requestedAt: later(4_000) }), { deadline: soon(), workerId: "w5" });
    expect(slsStep(back)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: a } });
    expect(whereIs(name)).toEqual([a]);
  });

  it("a run that took a slot and failed before recording it: the next attempt finds the slot in the ledger, one slot, one group", async () => {
    const [a, b, c] = freshLogstores(3);
    const service = await serviceWith([{ name: a! }, { name: b! }, { name: c! }]);
    const tenant = parseTenantOnboarding(sampleTenant());
    const name = `tenant-${tenant.tenantId}`;
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: name }] });
    let first;
    try {
      first = await service.provision(tenant, { deadline: Date.now() + 3_000, workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    expect(slsStep(first)).toMatchObject({ status: "FAILED_RETRYABLE", resource: {} });
    const held = await service.logstores.holderOf(tenant.tenantId);
    expect([a, b, c]).toContain(held);
    await makeStepDue(service, tenant.tenantId, "sls-consumer-group");
    for (let i = 0; i < 3; i++) {
      const again = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: soon(), workerId: `w${i + 2}` });
      expect(slsStep(again)).toMatchObject({ status: "SUCCEEDED", resource: { logstore: held } });
    }
    expect(whereIs(name)).toEqual([held]);
    const assigned = Object.values(await counts(service)).reduce((n, l) => n + l.assigned, 0);
    expect(assigned).toBe(1);
  });
});

describe("a deployment that still has SLS_LOGSTORE", () => {
  it("fills an empty registry from it once, counting the groups SLS holds; recorded tenants stay, new ones fill the room", async () => {
    const [a, b] = freshLogstores(2);
    ddb ??= new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const table = `logstores-${randomUUID().slice(0, 8)}`;
    await ensureOutcomeTable(ddb, table);
    const env = { OUTCOME_TABLE_NAME: table, SLS_LOGSTORE: `${a},${b}` };
    const service = fx.service({}, env);
    // Before the upgrade: `a` holds 29 groups, one of them a tenant's recorded there.
    const old = parseTenantOnboarding(sampleTenant());
    await service.slsClientFor(a!).createConsumerGroup({ name: `tenant-${old.tenantId}`, timeout: 60, order: false }, { deadline: soon() });
    for (let i = 0; i < 28; i++) await service.slsClientFor(a!).createConsumerGroup({ name: `legacy-${filler++}`, timeout: 60, order: false }, { deadline: soon() });

    const tenants = [parseTenantOnboarding(sampleTenant()), parseTenantOnboarding(sampleTenant()), parseTenantOnboarding(sampleTenant())];
    const placed = await Promise.all(tenants.map((t, i) => fx.service({}, env).provision(t, { deadline: soon(), workerId: `w${i}` })));
    const where = placed.map((r) => slsStep(r)?.resource["logstore"]);
    // Each run picks at random among the logstores with room (so processes do not all contend
    // for one item): `a`'s last slot may go to one of them or to none; never more.
    const inA = where.filter((l) => l === a).length;
    expect(inA).toBeLessThanOrEqual(1);
    expect(where.filter((l) => l === b)).toHaveLength(3 - inA);
    expect(await counts(service)).toEqual({ [a!]: { assigned: 29 + inA, full: false }, [b!]: { assigned: 3 - inA, full: false } });
    expect(await service.logstores.holderOf(old.tenantId)).toBe(a);
    // The old tenant offboarded later frees its slot in `a`.
    await service.store.registerTenant(old.tenantId, old as never, "signup", ["sls-consumer-group"]);
    const claim = await service.store.claimStep(old.tenantId, "sls-consumer-group", { owner: "legacy", leaseMs: 60_000 });
    if (!claim.claimed) throw new Error("expected the claim");
    await service.store.completeStep(claim.record, { status: "SUCCEEDED", resource: { consumerGroup: `tenant-${old.tenantId}`, logstore: a! } });
    await service.offboard({ tenantId: old.tenantId, requestedAt: "now", source: "op" }, { deadline: soon(), workerId: "w9" });
    expect(whereIs(`tenant-${old.tenantId}`)).toEqual([]);
    expect((await counts(service))[a!]).toEqual({ assigned: 28 + inA, full: false });
  });
});
