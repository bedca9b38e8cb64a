/**
 * The webhook handler when DynamoDB hangs (observed in AWS: a 20 s stall became a 20.2 s reply):
 * the call is cut off at the request deadline and the tenant handed to the signup queue (202).
 * DynamoDB sits behind a real HTTP server that forwards to dynalite but never answers the calls
 * the test chooses to stall. The invocation's budget is injected through the Lambda context; the
 * path taken is read from the reply, the logged error and what the stalled server saw. The only
 * time bound asserted is a ceiling far above the budget that only a hanging call would break.
 */
import { dynamoDbError, watchCommands } from "../support/watch-commands.ts";
import { SqsSendMessageClient } from "../../src/queue/sqs-send-message.ts";
import { DynamoDBDocumentClient, ProvisionedThroughputExceededException, type DocumentClient } from "../../src/aws/dynamodb/index.ts";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSqsStandIn } from "../../src/local/sqs.ts";
import { sqsSignupQueue, type SignupQueue } from "../../src/queue/signup-queue.ts";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, signWebhook, webhookEvent, withoutSource } from "../support/lambda.ts";
import { expectReplyMatchesOpenApi } from "../support/openapi.ts";
import { startStallingServer, type StallingServer } from "../support/stalling-server.ts";
import { captureOutput, loadHandlers, until, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let dynamodb: StallingServer;
let stallProvisioning = true;
let documentClient: DynamoDBDocumentClient;
/** DynamoDB behind a server that answers nothing at all. */
let hung: StallingServer;
let hungClient: DynamoDBDocumentClient;

beforeAll(async () => {
  handlers = await loadHandlers();
  // Stalls every DynamoDB call but the replay guard's (WEBHOOK#<id> items): the id is remembered,
  // then provisioning's first write hangs.
  dynamodb = await startStallingServer({
    forwardTo: fx.stack.dynamodb.endpoint,
    stall: (_req, body) => stallProvisioning && !body.includes("WEBHOOK#"),
  });
  documentClient = new DynamoDBDocumentClient({ endpoint: dynamodb.url });
  hung = await startStallingServer();
  hungClient = new DynamoDBDocumentClient({ endpoint: hung.url });
});
afterAll(async () => {
  documentClient.destroy();
  hungClient.destroy();
  await dynamodb.close();
  await hung.close();
});

/**
 * The handler a resend reaches once DynamoDB answers. It must provision inline (201): that is what
 * shows the first delivery left nothing half-done. The budget is widened because these tests are
 * about the cut-off, not about fitting two providers' calls into the ~1 s the default 3 s budget
 * leaves after the safety margin, which a loaded machine missed (a 202 hand-off instead).
 */
const resendHandler = (client: DocumentClient, queue: SignupQueue) =>
  handlers.createWebhookHandler(fx.service({ documentClient: client }, { WEBHOOK_REQUEST_BUDGET_MS: "12000" }), { queue });

describe("webhook: a hung DynamoDB call cannot outlive the request budget", () => {
  it("is cut off at the deadline: 202 within the budget with the tenant on the signup queue; the resend provisions once DynamoDB answers", async () => {
    const enqueued: string[] = [];
    const queue = { enqueue: async (t: { tenantId: string }) => void enqueued.push(t.tenantId) };
    const handler = handlers.createWebhookHandler(fx.service({ documentClient }), { queue });
    const tenant = sampleTenant();
    const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
    const headers = signWebhook(fx.stack.credentials.webhookSecret, body, { id: "msg_dynamodb_hangs" });

    const output = captureOutput();
    const started = Date.now();
    let reply: APIGatewayProxyStructuredResultV2;
    try {
      // 3 s left in the invocation, 1 s kept for the reply: the deadline is 2 s away.
      reply = await invoke(handler, webhookEvent(body, { headers }), lambdaContext({ budgetMs: 3_000 }));
    } finally {
      output.restore();
    }
    const elapsed = Date.now() - started;

    expect(reply.statusCode).toBe(202);
    expect(JSON.parse(reply.body ?? "{}")).toEqual({ tenantId: tenant.tenantId, steps: [], continuing: "signup-queue" });
    expect(enqueued).toEqual([tenant.tenantId]);
    expect(dynamodb.stalled(), "provisioning's DynamoDB call reached the hung endpoint").toBeGreaterThan(0);
    await until(() => dynamodb.abandoned() === dynamodb.stalled(), "every stalled request to be abandoned by the client");
    const cutOff = output
      .text()
      .split("\n")
      .filter((line) => line.includes("provisioning cut off at the request deadline"));
    expect(cutOff.join("\n")).toContain('"errorName":"AwsCallDeadlineError"');
    // A ceiling, not a measurement: unbounded, the stalled call never returns at all.
    expect(elapsed).toBeLessThan(15_000);

    // The sender resends the same id and body (a duplicate delivery, provisioned like the first).
    stallProvisioning = false;
    const resendHeaders = signWebhook(fx.stack.credentials.webhookSecret, body, { id: "msg_dynamodb_hangs", timestamp: new Date(Date.now() + 1_000) });
    const quiet = captureOutput();
    try {
      const resend = await invoke(resendHandler(documentClient, queue), webhookEvent(body, { headers: resendHeaders }), lambdaContext({ budgetMs: 15_000 }));
      expect(resend.statusCode).toBe(201);
    } finally {
      quiet.restore();
    }
  });

  it("a tenant Put that lands but whose answer is cut at the deadline: the creation lease is released, so the queue's run and a resend provision at once", async () => {
    // The Put recorded the tenant with this request's creation lease (request budget + 30 s of
    // grace); cut off, the request does no more work. Kept, the lease made every other run report
    // the steps "in progress elsewhere" for ~33 s while nobody worked on them: the queue's copy
    // went back to SQS for its 6-minute visibility timeout, a resend got 202 in-progress-elsewhere.
    const tenant = sampleTenant();
    const landed = await startStallingServer({
      forwardTo: fx.stack.dynamodb.endpoint,
      stall: () => false,
      landThenStall: (req, body) => String(req.headers["x-amz-target"]).endsWith(".PutItem") && body.includes(`TENANT#${tenant.tenantId}`) && body.includes('"TENANT"'),
    });
    const landedClient = new DynamoDBDocumentClient({ endpoint: landed.url });
    try {
      const enqueued: string[] = [];
      const queue = { enqueue: async (t: { tenantId: string }) => void enqueued.push(t.tenantId) };
      // A 0.5 s request budget in a 15 s invocation (the deployed timeout): the Put is cut at it.
      const handler = handlers.createWebhookHandler(fx.service({ documentClient: landedClient }, { WEBHOOK_REQUEST_BUDGET_MS: "500", PROVISION_SAFETY_MARGIN_MS: "0" }), { queue });
      const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
      const awsRequestId = `cut-${tenant.tenantId}`;
      const output = captureOutput();
      let reply: APIGatewayProxyStructuredResultV2;
      try {
        reply = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) }), lambdaContext({ budgetMs: 15_000, awsRequestId }));
      } finally {
        output.restore();
      }
      expect(landed.stalled(), "the tenant Put landed and its answer hung").toBe(1);
      expect(output.text()).toContain("provisioning cut off at the request deadline");
      expect(reply.statusCode).toBe(202);
      expect(JSON.parse(reply.body ?? "{}")).toMatchObject({ tenantId: tenant.tenantId, continuing: "signup-queue" });
      // Never lost: the queue still has the signup.
      expect(enqueued).toEqual([tenant.tenantId]);
      const service = fx.service();
      const stored = (await service.store.getTenant(tenant.tenantId)).tenant;
      expect(stored?.generation, "the Put landed").toBe(1);
      expect(stored?.leaseOwner, "the cut request's creation lease").toBeUndefined();

      // The queue's delivery provisions at once (it was "in progress elsewhere" until the lease lapsed).
      const quiet = captureOutput();
      try {
        const queued = await service.provision(tenant, { deadline: Date.now() + 12_000, workerId: "signup-queue-run" });
        expect(queued.steps.map((s) => [s.step, s.status, s.action])).toEqual([
          ["sls-consumer-group", "SUCCEEDED", "ran"],
          ["im-group", "SUCCEEDED", "ran"],
        ]);
      } finally {
        quiet.restore();
      }
    } finally {
      landedClient.destroy();
      await landed.close();
    }
  });

  it("a replay guard write that hangs to the end of the invocation: 503 with Retry-After naming why, nothing accepted; the resend is the first delivery", async () => {
    const enqueued: string[] = [];
    const queue = { enqueue: async (t: { tenantId: string }) => void enqueued.push(t.tenantId) };
    const handler = handlers.createWebhookHandler(fx.service({ documentClient: hungClient }), { queue });
    const tenant = sampleTenant();
    const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
    const id = `msg_guard_hangs_${tenant.tenantId}`;
    const output = captureOutput();
    let reply: APIGatewayProxyStructuredResultV2;
    try {
      reply = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body, { id }) }), lambdaContext({ budgetMs: 3_000 }));
    } finally {
      output.restore();
    }
    // A retryable answer a webhook sender handles (it was a 500), described by the OpenAPI file.
    await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", reply);
    expect(reply.statusCode).toBe(503);
    expect(reply.headers?.["retry-after"]).toBe("5");
    expect(JSON.parse(reply.body ?? "{}")).toMatchObject({ error: "webhook-id-not-recorded", retryAfterSeconds: 5 });
    expect(hung.stalled(), "the guard's PutItem reached the hung endpoint").toBeGreaterThan(0);
    expect(output.text()).toContain('"causeName":"AwsCallDeadlineError"');
    expect(output.text()).not.toContain('"unhandled error"');
    // Not accepted: nothing enqueued, nothing recorded for the id or the tenant.
    expect(enqueued).toEqual([]);
    const service = fx.service();
    expect((await service.store.getTenant(tenant.tenantId)).tenant).toBeUndefined();

    // The sender resends after Retry-After; DynamoDB answers now: processed as the first delivery.
    const resend = resendHandler(service.documentClient, queue);
    const quiet = captureOutput();
    try {
      const again = await invoke(
        resend,
        webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body, { id, timestamp: new Date(Date.now() + 5_000) }) }),
        lambdaContext({ budgetMs: 15_000 }),
      );
      expect(again.statusCode).toBe(201);
    } finally {
      quiet.restore();
    }
  });

  it("a replay guard write slower than the request budget is waited for (the budget limits provisioning): 202 through the queue, not a 5xx", async () => {
    // Under load (the chaos run at load 20) DynamoDB took seconds to answer; the guard's write was
    // cut at the request budget and 18% of the replies were 5xx, each retried into the same slow
    // table. Here the guard's write answers 1.5 s late, the budget is 0.5 s, the invocation 15 s.
    const slowGuard = await startStallingServer({ forwardTo: fx.stack.dynamodb.endpoint, stall: () => false, delayMs: (_req, body) => (body.includes("WEBHOOK#") ? 1_500 : 0) });
    const slowClient = new DynamoDBDocumentClient({ endpoint: slowGuard.url });
    try {
      const enqueued: string[] = [];
      const queue = { enqueue: async (t: { tenantId: string }) => void enqueued.push(t.tenantId) };
      const handler = handlers.createWebhookHandler(fx.service({ documentClient: slowClient }, { WEBHOOK_REQUEST_BUDGET_MS: "500", PROVISION_SAFETY_MARGIN_MS: "0" }), { queue });
      const tenant = sampleTenant();
      const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
      const id = `msg_slow_guard_${tenant.tenantId}`;
      const output = captureOutput();
      let reply: APIGatewayProxyStructuredResultV2;
      try {
        reply = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body, { id }) }), lambdaContext({ budgetMs: 15_000 }));
      } finally {
        output.restore();
      }
      await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", reply);
      expect(output.text()).not.toContain("webhook-id not recorded");
      // The budget was spent while the guard wrote: nothing more inline, the queue takes the tenant.
      expect(reply.statusCode).toBe(202);
      expect(JSON.parse(reply.body ?? "{}")).toMatchObject({ tenantId: tenant.tenantId, continuing: "signup-queue" });
      expect(enqueued).toEqual([tenant.tenantId]);
      // The id was recorded: the resend is a duplicate delivery answered with the tenant's outcome.
      const quiet = captureOutput();
      try {
        const again = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body, { id }) }), lambdaContext({ budgetMs: 15_000 }));
        expect([200, 201, 202]).toContain(again.statusCode);
      } finally {
        quiet.restore();
      }
    } finally {
      slowClient.destroy();
      await slowGuard.close();
    }
  });

  it("a replay guard write DynamoDB throttles (after the SDK's own retries): 503 with Retry-After, nothing accepted", async () => {
    const throttled = new DynamoDBDocumentClient({ endpoint: fx.stack.dynamodb.endpoint, maxAttempts: 1 });
    // DynamoDB refuses the guard's PutItem (a WEBHOOK# key) as a hot partition does; the rest goes through.
    watchCommands(throttled, ({ input }) => {
      if (String((input["Item"] as { pk?: unknown } | undefined)?.pk).startsWith("WEBHOOK#")) {
        throw dynamoDbError(ProvisionedThroughputExceededException, "Rate of requests exceeds the allowed throughput.");
      }
    });
    const enqueued: string[] = [];
    const handler = handlers.createWebhookHandler(fx.service({ documentClient: throttled }), { queue: { enqueue: async (t) => void enqueued.push(t.tenantId) } });
    const tenant = sampleTenant();
    const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
    const output = captureOutput();
    let reply: APIGatewayProxyStructuredResultV2;
    try {
      reply = await invoke(handler, webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) }), lambdaContext({ budgetMs: 15_000 }));
    } finally {
      output.restore();
      throttled.destroy();
    }
    await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", reply);
    expect([reply.statusCode, reply.headers?.["retry-after"]]).toEqual([503, "5"]);
    expect(output.text()).toContain('"causeName":"ProvisionedThroughputExceededException"');
    expect(enqueued).toEqual([]);
    expect((await fx.service().store.getTenant(tenant.tenantId)).tenant).toBeUndefined();
  });

  it("the hand-off to the queue is not cut short by the spent request budget: a slow SQS still gets the tenant, 202", async () => {
    // Under load (the chaos run) provisioning used the whole request budget and the SendMessage
    // that followed had only what was left of the deadline's grace: cut off, the reply was a 500.
    // Here DynamoDB hangs for provisioning and SQS answers 1.5 s late, well inside the invocation.
    const sqs = await startSqsStandIn({ queues: [{ name: "signup" }] });
    const slowSqs = await startStallingServer({ forwardTo: sqs.endpoint, stall: () => false, delayMs: () => 1_500 });
    const stalledDynamodb = await startStallingServer({ forwardTo: fx.stack.dynamodb.endpoint, stall: (_req, body) => !body.includes("WEBHOOK#") });
    const stalledClient = new DynamoDBDocumentClient({ endpoint: stalledDynamodb.url });
    const sqsClient = new SqsSendMessageClient({ region: "us-east-1", endpoint: slowSqs.url, credentials: async () => ({ accessKeyId: "local", secretAccessKey: "local" }) });
    try {
      const queue = sqsSignupQueue(sqsClient, sqs.queueUrl("signup").replace(sqs.endpoint, slowSqs.url));
      const handler = handlers.createWebhookHandler(fx.service({ documentClient: stalledClient }), { queue });
      const tenant = sampleTenant();
      const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
      const headers = signWebhook(fx.stack.credentials.webhookSecret, body, { id: "msg_slow_queue" });
      const output = captureOutput();
      let reply: APIGatewayProxyStructuredResultV2;
      try {
        // 15 s left in the invocation; the request budget (3 s) is what provisioning may use.
        reply = await invoke(handler, webhookEvent(body, { headers }), lambdaContext({ budgetMs: 15_000 }));
      } finally {
        output.restore();
      }
      expect(output.text()).not.toContain('"unhandled error"');
      expect(reply.statusCode).toBe(202);
      expect(JSON.parse(reply.body ?? "{}")).toMatchObject({ tenantId: tenant.tenantId, continuing: "signup-queue" });
      expect(stalledDynamodb.stalled(), "provisioning's DynamoDB call hung").toBeGreaterThan(0);
      const queued = sqs.messages("signup").map((m) => (JSON.parse(m) as { detail: { tenantId: string } }).detail.tenantId);
      expect(queued).toEqual([tenant.tenantId]);
    } finally {
      stalledClient.destroy();
      await stalledDynamodb.close();
      await slowSqs.close();
      await sqs.close();
    }
  });
});
