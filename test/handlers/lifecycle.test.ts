/**
 * The lifecycle through the handlers: an update by webhook and by signup event, an immutable
 * change refused (409 at the webhook, a rejected record at the queue), offboarding by
 * `TenantOffboarded` event and by `DELETE /tenants/{tenantId}`.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, SQSBatchResponse } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UpdateCommand } from "../../src/aws/dynamodb/index.ts";
import { tenantKey } from "../../src/outcomes/keys.ts";
import type { JsonObject } from "../../src/outcomes/types.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../src/provisioning/tenant.ts";
import type { Service } from "../../src/service.ts";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, signupEvent, signWebhook, sqsEvent, sqsRecord, statusEvent, webhookEvent, withoutSource } from "../support/lambda.ts";
import { expectReplyMatchesOpenApi } from "../support/openapi.ts";
import { HANG_CAP } from "../support/hang-cap.ts";
import { captureOutput, loadHandlers, readRejection, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let createOffboardHandler: (typeof import("../../handlers/offboard.ts"))["createOffboardHandler"];
let service: Service;
/**
 * The webhook's own service: these tests check what a request changes, not the inline budget
 * (webhook.test.ts and webhook-deadline.test.ts do), so the budget is the whole invocation's.
 * With the default 3 s (1 s of provider time after the 2 s safety margin) a loaded machine ran
 * out of it and the tenant went to the queue.
 */
let webhookService: Service;
let output: CapturedOutput;

/** The invocation the webhook requests get, and the request budget within it (less the 1 s reply margin). */
const WEBHOOK_INVOCATION_MS = 25_000;
const WEBHOOK_BUDGET_MS = WEBHOOK_INVOCATION_MS - 1_000;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
  createOffboardHandler = (await import("../../handlers/offboard.ts")).createOffboardHandler;
  service = fx.service();
  webhookService = fx.service({}, { WEBHOOK_REQUEST_BUDGET_MS: String(WEBHOOK_BUDGET_MS) });
});
afterAll(() => output.restore());

const imGroup = (tenantId: string) => fx.stack.im.state().groups.filter((g) => g.groupId === `tenant-${tenantId}`);
const slsGroup = (tenantId: string) =>
  Object.values(fx.stack.sls.state().groups)
    .flatMap((byLogstore) => Object.values(byLogstore).flat())
    .filter((g) => g.name === `tenant-${tenantId}`);
const later = (request: TenantOnboarding, changes: Record<string, unknown>, ms = 1_000): Record<string, unknown> =>
  withoutSource({ ...request, ...changes, requestedAt: new Date(Date.parse(request.requestedAt) + ms).toISOString() });

async function webhook(data: Record<string, unknown>): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data });
  const event = webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) });
  // With a queue, as deployed: without one a request the budget could not finish was a 500 (the
  // hand-off failed: SIGNUP_QUEUE_URL is not configured), which hid that it had been handed off.
  const handedOff: string[] = [];
  const queue = { enqueue: async (t: TenantOnboarding) => void handedOff.push(t.tenantId) };
  const result: APIGatewayProxyStructuredResultV2 = await invoke(handlers.createWebhookHandler(webhookService, { queue }), event, lambdaContext({ budgetMs: WEBHOOK_INVOCATION_MS }));
  await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", result);
  // Every request of these tests is finished inline; a hand-off means the budget ran out.
  expect(handedOff, `handed to the signup queue (the ${WEBHOOK_BUDGET_MS} ms request budget ran out): ${result.body ?? ""}`).toEqual([]);
  return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") as Record<string, unknown> };
}

async function queue(detail: Record<string, unknown>, detailType = "TenantSignedUp"): Promise<{ failed: string[]; messageId: string }> {
  const record = sqsRecord(JSON.stringify(signupEvent(detail, detailType)));
  const response: SQSBatchResponse = await invoke(handlers.createSignupHandler(service), sqsEvent([record]), lambdaContext({ budgetMs: 30_000 }));
  return { failed: response.batchItemFailures.map((f) => f.itemIdentifier), messageId: record.messageId };
}

