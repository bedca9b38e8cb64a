/**
 * The signup handler's acknowledgement rule, outcome by outcome: a record is reported in
 * `batchItemFailures` exactly when it still has work (or its processing failed), and
 * acknowledged when its outcome is final, good or bad.
 */
import { createServer } from "node:net";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "../../src/aws/dynamodb/index.ts";
import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { SQSBatchResponse } from "aws-lambda";
import { awsClientOptions } from "../../src/aws/client-options.ts";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { TEST_AWS_CREDENTIALS } from "../support/secrets-manager.ts";
import { invoke, lambdaContext, signupEvent, sqsEvent, sqsRecord, withoutSource } from "../support/lambda.ts";
import { createDocumentClient } from "../../src/aws/document-client.ts";
import { TENANT_PK_PREFIX } from "../../src/outcomes/constants.ts";
import { captureOutput, loadHandlers, readRejection, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
});
afterAll(() => output.restore());
afterEach(() => vi.useRealTimers());

/** The handler's structured log lines (JSON, src/observability/logger.ts) with this message and messageId. */
const logLines = (message: string, messageId: string): Record<string, unknown>[] =>
  output
    .text()
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes(messageId))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line["message"] === message);

const body = (tenant: Record<string, unknown>) => JSON.stringify(signupEvent(withoutSource(tenant)));
const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier).sort();

