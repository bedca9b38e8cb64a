/**
 * The text rules of 2026-12-01 bind text that would be newly stored (src/provisioning/stored-text.ts).
 * A request an earlier release accepted and stored with a name they refuse (a zero-width space),
 * delivered again after the deploy through the entry points (a webhook resend, the signup queue's
 * copy or a DLQ replay, an update keeping the name), is accepted as the stored tenant's request;
 * a name changed to another refused one, or a new tenant with such a name, is still refused.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackfill } from "../../src/backfill/backfill.ts";
import { STEP_NAMES } from "../../src/outcomes/constants.ts";
import type { JsonObject } from "../../src/outcomes/types.ts";
import type { Service } from "../../src/service.ts";
import { NEW_TEXT_RULES } from "../../src/validation/readable-text.ts";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, signupEvent, signWebhook, sqsEvent, sqsRecord, webhookEvent, withoutSource } from "../support/lambda.ts";
import { expectReplyMatchesOpenApi } from "../support/openapi.ts";
import { captureOutput, loadHandlers, readRejection, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let service: Service;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
  service = fx.service({}, { WEBHOOK_REQUEST_BUDGET_MS: "12000" });
});
afterAll(() => output.restore());

/** A display name the earlier rule took and the new one refuses (U+200B between two words). */
const STORED_NAME = "Acme\u200bCorp";
const invisibleAt = (field: string, at: number) => ({ field, rule: `${NEW_TEXT_RULES.invisible}: U+200B at character ${at}` });
const imGroup = (tenantId: string) => fx.stack.im.state().groups.find((g) => g.groupId === `tenant-${tenantId}`);
const later = (request: Record<string, unknown>, changes: Record<string, unknown>) => ({
  ...request,
  ...changes,
  requestedAt: new Date(Date.parse(String(request["requestedAt"])) + 1_000).toISOString(),
});

/**
 * A tenant an earlier release stored and provisioned: the request as it came, through the
 * store's own writes (never through today's input rule), its steps run by the backfill.
 */
async function provisionedByEarlierRelease() {
  const request = sampleTenant({ displayName: STORED_NAME, source: "webhook" as const });
  await service.store.registerTenant(request.tenantId, { ...request } as JsonObject, request.source, STEP_NAMES);
  const report = await runBackfill(
    { deadline: Date.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    {
      store: service.store,
      positions: { load: async () => undefined, save: async () => undefined },
      reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: "w-backfill", ...walk }),
    },
  );
  expect(report).toMatchObject({ invalid: 0, permanent: 0 });
  expect(imGroup(request.tenantId)?.name).toBe(STORED_NAME);
  return request;
}

interface Reply {
  statusCode: number;
  body: { error?: string; issues?: { field: string; rule: string }[]; tenantId?: string; steps?: { step: string; status: string }[] };
}

async function webhookCall(tenant: Record<string, unknown>): Promise<Reply> {
  const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
  const event: APIGatewayProxyEventV2 = webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) });
  const result: APIGatewayProxyStructuredResultV2 = await invoke(handlers.createWebhookHandler(service), event, lambdaContext({ budgetMs: 15_000 }));
  await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", result);
  return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") as Reply["body"] };
}

async function signupCall(tenant: Record<string, unknown>) {
  const record = sqsRecord(JSON.stringify(signupEvent(withoutSource(tenant))));
  const response: SQSBatchResponse = await invoke(handlers.createSignupHandler(service), sqsEvent([record]), lambdaContext({ budgetMs: 30_000 }));
  return { failed: response.batchItemFailures.length, rejection: await readRejection(service, record.messageId) };
}

describe("a request an earlier release stored with a name the new text rules refuse, delivered again", () => {
  it("a webhook resend of the same request is answered as a resend (200, the current outcome), not refused", async () => {
    const request = await provisionedByEarlierRelease();
    const reply = await webhookCall(request);
    expect(reply.statusCode).toBe(200);
    expect(reply.body.tenantId).toBe(request.tenantId);
    expect(reply.body.steps?.map((s) => [s.step, s.status]).sort()).toEqual([
      ["im-group", "SUCCEEDED"],
      ["sls-consumer-group", "SUCCEEDED"],
    ]);
    const { tenant } = await service.store.getTenant(request.tenantId);
    expect(tenant).toMatchObject({ generation: 1, snapshot: request });
  });

  it("the signup queue's copy of the same request (a hand-off, a DLQ replay) is processed and acknowledged, not rejected", async () => {
    const request = await provisionedByEarlierRelease();
    expect(await signupCall({ ...request, source: "signup" })).toEqual({ failed: 0, rejection: undefined });
    expect((await service.store.getTenant(request.tenantId)).tenant).toMatchObject({ generation: 1 });
  });

  it("an update changing the notification and keeping the stored name is accepted (generation 2), the name as stored", async () => {
    const request = await provisionedByEarlierRelease();
    const update = later(request, { imGroup: { notification: "Maintenance on Sunday" } });
    expect(await signupCall(update)).toEqual({ failed: 0, rejection: undefined });
    const { tenant } = await service.store.getTenant(request.tenantId);
    expect(tenant).toMatchObject({ generation: 2, snapshot: { displayName: STORED_NAME, imGroup: { notification: "Maintenance on Sunday" } } });
    expect(imGroup(request.tenantId)).toMatchObject({ name: STORED_NAME, notification: "Maintenance on Sunday" });
  });

  it("a request changing the name to another invisible-character name is still refused naming the field and the rule", async () => {
    const request = await provisionedByEarlierRelease();
    const renamed = later(request, { displayName: "Acme\u2060Corp" });
    const reply = await webhookCall(renamed);
    expect(reply.statusCode).toBe(400);
    expect(reply.body.issues).toEqual([{ field: "data.displayName", rule: `${NEW_TEXT_RULES.invisible}: U+2060 at character 5` }]);
    const queued = await signupCall(renamed);
    expect(queued.failed).toBe(0);
    expect(queued.rejection?.issues).toEqual([{ field: "detail.displayName", rule: `${NEW_TEXT_RULES.invisible}: U+2060 at character 5` }]);
    expect((await service.store.getTenant(request.tenantId)).tenant).toMatchObject({ generation: 1, snapshot: request });
  });

  it("the stored name with another field's rule broken is refused with every issue, unchanged", async () => {
    const request = await provisionedByEarlierRelease();
    const reply = await webhookCall(later(request, { consumerGroup: { timeout: 0 } }));
    expect(reply.statusCode).toBe(400);
    expect(reply.body.issues?.map((i) => i.field).sort()).toEqual(["data.consumerGroup.timeout", "data.displayName"]);
  });

  it("a request for an unknown tenant with such a name is still refused, and nothing is written", async () => {
    const fresh = sampleTenant({ displayName: STORED_NAME });
    const reply = await webhookCall(fresh);
    expect(reply.statusCode).toBe(400);
    expect(reply.body.issues).toEqual([invisibleAt("data.displayName", 5)]);
    const queued = await signupCall(fresh);
    expect(queued.rejection?.issues).toEqual([invisibleAt("detail.displayName", 5)]);
    expect((await service.store.getTenant(fresh.tenantId)).tenant).toBeUndefined();
  });
});