function deleteEvent(tenantId: string, authorized = true): APIGatewayProxyEventV2WithIAMAuthorizer {
  const get = statusEvent(tenantId, { authorized });
  return {
    ...get,
    routeKey: "DELETE /tenants/{tenantId}",
    requestContext: { ...get.requestContext, routeKey: "DELETE /tenants/{tenantId}", http: { ...get.requestContext.http, method: "DELETE" } },
  };
}

async function del(event: APIGatewayProxyEventV2WithIAMAuthorizer, own: Service = service) {
  const result: APIGatewayProxyStructuredResultV2 = await invoke(createOffboardHandler(own), event, lambdaContext({ budgetMs: 15_000 }));
  await expectReplyMatchesOpenApi("delete", "/tenants/{tenantId}", result);
  return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") as Record<string, unknown> };
}

describe("updates through the entry points", () => {
  it("webhook: a changed mutable field updates both sandboxes (200); a changed owner is 409 naming data.admin.userId and changes nothing", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await webhook(withoutSource(tenant))).statusCode).toBe(201);

    const updated = await webhook(later(tenant, { displayName: "Renamed", consumerGroup: { timeout: 300 } }));
    expect(updated.statusCode).toBe(200);
    expect(imGroup(tenant.tenantId)[0]?.name).toBe("Renamed");
    expect(slsGroup(tenant.tenantId)[0]?.timeout).toBe(300);

    const records = await service.store.getTenant(tenant.tenantId);
    const sandboxes = JSON.stringify([imGroup(tenant.tenantId), slsGroup(tenant.tenantId)]);
    const refused = await webhook(later(tenant, { admin: { userId: "mallory" }, displayName: "Hijacked" }, 2_000));
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toMatchObject({ error: "immutable-field", issues: [{ field: "data.admin.userId", rule: expect.stringMatching(/^immutable: .+/) }] });
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(records);
    expect(JSON.stringify([imGroup(tenant.tenantId), slsGroup(tenant.tenantId)])).toBe(sandboxes);
  });

  it("webhook: an owner IM refused for good can be corrected while no group exists (it was a 409 though nothing existed at IM)", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { code: 10016, message: "rejected by callback" }, resource: `tenant-${tenant.tenantId}` }] });
    try {
      const refusedAtIm = await webhook(withoutSource(tenant));
      expect(refusedAtIm.statusCode).toBe(200);
      expect(refusedAtIm.body.steps).toContainEqual(expect.objectContaining({ step: "im-group", status: "FAILED_PERMANENT" }));
    } finally {
      fx.stack.im.faults.configure({});
    }
    expect(imGroup(tenant.tenantId)).toEqual([]);

    const corrected = await webhook(later(tenant, { admin: { userId: `${tenant.admin.userId}-fixed` } }));
    expect(corrected.statusCode).toBe(201);
    expect(corrected.body.steps).toContainEqual(expect.objectContaining({ step: "im-group", status: "SUCCEEDED" }));
    expect(imGroup(tenant.tenantId).map((g) => g.owner)).toEqual([`${tenant.admin.userId}-fixed`]);
    expect((await service.store.getTenant(tenant.tenantId)).tenant?.generation).toBe(2);

    // Now the group exists: the owner is fixed again.
    const refused = await webhook(later(tenant, { admin: { userId: "mallory" } }, 2_000));
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toMatchObject({ error: "immutable-field", issues: [{ field: "data.admin.userId" }] });
  });

  it("webhook: a request older than the current generation's changes nothing and says so: 200 with stale naming the generation that stands", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await webhook(withoutSource(tenant))).statusCode).toBe(201);
    const newer = later(tenant, { displayName: "Newer" }, 2_000);
    expect((await webhook(newer)).statusCode).toBe(200);

    const older = await webhook(later(tenant, { displayName: "Older" }, 1_000));
    expect(older.statusCode).toBe(200);
    expect(older.body.stale).toEqual({ generation: 2, requestedAt: newer.requestedAt });
    expect(imGroup(tenant.tenantId)[0]?.name).toBe("Newer");
    // A current request is never flagged.
    expect((await webhook(newer)).body.stale).toBeUndefined();
  });

  // The stale request's reply was 202 {stale, continuing: "in-progress-elsewhere"} while another
  // request held the current generation's step: "accepted, still in progress" for a request that
  // changed nothing and never will.
  it("webhook: a stale request while another request holds the current generation: still 200 with stale, nothing continuing for it", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await webhook(withoutSource(tenant))).statusCode).toBe(201);
    const newer = parseTenantOnboarding({ ...later(tenant, { displayName: "Newer" }, 2_000), source: "webhook" });
    // Another worker's update of generation 2 hangs inside IM, holding the step's lease meanwhile.
    fx.stack.im.faults.configure({ rules: [{ operation: "modify_group_base_info", kind: "hang", resource: `tenant-${tenant.tenantId}` }] });
    try {
      const elsewhere = service.provision(newer, { deadline: Date.now() + 3_000, workerId: "other-worker" });
      await vi.waitFor(async () => {
        const im = (await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "im-group");
        expect(im).toMatchObject({ status: "IN_PROGRESS", leaseOwner: "other-worker" });
      }, HANG_CAP);
      const older = await webhook(later(tenant, { displayName: "Older" }, 1_000));
      expect(older.body.stale).toEqual({ generation: 2, requestedAt: newer.requestedAt });
      expect(older.statusCode).toBe(200);
      expect(older.body.continuing).toBeUndefined();
      await elsewhere;
    } finally {
      fx.stack.im.faults.configure({});
    }
  });

  it("signup event: an update is applied; a changed owner is a rejected record naming detail.admin.userId, acknowledged", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await queue(withoutSource(tenant))).failed).toEqual([]);
    expect((await queue(later(tenant, { imGroup: { notification: "v2 notice" } }))).failed).toEqual([]);
    expect(imGroup(tenant.tenantId)[0]?.notification).toBe("v2 notice");

    const before = await service.store.getTenant(tenant.tenantId);
    const { failed, messageId } = await queue(later(tenant, { admin: { userId: "mallory" } }, 2_000));
    expect(failed).toEqual([]);
    expect((await readRejection(service, messageId))?.issues).toEqual([{ field: "detail.admin.userId", rule: expect.stringContaining("immutable") }]);
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
  });
});

