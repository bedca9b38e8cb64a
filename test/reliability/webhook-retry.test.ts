
import { DynamoDBDocumentClient, PutCommand } from "../../src/aws/dynamodb/index.ts";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput, type OutputCapture } from "../../bench/chaos/capture.ts";
import { signWebhook, webhookEvent } from "../../bench/chaos/events.ts";
import { runBackfill } from "../../src/backfill/backfill.ts";
import { localLambdaContext } from "../../src/local/lambda-context.ts";
import type { Service } from "../../src/service.ts";
import { useLocalStack } from "../support/local-stack.ts";

const fx = useLocalStack();

type WebhookEntry = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let createWebhookHandler: (typeof import("../../handlers/webhook.ts"))["createWebhookHandler"];

let output: OutputCapture;

beforeAll(async () => {
  ({ createWebhookHandler } = await import("../../handlers/webhook.ts"));
  output = captureOutput({ passThrough: process.env["SHOW_HANDLER_LOGS"] === "1" });
});

afterAll(() => output?.restore());

/**
 * A document client whose first Put of the tenant item (`TENANT#<id>`, sk `TENANT`) fails as
 * DynamoDB throttling would; every other call goes through.
 */
function failingFirstTenantPut(tenantId: string): DynamoDBDocumentClient {
  const client = new DynamoDBDocumentClient();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let failed = false;
  const flaky = async (command: unknown): Promise<unknown> => {
    const item = command instanceof PutCommand ? command.input.Item : undefined;
    if (!failed && item?.["pk"] === `TENANT#${tenantId}` && item["sk"] === "TENANT") {
      failed = true;
      throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), { name: "ProvisionedThroughputExceededException" });
    }
    return send(command);
  };
  client.send = flaky as unknown as typeof client.send;
  return client;
}

function tenantBody(tenantId: string): string {
  return JSON.stringify({
    type: "tenant.created",
    data: { tenantId, displayName: "Retry Co", admin: { userId: `admin-${tenantId}` }, requestedAt: new Date().toISOString() },
  });
}

async function deliver(service: Service, tenantId: string, times: number): Promise<APIGatewayProxyStructuredResultV2[]> {
  const handler = createWebhookHandler(service, { queue: { enqueue: async () => undefined } }) as unknown as WebhookEntry;
  const body = tenantBody(tenantId);
  // A Standard Webhooks sender retries a message with the same webhook-id and body.
  const headers = signWebhook(fx.stack.credentials.webhookSecret, body);
  const replies: APIGatewayProxyStructuredResultV2[] = [];
  for (let i = 0; i < times; i++) replies.push(await handler(webhookEvent(body, headers), localLambdaContext("tenant-provisioner-webhook", 29_000)));
  return replies;
}

describe("a webhook whose request failed on our side (DynamoDB throttled the tenant's registration)", () => {
  it("is answered 500, and the sender's retry with the same webhook-id is provisioned", async () => {
    const tenantId = `retry-${Date.now().toString(36)}`;
    // The retry must provision inline (201): an inline budget wider than the default 3 s, which
    // leaves ~1 s for both providers after the safety margin and handed off (202) on a loaded
    // machine. The budget is not what this test is about (webhook.test.ts tests it).
    const service = fx.service({ documentClient: failingFirstTenantPut(tenantId) }, { WEBHOOK_REQUEST_BUDGET_MS: "12000" });
    const [first, retry] = await deliver(service, tenantId, 2);
    expect(first?.statusCode).toBe(500);
    expect(retry?.statusCode, retry?.body).toBe(201);
    const { tenant, steps } = await service.store.getTenant(tenantId);
    expect(tenant).toBeDefined();
    expect(steps.map((s) => s.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });

  it("without a retry, the backfill provisions the half-registered tenant or at least reports it", async () => {
    const tenantId = `orphan-${Date.now().toString(36)}`;
    const service = fx.service({ documentClient: failingFirstTenantPut(tenantId) });
    const [first] = await deliver(service, tenantId, 1);
    expect(first?.statusCode).toBe(500);

    const AHEAD_MS = 2 * 60 * 60_000;
    const report = await runBackfill(
      { deadline: Date.now() + AHEAD_MS + 60_000, perTenantBudgetMs: 10_000, concurrency: 4, pageSize: 100 },
      {
        store: service.store,
        positions: service.positions,
        // As the scheduled backfill would run two hours later: every backoff has passed.
        reconcile: (state, deadline, walk) => service.reconcile(state, { deadline: deadline - AHEAD_MS, workerId: `backfill/${state.tenant?.tenantId ?? ""}`, ...walk }),
        clock: { now: () => Date.now() + AHEAD_MS, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      },
    );
    expect(report.complete).toBe(true);
    const { steps } = await service.store.getTenant(tenantId);
    const stillPending = steps.filter((s) => s.status === "PENDING").length;
    expect({ stillPending, reported: report.invalid + report.retryable + report.permanent }).not.toMatchObject({ stillPending: 2, reported: 0 });
  });
});
