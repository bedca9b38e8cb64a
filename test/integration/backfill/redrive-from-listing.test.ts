/**
 * The backfill re-drives a tenant its page listed with every step under a lease on the tenant
 * item instead of a read of it (src/provisioning/provision.ts reconcileListed). What must hold
 * as before: one announcement per generation whoever else runs the tenant meanwhile, one owner
 * per step, a lease that ends with its run, and a listing that is behind never acted on. The
 * interleavings are fixed by hooks (the announcer, the page read), never by timing.
 */
import { watchCommands } from "../../support/watch-commands.ts";
import { describe, expect, it } from "vitest";
import { DeleteCommand, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import { runBackfill, type BackfillDependencies } from "../../../src/backfill/backfill.ts";
import { STORED_REQUEST_UNREADABLE } from "../../../src/provisioning/constants.ts";
import { STEP_NAMES } from "../../../src/outcomes/constants.ts";
import { stepKey, tenantKey } from "../../../src/outcomes/keys.ts";
import type { JsonObject } from "../../../src/outcomes/types.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { announcerWithInterleaving } from "../../support/interleaving-announcer.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
// Far enough that no lease taken here lapses while the test runs, however loaded the machine.
const soon = () => Date.now() + 120_000;
const eventsOf = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId);
const imCreates = (tenantId: string) => fx.stack.im.state().groups.filter((g) => g.groupId === `tenant-${tenantId}`).length;

/** The DynamoDB requests `service` sends from now on: the command and the partition it reads or writes (`index` for a page). */
function countCommands(service: Service): string[] {
  const sent: string[] = [];
  watchCommands(service.documentClient, (command) => {
    const input = command.input as { IndexName?: string; Key?: { pk?: unknown }; ExpressionAttributeValues?: Record<string, unknown> };
    const pk = input.Key?.pk ?? input.ExpressionAttributeValues?.[":pk"];
    const partition = input.IndexName ? "index" : String(pk).split("#")[0];
    sent.push(`${command.commandName.replace(/Command$/, "")} ${partition}`);
  });
  return sent;
}
/** A tenant's own requests: its items, and the slot its consumer group takes in the registry. */
const tenantRequests = (sent: string[]) => sent.filter((r) => r.endsWith(" TENANT") || r === "UpdateItem LOGSTORE");

/** A tenant registered with both steps PENDING (as the bench seeds them), due now. */
async function registered(service: Service) {
  const request = parseTenantOnboarding(sampleTenant());
  await service.store.registerTenant(request.tenantId, { ...request } as JsonObject, request.source, STEP_NAMES);
  return request;
}

/** One whole backfill run as the handler wires it (the listing first, the read as fallback); `afterPage` runs once after the first page is read. */
function backfillOnce(service: Service, options: { afterPage?: () => Promise<unknown>; listed?: boolean } = {}) {
  const positions = { load: async () => undefined, save: async () => undefined };
  let afterPage = options.afterPage;
  const store: BackfillDependencies["store"] = {
    getTenant: (id) => service.store.getTenant(id),
    async listUnfinished(page) {
      const listed = await service.store.listUnfinished(page);
      const hook = afterPage;
      afterPage = undefined;
      await hook?.();
      return listed;
    },
  };
  let run = 0;
  const workerId = () => `backfill-${++run}`;
  return runBackfill(
    { deadline: Date.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    {
      store,
      positions,
      reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: workerId(), ...walk }),
      ...(options.listed === false ? {} : { reconcileListed: (listed, deadline, walk) => service.reconcileListed(listed, { deadline, workerId: workerId(), ...walk }) }),
    },
  );
}