describe("a requestedAt far ahead of the service's clock (a sender's wrong clock or year)", () => {
  // Stored as the generation's time, it would make every later request look older (stale): the
  // tenant could never be updated nor, after an offboarding, signed up again.
  const future = "2999-01-01T00:00:00.000Z";

  it("webhook: 400 naming data.requestedAt, nothing written; later updates still apply", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    const refused = await webhook(withoutSource({ ...tenant, requestedAt: future }));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatchObject({ error: "invalid-request", issues: [{ field: "data.requestedAt", rule: expect.stringContaining("future") }] });
    expect((await service.store.getTenant(tenant.tenantId)).tenant).toBeUndefined();

    expect((await webhook(withoutSource(tenant))).statusCode).toBe(201);
    expect((await webhook(withoutSource({ ...tenant, displayName: "Ahead", requestedAt: future }))).statusCode).toBe(400);
    expect((await webhook(later(tenant, { displayName: "Renamed" }))).statusCode).toBe(200);
    expect(imGroup(tenant.tenantId)[0]?.name).toBe("Renamed");
  });

  it("queue: a TenantOffboarded or TenantSignedUp event from the future is a rejected record naming detail.requestedAt, acknowledged", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await queue(withoutSource(tenant))).failed).toEqual([]);
    const before = await service.store.getTenant(tenant.tenantId);
    for (const [detail, type] of [
      [{ tenantId: tenant.tenantId, requestedAt: future }, "TenantOffboarded"],
      [withoutSource({ ...tenant, displayName: "Ahead", requestedAt: future }), "TenantSignedUp"],
    ] as const) {
      const { failed, messageId } = await queue(detail, type);
      expect(failed).toEqual([]);
      expect((await readRejection(service, messageId))?.issues).toEqual([{ field: "detail.requestedAt", rule: expect.stringContaining("future") }]);
    }
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
  });
});

