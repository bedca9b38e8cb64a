/**
 * Re-signup after offboarding (found by review; both tests failed before the step recorded a move). The DELETED record keeps `resource.logstore` (the old
 * logstore L1), so the step's plan has `logstore: L1` and the SLS step never looks at the ledger
 * (`plan.logstore ?? holderOf`). L1 is full again (another tenant took the freed slot): the
 * re-signup's ensure falls over to a random logstore Lx. A retryable failure there records no
 * resource (only SUCCEEDED/CONFLICT/DELETED write it), so the record still says L1:
 *  - an offboarding then removes in L1 (nothing there) and releases nothing: the slot in Lx and
 *    the consumer group made there leak for good;
 *  - a retry prefers L1 again (full), picks another random logstore: a second slot and group.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "../../../src/aws/dynamodb/index.ts";
import { afterAll, describe, expect, it } from "vitest";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { LOGSTORE_PK } from "../../../src/outcomes/table-map.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 24 });
const soon = () => Date.now() + 10_000;
let next = 0;
const fresh = (n: number) => Array.from({ length: n }, () => `${LOCAL.slsLogstorePrefix}${next++}`);
let ddb: DynamoDBClient | undefined;
afterAll(() => ddb?.destroy());
async function serviceWith(logstores: { name: string; capacity?: number }[]): Promise<Service> {
  ddb ??= new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const table = `rv-${randomUUID().slice(0, 8)}`;
  await ensureOutcomeTable(ddb, table);
  const service = fx.service({}, { OUTCOME_TABLE_NAME: table });
  await service.logstores.add(logstores);
  return service;
}
const whereIs = (name: string) =>
  Object.entries(fx.stack.sls.state().groups[LOCAL.slsProject] ?? {}).filter(([, groups]) => groups.some((g) => g.name === name)).map(([l]) => l);
async function ledger(service: Service, tenantId: string): Promise<string[]> {
  const q = await service.documentClient.send(
    new QueryCommand({
      TableName: service.config.outcomeTableName,
      KeyConditionExpression: "#pk = :pk",
      FilterExpression: "contains(#tenants, :t)",
      ExpressionAttributeNames: { "#pk": "pk", "#tenants": "tenants" },
      ExpressionAttributeValues: { ":pk": LOGSTORE_PK, ":t": tenantId },
      ConsistentRead: true,
    }),
  );
  return (q.Items ?? []).map((i) => String(i["name"])).sort();
}
// A later requestedAt for the next request (ISO times have millisecond resolution).
const tick = () => new Promise((r) => setTimeout(r, 5));

/** T placed in L1 (capacity 1), offboarded, U takes L1, more logstores added, T signs up again with a 500-after-create. */
async function setUp(count = 6) {
  const [l1, ...others] = fresh(count);
  const service = await serviceWith([{ name: l1!, capacity: 1 }]);
  const raw = sampleTenant();
  const t = parseTenantOnboarding(raw);
  const first = await service.provision(t, { deadline: soon(), workerId: "w1" });
  expect(first.succeeded).toBe(true);
  await tick();
  expect((await service.offboard({ tenantId: t.tenantId, requestedAt: "now", source: "api" }, { deadline: soon(), workerId: "w2" })).succeeded).toBe(true);
  const u = parseTenantOnboarding(sampleTenant());
  expect((await service.provision(u, { deadline: soon(), workerId: "w3" })).succeeded).toBe(true);
  await service.logstores.add(others.map((name) => ({ name })));
  await tick();
  const again = parseTenantOnboarding({ ...raw, requestedAt: new Date().toISOString() });
  fx.stack.sls.faults.configure({
    rules: [{ operation: "CreateConsumerGroup", kind: "error-after-effect", error: { status: 500, code: "InternalServerError" }, resource: `tenant-${t.tenantId}`, times: 20 }],
  });
  try {
    const r = await service.provision(again, { deadline: soon(), workerId: "w4" });
    expect(r.steps.find((s) => s.step === "sls-consumer-group")?.status).toBe("FAILED_RETRYABLE");
  } finally {
    fx.stack.sls.faults.configure({});
  }
  return { service, t, l1: l1! };
}

describe("re-signup after offboarding, old logstore full again", () => {
  it("an offboarding after a failed re-signup removes the group and frees the slot", async () => {
    const { service, t } = await setUp();
    const placed = whereIs(`tenant-${t.tenantId}`);
    expect(placed).toHaveLength(1);
    expect(await ledger(service, t.tenantId)).toEqual(placed);
    await tick();
    const off = await service.offboard({ tenantId: t.tenantId, requestedAt: "now", source: "api" }, { deadline: soon(), workerId: "w5" });
    expect(off.succeeded).toBe(true);
    expect(whereIs(`tenant-${t.tenantId}`)).toEqual([]);
    expect(await ledger(service, t.tenantId)).toEqual([]);
  });

  it("the retry after a failed re-signup keeps one group and one slot", async () => {
    // L1 full (U), Lx the only other logstore: the failed re-signup made the group and took a slot in Lx.
    const { service, t } = await setUp(2);
    const [lx] = whereIs(`tenant-${t.tenantId}`);
    expect(await ledger(service, t.tenantId)).toEqual([lx]);
    // Lx is then marked full (another tenant's ConsumerGroupQuotaExceed), and Ly is added.
    await service.logstores.markFull(lx!);
    await service.logstores.add(fresh(1).map((name) => ({ name })));
    let state = await service.store.getTenant(t.tenantId);
    // A few retries (backfill), each a random pick among logstores with room.
    for (let i = 0; i < 3; i++) {
      const s = state.steps.find((x) => x.step === "sls-consumer-group")!;
      await service.reconcile(state, { deadline: soon(), workerId: `w-retry-${i}`, dueBefore: s.nextAttemptAt ?? new Date().toISOString() });
      state = await service.store.getTenant(t.tenantId);
    }
    expect(whereIs(`tenant-${t.tenantId}`)).toHaveLength(1);
    expect(await ledger(service, t.tenantId)).toHaveLength(1);
  });
});
