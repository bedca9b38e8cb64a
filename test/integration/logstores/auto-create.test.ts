/**
 * SLS_LOGSTORE_AUTO_CREATE: a tenant that finds every registered logstore full gets the next one,
 * created through CreateLogStore at the SLS sandbox and registered on dynalite; processes racing
 * create one; the project's logstore quota stops it permanently; off, nothing changes.
 *
 * The sandbox's project starts with 2 logstores and may hold 3 (its quota), so exactly one can be
 * created; each test starts from an empty sandbox and a table of its own whose registry holds
 * tenant-events-0 and -1 (full, but for the first test).
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 2, slsLogstoreQuota: 3 });
const ON = { SLS_LOGSTORE_AUTO_CREATE: "true", SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS: "7", SLS_LOGSTORE_AUTO_CREATE_SHARDS: "1" };
const FULL = [`${LOCAL.slsLogstorePrefix}0`, `${LOCAL.slsLogstorePrefix}1`];
const NEXT = `${LOCAL.slsLogstorePrefix}2`;
let ddb: DynamoDBClient | undefined;
let table = "";
afterAll(() => ddb?.destroy());

beforeEach(async () => {
  fx.stack.sls.reset();
  ddb ??= new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  table = `grow-${randomUUID().slice(0, 8)}`;
  await ensureOutcomeTable(ddb, table);
});

/** Registers tenant-events-0 and -1, full by count (capacity 1, one group made by hand each) unless `room` names one. */
async function register(room?: string): Promise<void> {
  await service().logstores.add(FULL.map((name) => ({ name, capacity: 1, existingGroups: name === room ? 0 : 1 })));
}

/** A service (a process) on this test's table, with only the SLS step. */
function service(env: Record<string, string> = {}): Service {
  return fx.service({ steps: (builtIn) => builtIn.filter((s) => s.name === "sls-consumer-group") }, { OUTCOME_TABLE_NAME: table, ...env });
}

async function provision(on: Service, request: Record<string, unknown> = sampleTenant()) {
  const tenant = parseTenantOnboarding(request);
  const step = (await on.provision(tenant, { deadline: Date.now() + 30_000, workerId: randomUUID() })).steps[0];
  return { tenant, status: step?.status, logstore: step?.resource["logstore"], error: step?.error };
}

const sls = () => fx.stack.sls.state();
const created = () => (sls().createdLogstores[LOCAL.slsProject] ?? []).map((l) => l.name);
const groupsIn = (logstore: string) => (sls().groups[LOCAL.slsProject]?.[logstore] ?? []).map((g) => g.name);

describe("SLS_LOGSTORE_AUTO_CREATE off (the default)", () => {
  it("a tenant finding every logstore full waits, FAILED_RETRYABLE LogstoresExhausted, and no logstore is created", async () => {
    await register();
    const { status, error } = await provision(service());
    expect([status, error?.code, error?.errorClass]).toEqual(["FAILED_RETRYABLE", "LogstoresExhausted", "transient"]);
    expect(error?.message).toBe("all 2 registered logstores are full: add one with `npm run cli -- logstores add NAME`");
    expect(sls().calls["CreateLogStore"]).toBeUndefined();
    expect((await service().logstores.list({ fresh: true })).map((e) => e.name)).toEqual(FULL);
  });
});