describe("the backfill re-drives a listed tenant under a lease instead of a read", () => {
  it("provisions and announces it once with 7 DynamoDB requests where reading it took 8, and the lease ends with the run", async () => {
    for (const listed of [false, true]) {
      const service = fx.service();
      const request = await registered(service);
      const sent = countCommands(service);
      const report = await backfillOnce(service, { listed });
      expect(report).toMatchObject({ tenants: 1, succeeded: 1, complete: true });
      // Listed: a lease in place of the read and the announcement's claim (a publish, then one write).
      expect(tenantRequests(sent), sent.join(", ")).toEqual(
        listed
          ? ["UpdateItem TENANT", ...Array(5).fill(expect.stringMatching(/^UpdateItem (TENANT|LOGSTORE)$/)), "UpdateItem TENANT"]
          : ["Query TENANT", ...Array(5).fill(expect.stringMatching(/^UpdateItem (TENANT|LOGSTORE)$/)), "UpdateItem TENANT", "UpdateItem TENANT"],
      );
      expect(eventsOf(request.tenantId).map((e) => e.detail["generation"])).toEqual([1]);
      const tenant = (await service.store.getTenant(request.tenantId)).tenant!;
      expect(tenant).toMatchObject({ announcedGeneration: 1, announcedOutcome: "TenantProvisioned" });
      expect(tenant.leaseOwner).toBeUndefined();
      expect(tenant.leaseExpiresAt).toBeUndefined();
      // Out of the index: nothing left for the next run.
      expect((await service.store.listUnfinished({ limit: 1000, dueBefore: new Date(soon()).toISOString() })).tenants).not.toContain(request.tenantId);
    }
  });

  it("another run that finds the tenant settled while the lease holds does not announce it: one event", async () => {
    const other = fx.service();
    const announcer = announcerWithInterleaving(other.config.outcomeEventBusName ?? "");
    const backfill = fx.service({ announcer });
    const request = await registered(backfill);
    announcer.meanwhile = async () => {
      // Both steps are recorded SUCCEEDED; the backfill is about to publish under its lease.
      const seen = await other.reconcile(await other.store.getTenant(request.tenantId), { deadline: soon(), workerId: "webhook-run" });
      expect(seen.succeeded).toBe(true);
      expect(eventsOf(request.tenantId)).toEqual([]);
    };
    expect(await backfillOnce(backfill)).toMatchObject({ succeeded: 1 });
    expect(announcer.meanwhile).toBeUndefined();
    expect(eventsOf(request.tenantId)).toHaveLength(1);
    // And nobody announces it again afterwards.
    await other.reconcile(await other.store.getTenant(request.tenantId), { deadline: soon(), workerId: "late-run" });
    expect(eventsOf(request.tenantId)).toHaveLength(1);
  });

  it("a step another run claimed after the page was read stays that run's: the backfill's claim is refused, it makes no provider call for it, and ends its lease", async () => {
    const service = fx.service();
    const request = await registered(service);
    const id = request.tenantId;
    let taken: Awaited<ReturnType<Service["store"]["claimStep"]>> | undefined;
    const report = await backfillOnce(service, {
      afterPage: async () => {
        taken = await service.store.claimStep(id, "im-group", { owner: "webhook-run", leaseMs: 120_000 });
      },
    });
    expect(taken?.claimed).toBe(true);
    expect(report).toMatchObject({ tenants: 1, succeeded: 0, retryable: 1 });
    const { tenant, steps } = await service.store.getTenant(id);
    expect(steps.find((s) => s.step === "im-group")).toMatchObject({ status: "IN_PROGRESS", leaseOwner: "webhook-run", attempts: 1 });
    expect(steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED" });
    expect(imCreates(id)).toBe(0);
    // Released, not left to lapse: the run that owns the step announces as soon as it is done.
    expect(tenant?.leaseOwner).toBeUndefined();
    expect(eventsOf(id)).toEqual([]);
    if (!taken?.claimed) throw new Error("unreachable");
    await service.store.completeStep(taken.record, { status: "SUCCEEDED", resource: { groupId: `tenant-${id}` } });
    await service.reconcile(await service.store.getTenant(id), { deadline: soon(), workerId: "webhook-run-2" });
    expect(eventsOf(id)).toHaveLength(1);
  });

  it("a listing that is behind (a newer generation declared after the page) takes no lease: the tenant is read afresh and run at its generation", async () => {
    const service = fx.service();
    const request = await registered(service);
    const id = request.tenantId;
    const sent = countCommands(service);
    const renamed = parseTenantOnboarding({ ...request, displayName: "Renamed", requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });
    const report = await backfillOnce(service, {
      afterPage: async () => {
        // Declared only: its own run has not started yet.
        const before = (await service.store.getTenant(id)).tenant!;
        expect(await service.store.changeDesired(id, before.generation, { snapshot: { ...renamed } as JsonObject, source: "webhook", desired: "PRESENT", desiredAt: renamed.requestedAt })).toBeDefined();
      },
    });
    expect(report).toMatchObject({ tenants: 1, succeeded: 1 });
    const { tenant, steps } = await service.store.getTenant(id);
    expect(tenant).toMatchObject({ generation: 2, announcedGeneration: 2 });
    expect(tenant?.leaseOwner).toBeUndefined();
    expect(steps.map((s) => [s.step, s.status, s.observedGeneration])).toEqual(
      expect.arrayContaining([
        ["im-group", "SUCCEEDED", 2],
        ["sls-consumer-group", "SUCCEEDED", 2],
      ]),
    );
    // Generation 1 was never acted on as listed: only generation 2 is announced.
    expect(eventsOf(id).map((e) => e.detail["generation"])).toEqual([2]);
    // After the hook's read and change: the refused lease, then the read it falls back to.
    expect(tenantRequests(sent).slice(0, 4)).toEqual(["Query TENANT", "UpdateItem TENANT", "UpdateItem TENANT", "Query TENANT"]);
  });

  it("a step that fails retryably: the lease is released, and another run announces once the step succeeds", async () => {
    const service = fx.service();
    const request = await registered(service);
    const id = request.tenantId;
    // Every IM call fails transiently (10002, system error): the IM step ends FAILED_RETRYABLE.
    fx.stack.im.faults.configure({ rules: [{ kind: "error", error: { code: 10002 } }] });
    try {
      const report = await backfillOnce(service);
      expect(report.succeeded).toBe(0);
    } finally {
      fx.stack.im.faults.configure({});
    }
    const { tenant, steps } = await service.store.getTenant(id);
    expect(steps.find((s) => s.step === "im-group")?.status).toBe("FAILED_RETRYABLE");
    expect(tenant?.leaseOwner).toBeUndefined();
    expect(tenant?.announcedGeneration).toBeUndefined();
    expect(eventsOf(id)).toEqual([]);
    // Any run may take over at once (no lease to wait out): an operator's re-drive or the next backfill.
    const retried = await service.retry({ tenantId: id }, { deadline: soon(), workerId: "operator" });
    expect(retried.result.succeeded).toBe(true);
    expect(eventsOf(id)).toHaveLength(1);
  });

  it("checks the leased tenant's request afresh when it is not the one listed: a request no shape reads calls no provider, and fails its steps naming why", async () => {
    const service = fx.service();
    const request = await registered(service);
    const page = await service.store.listUnfinished({ limit: 1000, dueBefore: new Date(soon()).toISOString() });
    const tenant = page.tenantRecords.find((t) => t.tenantId === request.tenantId);
    if (!tenant) throw new Error("not listed");
    // Edited by hand at the same generation after the listing (no release writes that): the lease
    // still holds at the listed generation, but the request it answers with has an owner of the wrong type.
    await service.documentClient.send(
      new UpdateCommand({
        TableName: service.config.outcomeTableName,
        Key: tenantKey(request.tenantId),
        UpdateExpression: "SET #snapshot = :snapshot",
        ExpressionAttributeNames: { "#snapshot": "snapshot" },
        ExpressionAttributeValues: { ":snapshot": JSON.stringify({ ...request, admin: { userId: 42 } }) },
      }),
    );
    const listed = { tenant, steps: page.items.filter((s) => s.tenantId === request.tenantId) };
    try {
      const result = await service.reconcileListed(listed, { deadline: soon(), workerId: "backfill-edited" });
      expect(result).toMatchObject({ succeeded: false, retryable: false });
      expect(imCreates(request.tenantId)).toBe(0);
      const after = await service.store.getTenant(request.tenantId);
      expect(after.steps.map((s) => [s.status, s.lastError?.code, s.lastError?.message])).toEqual(
        STEP_NAMES.map(() => ["FAILED_PERMANENT", STORED_REQUEST_UNREADABLE, "stored tenant: invalid input: admin.userId: must be a string"]),
      );
    } finally {
      // Out of the table: the other tests' runs walk the same index.
      for (const key of [tenantKey(request.tenantId), ...STEP_NAMES.map((step) => stepKey(request.tenantId, step))]) {
        await service.documentClient.send(new DeleteCommand({ TableName: service.config.outcomeTableName, Key: key }));
      }
    }
  });
});