/** A loopback port nothing listens on (bound, then released): connections are refused. */
async function refusedEndpoint(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

describe("signup handler: which records are redelivered", () => {
  it("reports a record whose processing throws (the outcome table unreachable), so the message is not deleted", async () => {
    const dynamo = new DynamoDBDocumentClient({ region: "us-east-1", endpoint: await refusedEndpoint(), credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 });
    const service = fx.service({ documentClient: dynamo });
    const handler = handlers.createSignupHandler(service);
    const records = [sqsRecord(body(sampleTenant())), sqsRecord(body(sampleTenant()))];
    const calls = { sls: fx.stack.sls.state().calls, im: fx.stack.im.state().counters.calls };
    try {
      const response = await invoke(handler, sqsEvent(records), lambdaContext({ budgetMs: 30_000 }));
      expect(failedIds(response)).toEqual(records.map((r) => r.messageId).sort());
    } finally {
      dynamo.destroy();
    }
    // Nothing was claimed, so no provider was called.
    expect({ sls: fx.stack.sls.state().calls, im: fx.stack.im.state().counters.calls }).toEqual(calls);
    expect(output.text()).toContain('"signup record failed"');
  });

  it("reports a record whose credentials cannot be read (Secrets Manager unreachable) as retryable", async () => {
    const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
    const secrets = new SecretsManagerClient({ ...awsClientOptions(), region: "us-east-1", endpoint: await refusedEndpoint(), credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 });
    const service = fx.service({ secretsClient: secrets });
    const handler = handlers.createSignupHandler(service);
    const tenant = sampleTenant();
    const record = sqsRecord(body(tenant));
    try {
      expect(failedIds(await invoke(handler, sqsEvent([record]), lambdaContext({ budgetMs: 30_000 })))).toEqual([record.messageId]);
    } finally {
      secrets.destroy();
    }
    const { steps } = await fx.service().store.getTenant(tenant.tenantId);
    expect(steps.map((s) => s.status)).toEqual(["FAILED_RETRYABLE", "FAILED_RETRYABLE"]);
  });

  it("acknowledges records whose outcome is final: FAILED_PERMANENT and CONFLICT are not redelivered", async () => {
    const service = fx.service();
    const handler = handlers.createSignupHandler(service);
    const permanent = sampleTenant();
    const conflicting = sampleTenant();
    const retryable = sampleTenant();
    // A request SLS refuses for good (JsonInfoInvalid, PROVIDERS.md): FAILED_PERMANENT.
    fx.stack.sls.faults.configure({
      rules: [
        { operation: "CreateConsumerGroup", kind: "error", error: { status: 400, code: "JsonInfoInvalid" }, resource: `tenant-${permanent.tenantId}` },
        { operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: `tenant-${retryable.tenantId}` },
      ],
    });
    // Someone else's IM group already holds the tenant's GroupId: CONFLICT, never overwritten.
    fx.stack.im.addForeignGroup({ groupId: `tenant-${conflicting.tenantId}`, type: "Private", ownerAccount: "mallory", name: "Theirs" });
    const records = { permanent: sqsRecord(body(permanent)), conflicting: sqsRecord(body(conflicting)), retryable: sqsRecord(body(retryable)) };
    let response: SQSBatchResponse;
    try {
      response = await invoke(handler, sqsEvent(Object.values(records)), lambdaContext({ budgetMs: 30_000 }));
    } finally {
      fx.stack.sls.faults.configure({});
    }

    expect(failedIds(response)).toEqual([records.retryable.messageId]);
    const statuses = async (tenantId: string) =>
      Object.fromEntries((await service.store.getTenant(tenantId)).steps.map((s) => [s.step, s.status]));
    expect(await statuses(permanent.tenantId)).toEqual({ "sls-consumer-group": "FAILED_PERMANENT", "im-group": "SUCCEEDED" });
    expect(await statuses(conflicting.tenantId)).toEqual({ "sls-consumer-group": "SUCCEEDED", "im-group": "CONFLICT" });
    expect(await statuses(retryable.tenantId)).toEqual({ "sls-consumer-group": "FAILED_RETRYABLE", "im-group": "SUCCEEDED" });
  });

  it("reports a record whose outcome read is throttled while the rejection store still works: retried, never recorded as rejected", async () => {
    // Only the tenant's own records fail (its first write is the conditional Put of the tenant
    // item, its reads Queries): a handler that took any provisioning error for a rejection could
    // record it and acknowledge the message, losing the tenant. The rejection store's Put has
    // another key.
    const real = createDocumentClient();
    const tenantRecords = (command: object) =>
      command instanceof QueryCommand || (command instanceof PutCommand && String(command.input.Item?.["pk"] ?? "").startsWith(TENANT_PK_PREFIX));
    const throttled = {
      send: (command: object) =>
        tenantRecords(command)
          ? Promise.reject(new ProvisionedThroughputExceededException({ message: "Rate of requests exceeds the allowed throughput", $metadata: {} }))
          : real.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    const service = fx.service({ documentClient: throttled });
    const record = sqsRecord(body(sampleTenant()));
    try {
      const response = await invoke(handlers.createSignupHandler(service), sqsEvent([record]), lambdaContext({ budgetMs: 30_000 }));
      expect(failedIds(response)).toEqual([record.messageId]);
    } finally {
      real.destroy();
    }
    expect(await readRejection(fx.service(), record.messageId)).toBeUndefined();
    expect(logLines("signup record failed", record.messageId)).toEqual([
      expect.objectContaining({ errorName: "ProvisionedThroughputExceededException" }),
    ]);
    expect(logLines("signup event rejected", record.messageId)).toEqual([]);
  });

  // "At least MIN_RECORD_BUDGET_MS (3 s) left": with Date stopped, the budget is exact.
  it.each([
    [4_500, "started"], // 4.5 s less the 1.5 s margin: exactly 3 s left
    [4_499, "not started"],
  ])("with a %i ms invocation budget a record is %s", async (budgetMs, outcome) => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const service = fx.service();
    const tenant = sampleTenant();
    const record = sqsRecord(body(tenant));
    const response = await invoke(handlers.createSignupHandler(service), sqsEvent([record]), lambdaContext({ budgetMs }));
    vi.useRealTimers();
    const registered = (await service.store.getTenant(tenant.tenantId)).tenant !== undefined;
    expect({ failed: failedIds(response), registered }).toEqual(
      outcome === "started" ? { failed: [], registered: true } : { failed: [record.messageId], registered: false },
    );
  });
});

describe("signup handler log lines", () => {
  it("say per record what happened, with the message id and no more than operators need", async () => {
    const service = fx.service();
    const tenant = sampleTenant();
    const records = { good: sqsRecord(body(tenant)), bad: sqsRecord('{"detail-type":"TenantSignedUp","detail":{}}') };
    await invoke(handlers.createSignupHandler(service), sqsEvent(Object.values(records)), lambdaContext({ budgetMs: 30_000 }));

    const [processed] = logLines("signup processed", records.good.messageId);
    expect(processed).toMatchObject({ level: "INFO", tenantId: tenant.tenantId, messageId: records.good.messageId });
    expect(processed?.["steps"]).toEqual(
      expect.arrayContaining([
        { step: "sls-consumer-group", status: "SUCCEEDED", action: "ran" },
        { step: "im-group", status: "SUCCEEDED", action: "ran" },
      ]),
    );
    const [rejected] = logLines("signup event rejected", records.bad.messageId);
    expect(rejected).toMatchObject({ level: "WARN", messageId: records.bad.messageId });
    expect(rejected?.["issues"]).toEqual(expect.arrayContaining([{ field: expect.any(String), rule: expect.any(String) }]));
  });

  it("name an offboarding as such, with its tenant and steps", async () => {
    const service = fx.service();
    const tenant = sampleTenant();
    const { tenantId } = tenant;
    await invoke(handlers.createSignupHandler(service), sqsEvent([sqsRecord(body(tenant))]), lambdaContext({ budgetMs: 30_000 }));
    const off = sqsRecord(JSON.stringify(signupEvent({ tenantId, requestedAt: new Date(Date.now() + 1_000).toISOString() }, "TenantOffboarded")));
    await invoke(handlers.createSignupHandler(service), sqsEvent([off]), lambdaContext({ budgetMs: 30_000 }));

    expect(logLines("signup processed", off.messageId)).toEqual([]);
    const [processed] = logLines("offboarding processed", off.messageId);
    expect(processed).toMatchObject({ level: "INFO", kind: "offboard", tenantId });
    expect(processed?.["steps"]).toEqual(
      expect.arrayContaining([
        { step: "sls-consumer-group", status: "DELETED", action: "ran" },
        { step: "im-group", status: "DELETED", action: "ran" },
      ]),
    );
  });

  it("name a record that failed by message id and error name only", async () => {
    const dynamo = new DynamoDBDocumentClient({ region: "us-east-1", endpoint: await refusedEndpoint(), credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 });
    const record = sqsRecord(body(sampleTenant()));
    try {
      await invoke(handlers.createSignupHandler(fx.service({ documentClient: dynamo })), sqsEvent([record]), lambdaContext());
    } finally {
      dynamo.destroy();
    }
    const [failed] = logLines("signup record failed", record.messageId);
    expect(failed).toMatchObject({ level: "ERROR", messageId: record.messageId, errorName: expect.any(String) });
  });
});