describe("SLS_LOGSTORE_AUTO_CREATE on", () => {
  it("a tenant finding every logstore full ends SUCCEEDED in the next logstore, created and registered; placed tenants stay", async () => {
    // One tenant placed before the growth, in the last slot there was.
    await register(FULL[0]);
    const earlyRequest = sampleTenant();
    const early = await provision(service(ON), earlyRequest);
    expect([early.status, early.logstore]).toEqual(["SUCCEEDED", FULL[0]]);

    const p = service(ON);
    const { status, logstore, tenant } = await provision(p);
    // The highest registered number is 1: the next is 2.
    expect([status, logstore]).toEqual(["SUCCEEDED", NEXT]);
    expect(sls().createdLogstores[LOCAL.slsProject]).toEqual([{ name: logstore, ttl: 7, shardCount: 1, autoSplit: false }]);
    expect(groupsIn(logstore!)).toEqual([`tenant-${tenant.tenantId}`]);
    const entry = (await p.logstores.list({ fresh: true })).find((e) => e.name === logstore);
    expect([entry?.assigned, entry?.capacity, entry?.full]).toEqual([1, 30, false]);

    // The tenant placed before keeps its logstore through an update of its group.
    const update = { ...earlyRequest, requestedAt: new Date(Date.now() + 1_000).toISOString(), consumerGroup: { timeout: 90, order: false } };
    const again = await service(ON).provision(parseTenantOnboarding(update), {
      deadline: Date.now() + 30_000,
      workerId: "w-update",
    });
    expect([again.steps[0]?.status, again.steps[0]?.resource["logstore"]]).toEqual(["SUCCEEDED", FULL[0]]);
    expect(sls().groups[LOCAL.slsProject]?.[FULL[0]!]).toEqual([{ name: `tenant-${early.tenant.tenantId}`, timeout: 90, order: false }]);
    expect(sls().calls["CreateLogStore"]).toBe(1);
  });

  it("six processes finding every logstore full at once create exactly one logstore, and all six tenants end in it", async () => {
    await register();
    const processes = Array.from({ length: 6 }, () => service(ON));
    const results = await Promise.all(processes.map((p) => provision(p)));
    expect(results.map((r) => [r.status, r.logstore])).toEqual(Array.from({ length: 6 }, () => ["SUCCEEDED", NEXT]));
    expect(created()).toEqual([NEXT]);
    expect(groupsIn(NEXT).sort()).toEqual(results.map((r) => `tenant-${r.tenant.tenantId}`).sort());
    const registry = await processes[0]!.logstores.list({ fresh: true });
    expect(registry.map((e) => [e.name, e.assigned])).toEqual([[FULL[0], 1], [FULL[1], 1], [NEXT, 6]]);
  });

  it("a next logstore that exists at SLS unregistered (a process died before registering it): registered with what it holds, the tenant placed there", async () => {
    await register();
    const p = service(ON);
    await p.slsClientFor(NEXT).createLogStore({ name: NEXT, ttl: 1, shardCount: 1 });
    for (const g of ["by-hand-1", "by-hand-2"]) await p.slsClientFor(NEXT).createConsumerGroup({ name: g, timeout: 60, order: false });
    const { status, logstore } = await provision(p);
    expect([status, logstore]).toEqual(["SUCCEEDED", NEXT]);
    expect(created()).toEqual([NEXT]);
    expect(sls().calls["CreateLogStore"]).toBe(2);
    const entry = (await p.logstores.list({ fresh: true })).find((e) => e.name === NEXT);
    expect(entry?.assigned).toBe(3);
  });

  it("the project's logstore quota reached: FAILED_PERMANENT LogstoreQuotaReached naming the quota, holding no slot", async () => {
    await register();
    const p = service(ON);
    await p.slsClientFor("spare").createLogStore({ name: "spare-one", ttl: 1, shardCount: 1 });
    const { status, error, tenant } = await provision(p);
    expect([status, error?.code, error?.errorClass, error?.httpStatus, error?.provider]).toEqual(["FAILED_PERMANENT", "LogstoreQuotaReached", "permanent", 400, "sls"]);
    expect(error?.message).toContain(`all 2 registered logstores are full and SLS project ${LOCAL.slsProject} refused another (ProjectQuotaExceed`);
    expect(error?.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(created()).toEqual(["spare-one"]);
    expect((await p.logstores.list({ fresh: true })).map((e) => [e.name, e.assigned])).toEqual([[FULL[0], 1], [FULL[1], 1]]);
    expect(await p.logstores.holderOf(tenant.tenantId)).toBeUndefined();
  });

  it("a CreateLogStore that never answers stops at the step's deadline (not the attempt timeout), FAILED_RETRYABLE, nothing registered", async () => {
    await register();
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateLogStore", kind: "hang" }] });
    try {
      // Attempts may last 30 s: only the run's deadline can end this one.
      const p = service({ ...ON, PROVIDER_ATTEMPT_TIMEOUT_MS: "30000" });
      const tenant = parseTenantOnboarding(sampleTenant());
      const step = (await p.provision(tenant, { deadline: Date.now() + 4_000, workerId: "w-hang" })).steps[0];
      expect([step?.status, step?.error?.code]).toEqual(["FAILED_RETRYABLE", "Transport.timeout"]);
      expect((await p.logstores.list({ fresh: true })).map((e) => e.name)).toEqual(FULL);
    } finally {
      fx.stack.sls.faults.configure({});
    }
  });

  it("an SLS key not allowed log:CreateLogStore: the step waits as a credentials failure (SLS's Unauthorized, retried slowly), nothing registered", async () => {
    await register();
    const denied = { status: 401, code: "Unauthorized", message: "denied by sts or ram, action: log:CreateLogStore" };
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateLogStore", kind: "error", error: denied }] });
    try {
      const p = service(ON);
      const { status, error } = await provision(p);
      expect([status, error?.code, error?.errorClass, error?.httpStatus]).toEqual(["FAILED_RETRYABLE", "Unauthorized", "credentials", 401]);
      // The key was read again, in case a rotation was under way; unchanged, it is not sent again.
      expect(sls().calls["CreateLogStore"]).toBe(1);
      expect(created()).toEqual([]);
      expect((await p.logstores.list({ fresh: true })).map((e) => e.name)).toEqual(FULL);
    } finally {
      fx.stack.sls.faults.configure({});
    }
  });
});