describe("an update while an older generation's run holds a step", () => {
  it("webhook: 202 continuing through the signup queue (the other run finishes only the older generation)", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    // Another worker is (still) on generation 1 of the IM step, e.g. a retry that lost its way.
    const update = later(tenant, { displayName: "While held" });
    await service.store.changeDesired(tenant.tenantId, 1, { desired: "PRESENT", source: "test", snapshot: { ...tenant, displayName: "Interim", requestedAt: tenant.requestedAt } });
    const held = await service.store.claimStep(tenant.tenantId, "im-group", { owner: "old-worker", leaseMs: 60_000, generation: 2 });
    expect(held.claimed).toBe(true);
    const queued: string[] = [];
    const handler = handlers.createWebhookHandler(service, { queue: { enqueue: async (t) => void queued.push(t.tenantId) } });
    const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: update });
    const result: APIGatewayProxyStructuredResultV2 = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) }), lambdaContext({ budgetMs: 15_000 }));
    await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", result);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body ?? "null")).toMatchObject({ continuing: "signup-queue" });
    expect(queued).toEqual([tenant.tenantId]);
  });
});

describe("offboarding through the entry points", () => {
  it("TenantOffboarded event: both resources removed, records DELETED; a bad detail is a rejected record", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await queue(withoutSource(tenant));
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
    const off = await queue({ tenantId: tenant.tenantId, requestedAt: new Date(Date.now() + 1_000).toISOString() }, "TenantOffboarded");
    expect(off.failed).toEqual([]);
    expect(imGroup(tenant.tenantId)).toHaveLength(0);
    expect(slsGroup(tenant.tenantId)).toHaveLength(0);
    expect((await service.store.getTenant(tenant.tenantId)).steps.map((s) => s.status)).toEqual(["DELETED", "DELETED"]);


    const bad = await queue({ tenantId: tenant.tenantId, requestedAt: "yesterday", extra: 1 }, "TenantOffboarded");
    expect((await readRejection(service, bad.messageId))?.issues).toEqual([
      { field: "detail.requestedAt", rule: "must be a valid datetime" },
      { field: "detail.extra", rule: "unknown field" },
    ]);
  });

  it("an offboarding that overtakes its signup: the older signup arriving later provisions nothing; a newer one does", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    const offAt = new Date(Date.parse(tenant.requestedAt) + 1_000).toISOString();
    expect((await queue({ tenantId: tenant.tenantId, requestedAt: offAt }, "TenantOffboarded")).failed).toEqual([]);
    expect((await queue(withoutSource(tenant))).failed).toEqual([]);
    expect(imGroup(tenant.tenantId)).toHaveLength(0);
    expect(slsGroup(tenant.tenantId)).toHaveLength(0);
    expect(await service.store.getTenant(tenant.tenantId)).toMatchObject({ tenant: { desired: "ABSENT", generation: 1 }, steps: [] });

    expect((await queue(later(tenant, {}, 2_000))).failed).toEqual([]);
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
    expect((await service.store.getTenant(tenant.tenantId)).tenant).toMatchObject({ desired: "PRESENT", generation: 2 });
  });

  it("DELETE /tenants/{tenantId}: IAM-authorised; 404 unknown; 200 with DELETED steps; the status route then shows ABSENT", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    expect((await del(deleteEvent(tenant.tenantId, false))).statusCode).toBe(403);
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
    expect((await del(deleteEvent("nobody-here"))).statusCode).toBe(404);
    expect((await del(deleteEvent("bad id!"))).statusCode).toBe(400);

    const reply = await del(deleteEvent(tenant.tenantId), fx.service()); // a cold process: reads both provider keys
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({ desired: "ABSENT", generation: 2 });
    expect((reply.body.steps as { status: string }[]).map((s) => s.status)).toEqual(["DELETED", "DELETED"]);
    expect(imGroup(tenant.tenantId)).toHaveLength(0);
    expect(slsGroup(tenant.tenantId)).toHaveLength(0);

    const status: APIGatewayProxyStructuredResultV2 = await invoke(handlers.createStatusHandler(service), statusEvent(tenant.tenantId));
    await expectReplyMatchesOpenApi("get", "/tenants/{tenantId}", status);
    expect(JSON.parse(status.body ?? "null")).toMatchObject({ desired: "ABSENT", generation: 2, succeeded: true });
  });
});

