/**
 * A full logstore (SLS holds 30 consumer groups each): the group falls over to a logstore with
 * room and stays there; with every logstore full the step fails permanently, and after the
 * operator appends a logstore, `retry` provisions it there with exactly one create.
 */
import { describe, expect, it } from "vitest";
import { logstoreFor } from "../../../src/provisioning/logstore-choice.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 10 });
const soon = () => Date.now() + 10_000;
const logstores = () => fx.stack.env["SLS_LOGSTORE"]!.split(",");
let filler = 0;

/** Fills a logstore to SLS's 30 groups with groups of no tenant. */
async function fill(service: Service, logstore: string): Promise<void> {
  const client = service.slsClients.get(logstore)!;
  const count = Object.values(fx.stack.sls.state().groups).flatMap((p) => p[logstore] ?? []).length;
  for (let i = count; i < 30; i++) await client.createConsumerGroup({ name: `filler-${filler++}`, timeout: 60, order: false }, { deadline: soon() });
}
const whereIs = (name: string) =>
  Object.values(fx.stack.sls.state().groups).flatMap((p) => Object.entries(p).filter(([, groups]) => groups.some((g) => g.name === name)).map(([l]) => l));

describe("a full logstore", () => {
  it("falls over to a logstore with room, records it, and updates and removals go there", async () => {
    const [a, b] = logstores();
    const env = { SLS_LOGSTORE: `${a},${b}` };
    const service = fx.service({}, env);
    const tenant = parseTenantOnboarding(sampleTenant());
    const hashed = logstoreFor(tenant.tenantId, [a!, b!]);
    const other = hashed === a ? b! : a!;
    await fill(service, hashed);

    const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", resource: { logstore: other } });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([other]);

    const update = parseTenantOnboarding({ ...tenant, consumerGroup: { timeout: 77 }, requestedAt: new Date(Date.now() + 1_000).toISOString() });
    const updated = await service.provision(update, { deadline: soon(), workerId: "w2" });
    expect(updated.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", providerOutcome: "updated" });
    expect(fx.stack.sls.state().groups[fx.stack.env["SLS_PROJECT"]!]?.[other]?.find((g) => g.name === `tenant-${tenant.tenantId}`)?.timeout).toBe(77);

    await service.offboard({ tenantId: tenant.tenantId, requestedAt: new Date(Date.now() + 2_000).toISOString(), source: "op" }, { deadline: soon(), workerId: "w3" });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([]);
  });

  it("every logstore full: FAILED_PERMANENT; the operator appends a logstore and re-drives: SUCCEEDED there, one create", async () => {
    const [, , c, d] = logstores();
    const before = fx.service({}, { SLS_LOGSTORE: c! });
    await fill(before, c!);
    const tenant = parseTenantOnboarding(sampleTenant());
    const first = await before.provision(tenant, { deadline: soon(), workerId: "w1" });
    expect(first.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "FAILED_PERMANENT", error: { code: "ConsumerGroupQuotaExceed" } });

    const creates = fx.stack.sls.state().createsApplied;
    const after = fx.service({}, { SLS_LOGSTORE: `${c},${d}` }); // appended
    const { result } = await after.retry({ tenantId: tenant.tenantId, step: "sls-consumer-group" }, { deadline: soon(), workerId: "operator" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", resource: { logstore: d } });
    expect(fx.stack.sls.state().createsApplied - creates).toBe(1);
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([d]);
  });
});

describe("a run that read the step before another run recorded where the group goes", () => {
  it("plans from the record it claimed: the group stays where it was placed, no second group", async () => {
    const [, , , , a, b] = logstores();
    const env = { SLS_LOGSTORE: `${a},${b}` };
    const tenant = parseTenantOnboarding(sampleTenant());
    const hashed = logstoreFor(tenant.tenantId, [a!, b!]);
    const other = hashed === a ? b! : a!;
    const name = `tenant-${tenant.tenantId}`;
    const first = fx.service({}, env);
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: name }] });
    try {
      await first.provision(tenant, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const stale = await first.store.getTenant(tenant.tenantId); // read before the other run below

    // Another run (its logstore was full then) records its move and creates there, then dies.
    const other_run = await first.store.claimStep(tenant.tenantId, "sls-consumer-group", { owner: "dying", leaseMs: 1_000, generation: 1 });
    if (!other_run.claimed) throw new Error("expected the claim");
    await first.store.pinResource(other_run.record, { placing: other });
    await first.slsClients.get(other)!.createConsumerGroup({ name, timeout: 60, order: false }, { deadline: soon() });
    const creates = fx.stack.sls.state().createsApplied;

    // Later (its lease lapsed), a run with the stale read takes the step over.
    const later = fx.service({ clock: new ShiftedClock(120_000) }, env);
    const result = await later.reconcile(stale, { deadline: soon(), workerId: "w2" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", resource: { logstore: other } });
    expect(whereIs(name)).toEqual([other]);
    expect(fx.stack.sls.state().createsApplied).toBe(creates);
  });
});

describe("a tenant signed up again after offboarding, whose logstore filled up meanwhile", () => {
  // Its group was removed, so the recorded logstore no longer holds anything of it: a full one
  // must fall over like a new tenant's, not pin the step to FAILED_PERMANENT that no `retry`
  // and no appended logstore could ever fix.
  async function offboardedIntoFullLogstore(env: Record<string, string>) {
    const service = fx.service({}, env);
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    const [home] = whereIs(`tenant-${tenant.tenantId}`);
    await service.offboard({ tenantId: tenant.tenantId, requestedAt: new Date(Date.now() + 1_000).toISOString(), source: "op" }, { deadline: soon(), workerId: "w2" });
    await fill(service, home!);
    const again = parseTenantOnboarding({ ...tenant, requestedAt: new Date(Date.now() + 2_000).toISOString() });
    return { service, tenant, again, home: home! };
  }

  it("falls over to a logstore with room, one group, and a later offboarding removes it there", async () => {
    const [, , , , , , g, h] = logstores();
    const { service, tenant, again, home } = await offboardedIntoFullLogstore({ SLS_LOGSTORE: `${g},${h}` });
    const other = home === g ? h! : g!;
    const result = await service.provision(again, { deadline: soon(), workerId: "w3" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", resource: { logstore: other } });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([other]);
    await service.offboard({ tenantId: tenant.tenantId, requestedAt: new Date(Date.now() + 3_000).toISOString(), source: "op" }, { deadline: soon(), workerId: "w4" });
    expect(whereIs(`tenant-${tenant.tenantId}`)).toEqual([]);
  });

  it("a move that created the group and died before recording it: the offboarding still removes it", async () => {
    const [, , , , , , , , i, j] = logstores();
    const env = { SLS_LOGSTORE: `${i},${j}` };
    const { service, tenant, again, home } = await offboardedIntoFullLogstore(env);
    const other = home === i ? j! : i!;
    const name = `tenant-${tenant.tenantId}`;
    // The signup again is declared (generation 3), but its SLS step fails transiently at first.
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: name }] });
    try {
      await service.provision(again, { deadline: soon(), workerId: "w3" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    // A run finds the old logstore full, records its move, creates the group there, then dies.
    const dying = await service.store.claimStep(tenant.tenantId, "sls-consumer-group", { owner: "dying", leaseMs: 1_000, generation: 3 });
    if (!dying.claimed) throw new Error("expected the claim");
    await service.store.pinResource(dying.record, { placing: other });
    await service.slsClients.get(other)!.createConsumerGroup({ name, timeout: 60, order: false }, { deadline: soon() });
    expect(whereIs(name)).toEqual([other]);

    // Its lease lapsed; the tenant is offboarded: the group at the move's logstore goes too.
    const later = fx.service({ clock: new ShiftedClock(120_000) }, env);
    const offboarded = await later.offboard({ tenantId: tenant.tenantId, requestedAt: "now", source: "api" }, { deadline: soon(), workerId: "w4" });
    expect(offboarded.steps.find((s) => s.step === "sls-consumer-group")?.status).toBe("DELETED");
    expect(whereIs(name)).toEqual([]);
  });
});
