/**
 * The `sls-consumer-group` step on its own (the SLS sandbox over HTTP, the logstore registry on
 * dynalite): what it plans from a record, where read/update/remove go, a removal that also
 * looks where an earlier move began, and a move recorded before the create.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { slsConsumerGroupStep } from "../../../src/provisioning/steps/sls-consumer-group.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 24 });
const soon = () => ({ deadline: Date.now() + 10_000 });
let next = 0;
const fresh = (n: number) => Array.from({ length: n }, () => `${LOCAL.slsLogstorePrefix}${next++}`);
let ddb: DynamoDBClient | undefined;
afterAll(() => ddb?.destroy());

async function setUp(logstores: { name: string; capacity?: number }[]) {
  ddb ??= new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const table = `step-${randomUUID().slice(0, 8)}`;
  await ensureOutcomeTable(ddb, table);
  const service: Service = fx.service({}, { OUTCOME_TABLE_NAME: table });
  await service.logstores.add(logstores);
  const step = slsConsumerGroupStep({ config: service.config, clientFor: service.slsClientFor, logstores: service.logstores });
  const tenant = parseTenantOnboarding(sampleTenant({ consumerGroup: { timeout: 45, order: true } }));
  return { service, step, tenant, name: `tenant-${tenant.tenantId}` };
}
const groupsIn = (logstore: string) => fx.stack.sls.state().groups[LOCAL.slsProject]?.[logstore] ?? [];
const calls = (operation: string) => fx.stack.sls.state().calls[operation] ?? 0;

describe("plan", () => {
  it("places the group where the record says; a move begun after placing is also looked at", async () => {
    const [a, b] = fresh(2);
    const { step, tenant, name } = await setUp([{ name: a! }, { name: b! }]);
    const group = { name, timeout: 45, order: true, tenantId: tenant.tenantId };
    expect(step.plan(tenant, {})).toEqual({ ...group, logstore: undefined });
    expect(step.plan(tenant, { logstore: a! })).toEqual({ ...group, logstore: a });
    expect(step.plan(tenant, { placing: b! })).toEqual({ ...group, logstore: b });
    expect(step.plan(tenant, { logstore: a!, placing: a! })).toEqual({ ...group, logstore: a });
    expect(step.plan(tenant, { logstore: a!, placing: b! })).toEqual({ ...group, logstore: a, alsoAt: b });
    // Where it lives is not part of a change.
    expect(step.planIdentity?.(step.plan(tenant, { logstore: a! }))).toEqual(step.planIdentity?.(step.plan(tenant, { logstore: b! })));
  });
});

describe("read and update", () => {
  it("read: nothing recorded is absent without a call; recorded, the group there", async () => {
    const [a] = fresh(1);
    const { step, tenant, service, name } = await setUp([{ name: a! }]);
    const lists = calls("ListConsumerGroup");
    expect(await step.read?.(step.plan(tenant, {}), soon())).toBeUndefined();
    expect(calls("ListConsumerGroup")).toBe(lists);
    await service.slsClientFor(a!).createConsumerGroup({ name: "someone-else", timeout: 60, order: false }, soon());
    await service.slsClientFor(a!).createConsumerGroup({ name, timeout: 45, order: true }, soon());
    expect(await step.read?.(step.plan(tenant, { logstore: a! }), soon())).toEqual({ name, timeout: 45, order: true });
  });

  it("update: the same settings are 'unchanged' without an update call; others are updated in place; a group gone is made again", async () => {
    const [a] = fresh(1);
    const { step, tenant, service, name } = await setUp([{ name: a! }]);
    const placed = await step.ensure(step.plan(tenant, {}), soon());
    expect(placed).toEqual({ outcome: "created", resource: { consumerGroup: name, logstore: a } });
    const plan = step.plan(tenant, { logstore: a! });

    const updates = calls("UpdateConsumerGroup");
    expect(await step.update?.(plan, soon())).toEqual({ outcome: "unchanged", resource: { consumerGroup: name, logstore: a } });
    expect(calls("UpdateConsumerGroup")).toBe(updates);

    const timeoutOnly = step.plan(parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 50, order: true } }), { logstore: a! });
    expect(await step.update?.(timeoutOnly, soon())).toEqual({ outcome: "updated", resource: { consumerGroup: name, logstore: a } });
    const orderOnly = step.plan(parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 50, order: false } }), { logstore: a! });
    expect(await step.update?.(orderOnly, soon())).toMatchObject({ outcome: "updated" });
    expect(groupsIn(a!)).toEqual([{ name, timeout: 50, order: false }]);

    await service.slsClientFor(a!).removeConsumerGroup({ name }, soon());
    expect(await step.update?.(plan, soon())).toEqual({ outcome: "created", resource: { consumerGroup: name, logstore: a } });
    expect(groupsIn(a!)).toEqual([{ name, timeout: 45, order: true }]);
  });

  it("update with no logstore recorded places the group like a first ensure", async () => {
    const [a] = fresh(1);
    const { step, tenant, name } = await setUp([{ name: a! }]);
    expect(await step.update?.(step.plan(tenant, {}), soon())).toEqual({ outcome: "created", resource: { consumerGroup: name, logstore: a } });
  });
});

describe("remove", () => {
  it("with nothing recorded and no slot in the ledger: already absent, no SLS call", async () => {
    const [a] = fresh(1);
    const { step, tenant } = await setUp([{ name: a! }]);
    const deletes = calls("DeleteConsumerGroup");
    expect(await step.remove(step.plan(tenant, {}), soon())).toEqual({ outcome: "already-absent" });
    expect(calls("DeleteConsumerGroup")).toBe(deletes);
  });

  it("with nothing recorded but a slot in the ledger: removes there and frees the slot", async () => {
    const [a] = fresh(1);
    const { step, tenant, service } = await setUp([{ name: a! }]);
    await step.ensure(step.plan(tenant, {}), { ...soon(), mayHaveRunBefore: false });
    expect(await step.remove(step.plan(tenant, {}), soon())).toEqual({ outcome: "removed" });
    expect(groupsIn(a!)).toEqual([]);
    expect(await service.logstores.holderOf(tenant.tenantId)).toBeUndefined();
  });

  it("also removes where a move began, and says 'removed' when only that one existed", async () => {
    const [a, b] = fresh(2);
    const { step, tenant, service, name } = await setUp([{ name: a! }, { name: b! }]);
    await service.logstores.take(a!, tenant.tenantId);
    await service.slsClientFor(a!).createConsumerGroup({ name, timeout: 45, order: true }, soon());
    await service.slsClientFor(b!).createConsumerGroup({ name, timeout: 45, order: true }, soon());
    expect(await step.remove(step.plan(tenant, { logstore: a!, placing: b! }), soon())).toEqual({ outcome: "removed" });
    expect([groupsIn(a!), groupsIn(b!)]).toEqual([[], []]);
    expect(await service.logstores.holderOf(tenant.tenantId)).toBeUndefined();

    await service.logstores.take(a!, tenant.tenantId);
    await service.slsClientFor(b!).createConsumerGroup({ name, timeout: 45, order: true }, soon());
    expect(await step.remove(step.plan(tenant, { logstore: a!, placing: b! }), soon())).toEqual({ outcome: "removed" });
    expect(groupsIn(b!)).toEqual([]);
  });
});

describe("ensure", () => {
  it("records a move before creating when the recorded logstore has no room, and never otherwise", async () => {
    const [a, b] = fresh(2);
    const { step, tenant, service, name } = await setUp([{ name: a!, capacity: 1 }, { name: b! }]);
    const pinned: Record<string, string>[] = [];
    const pinResource = async (resource: Record<string, string>) => {
      pinned.push(resource);
    };
    // Another tenant holds a's only slot.
    await service.logstores.take(a!, "someone-else");
    expect(await step.ensure(step.plan(tenant, { logstore: a! }), { ...soon(), pinResource })).toEqual({ outcome: "created", resource: { consumerGroup: name, logstore: b } });
    expect(pinned).toEqual([{ consumerGroup: name, logstore: b }]);

    // Recorded where it goes: nothing to pin.
    expect(await step.ensure(step.plan(tenant, { logstore: b! }), { ...soon(), pinResource })).toMatchObject({ resource: { logstore: b } });
    expect(pinned).toHaveLength(1);
  });

  it("passes on any SLS failure but a full logstore, keeping the slot for the next attempt", async () => {
    const [a, b] = fresh(2);
    const { step, tenant, service, name } = await setUp([{ name: a! }, { name: b! }]);
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", resource: name, error: { status: 400, code: "ParameterInvalid" } }] });
    try {
      await expect(step.ensure(step.plan(tenant, {}), soon())).rejects.toMatchObject({ code: "ParameterInvalid" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const held = await service.logstores.holderOf(tenant.tenantId);
    expect([a, b]).toContain(held);
    const counts = Object.fromEntries((await service.logstores.list({ fresh: true })).map((l) => [l.name, { assigned: l.assigned, full: l.full }]));
    expect(Object.values(counts).filter((c) => c.full)).toEqual([]);
    expect(await step.ensure(step.plan(tenant, {}), soon())).toEqual({ outcome: "created", resource: { consumerGroup: name, logstore: held } });
  });
});