describe("offboarding a tenant whose stored request no shape reads (written by an earlier release)", () => {
  /** Provisioned, then a gen 2 request as an earlier release could have stored it, straight to the table. */
  async function storedUnreadable(snapshot: (tenant: TenantOnboarding) => Record<string, unknown>) {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    const { tenant: item } = await service.store.getTenant(tenant.tenantId);
    const stored = snapshot(tenant);
    await service.store.changeDesired(tenant.tenantId, item!.generation, { desired: "PRESENT", source: "signup", snapshot: stored as JsonObject, desiredAt: later(tenant, {})["requestedAt"] as string });
    return tenant;
  }

  it("DELETE: a field no release knows does not stop it: 200, both resources removed (it was a 400 naming a stored field, after ABSENT was recorded)", async () => {
    const tenant = await storedUnreadable((t) => ({ ...t, legacyPlan: "gold" }));
    const reply = await del(deleteEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({ desired: "ABSENT", generation: 3 });
    expect((reply.body.steps as { status: string }[]).map((s) => s.status)).toEqual(["DELETED", "DELETED"]);
    expect(imGroup(tenant.tenantId)).toHaveLength(0);
    expect(slsGroup(tenant.tenantId)).toHaveLength(0);
  });

  it("DELETE and TenantOffboarded when the stored request does not say who owns the IM group: 409 / a rejected record, nothing written", async () => {
    const tenant = await storedUnreadable((t) => ({ ...t, admin: [t.admin.userId] }));
    const before = await service.store.getTenant(tenant.tenantId);
    const reply = await del(deleteEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(409);
    expect(reply.body).toEqual({ error: "stored-tenant-unreadable", tenantId: tenant.tenantId, issues: [{ field: "admin", rule: "must be an object" }] });
    const off = await queue({ tenantId: tenant.tenantId, requestedAt: new Date(Date.now() + 1_000).toISOString() }, "TenantOffboarded");
    expect(off.failed).toEqual([]);
    expect((await readRejection(service, off.messageId))?.issues).toEqual([{ field: "stored.admin", rule: "must be an object" }]);
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
  });
});

describe("a tenant whose stored request cannot be read, after a re-drive has failed its steps", () => {
  async function setSnapshotText(tenantId: string, text: string) {
    await service.documentClient.send(
      new UpdateCommand({ TableName: service.config.outcomeTableName, Key: tenantKey(tenantId), UpdateExpression: "SET #s = :s", ExpressionAttributeNames: { "#s": "snapshot" }, ExpressionAttributeValues: { ":s": text } }),
    );
  }
  /** What a backfill run does to it: re-drive every step (recorded FAILED_PERMANENT StoredRequestUnreadable). */
  async function redrive(tenantId: string) {
    const result = await service.reconcile(await service.store.getTenant(tenantId), { deadline: Date.now() + 8_000, workerId: "bf" });
    expect(result.steps.map((s) => [s.status, s.error?.code])).toEqual([
      ["FAILED_PERMANENT", "StoredRequestUnreadable"],
      ["FAILED_PERMANENT", "StoredRequestUnreadable"],
    ]);
  }

  it("whose IM group was made but never recorded: the owner stays fixed (409 immutable-field) and DELETE stays 409, nothing written (they were 200 after the re-drive)", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.store.registerTenant(tenant.tenantId, { ...tenant, admin: tenant.admin.userId } as unknown as JsonObject, "signup", ["sls-consumer-group", "im-group"]);
    // An earlier attempt made the group and died before recording it (the group is ours: owner and marker).
    fx.stack.im.addForeignGroup({ groupId: `tenant-${tenant.tenantId}`, type: "Private", ownerAccount: tenant.admin.userId, name: "Acme", introduction: `\n[tp:${tenant.tenantId}]` });
    await redrive(tenant.tenantId);
    const before = await service.store.getTenant(tenant.tenantId);

    const hijack = await webhook(later(tenant, { admin: { userId: "mallory" } }));
    expect(hijack.statusCode).toBe(409);
    expect(hijack.body).toMatchObject({ error: "immutable-field", issues: [{ field: "data.admin.userId", rule: expect.stringContaining("admin: must be an object") }] });
    const reply = await del(deleteEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(409);
    expect(reply.body).toEqual({ error: "stored-tenant-unreadable", tenantId: tenant.tenantId, issues: [{ field: "admin", rule: "must be an object" }] });
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(imGroup(tenant.tenantId)).toMatchObject([{ owner: tenant.admin.userId }]);
  });

  it.each([
    ["not JSON", "{not json"],
    ["a JSON array", "[1,2]"],
    ["JSON null", "null"],
    ["a number", "5"],
  ])("whose snapshot is %s: GET 200, an update 409 immutable-field, DELETE 409 stored-tenant-unreadable (all three were 500)", async (what, text) => {
    const tenant = parseTenantOnboarding(sampleTenant());
    expect((await webhook(withoutSource(tenant))).statusCode).toBe(201);
    await setSnapshotText(tenant.tenantId, text);
    const issue = { field: "snapshot", rule: what === "not JSON" ? "not JSON" : "not a JSON object" };

    const status: APIGatewayProxyStructuredResultV2 = await invoke(handlers.createStatusHandler(service), statusEvent(tenant.tenantId));
    expect(status.statusCode).toBe(200);
    await expectReplyMatchesOpenApi("get", "/tenants/{tenantId}", status);
    expect(JSON.parse(status.body ?? "null")).toMatchObject({ desired: "PRESENT", succeeded: true });
    const before = await service.store.getTenant(tenant.tenantId);

    const update = await webhook(later(tenant, { displayName: "Renamed" }));
    expect(update.statusCode).toBe(409);
    expect(update.body).toMatchObject({ error: "immutable-field", issues: [{ field: "data.admin.userId", rule: expect.stringContaining(`snapshot: ${issue.rule}`) }] });
    const reply = await del(deleteEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(409);
    expect(reply.body).toEqual({ error: "stored-tenant-unreadable", tenantId: tenant.tenantId, issues: [issue] });
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(imGroup(tenant.tenantId)).toHaveLength(1);
  });
});

describe("DELETE /tenants/{tenantId} when a removal fails", () => {
  it("answers 202 continuing in the backfill, naming the failed step's provider, code and request id", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    fx.stack.sls.faults.configure({ rules: [{ operation: "DeleteConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: `tenant-${tenant.tenantId}` }] });
    let reply;
    try {
      reply = await del(deleteEvent(tenant.tenantId));
    } finally {
      fx.stack.sls.faults.configure({});
    }
    expect(reply.statusCode).toBe(202);
    expect(reply.body).toMatchObject({ desired: "ABSENT", continuing: "backfill" });
    const steps = Object.fromEntries((reply.body.steps as { step: string }[]).map((s) => [s.step, s]));
    expect(steps["sls-consumer-group"]).toMatchObject({ status: "FAILED_RETRYABLE", error: { provider: "sls", code: "InternalServerError", requestId: expect.any(String) } });
    expect(steps["im-group"]).toMatchObject({ status: "DELETED" });
    expect(steps["im-group"]).not.toHaveProperty("error");
  });
});

describe("DELETE /tenants/{tenantId} in a cold process", () => {
  it("adds a step record the tenant lacks, and answers 202 while another run holds a step", async () => {
    const own = fx.service(); // its own secret caches: the handler reads the provider keys itself
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.store.registerTenant(tenant.tenantId, { ...tenant }, "signup", ["im-group"]); // recorded before a step existed
    const held = await service.store.claimStep(tenant.tenantId, "im-group", { owner: "elsewhere", leaseMs: 60_000 });
    expect(held.claimed).toBe(true);

    const reply = await del(deleteEvent(tenant.tenantId), own);
    expect(reply.statusCode).toBe(202);
    expect(reply.body).toMatchObject({ desired: "ABSENT", generation: 2, continuing: "backfill" });
    const { steps } = await service.store.getTenant(tenant.tenantId);
    expect(steps.map((s) => [s.step, s.status]).sort()).toEqual([
      ["im-group", "IN_PROGRESS"],
      ["sls-consumer-group", "DELETED"],
    ]);
  });
});
