import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSqsEventSource } from "../../src/local/sqs-event-source.ts";
import { startSqsStandIn, type SqsStandIn } from "../../src/local/sqs.ts";
import type { Service } from "../../src/service.ts";
import { dynamoItemBytes } from "../support/dynamodb-item-size.ts";
import { makeStepDue, sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, signupEvent, sqsEvent, sqsRecord, withoutSource } from "../support/lambda.ts";
import { captureOutput, loadHandlers, readRejection, slsFailsFor, until, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let service: Service;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
  service = fx.service();
});
afterAll(() => output.restore());

const body = (tenant: Record<string, unknown>, detailType?: string) => JSON.stringify(signupEvent(withoutSource(tenant), detailType));
const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier).sort();
const creates = () => ({ sls: fx.stack.sls.state().createsApplied, im: fx.stack.im.state().counters.createGroupApplied });

describe("signup handler (SQS, partial batch responses)", () => {
  it("acknowledges good and invalid records, records the invalid ones with their fields, and reports only transient failures", async () => {
    const handler = handlers.createSignupHandler(service);
    const good1 = sampleTenant();
    const good2 = sampleTenant({ members: [{ userId: "member-1" }] });
    const failing = sampleTenant();
    const records = {
      good1: sqsRecord(body(good1)),
      badJson: sqsRecord('{"version":"0","detail-type":"TenantSignedUp",'),
      good2: sqsRecord(body(good2)),
      wrongType: sqsRecord(body(sampleTenant(), "TenantDeleted")),
      invalidFields: sqsRecord(body(sampleTenant({ tenantId: "-not valid!", admin: { userId: "" } }))),
      withSource: sqsRecord(JSON.stringify(signupEvent(sampleTenant()))),
      failing: sqsRecord(body(failing)),
    };
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(failing.tenantId)] });
    let response: SQSBatchResponse;
    try {
      response = await invoke(handler, sqsEvent(Object.values(records)), lambdaContext({ budgetMs: 30_000 }));
    } finally {
      fx.stack.sls.faults.configure({});
    }

    expect(failedIds(response)).toEqual([records.failing.messageId]);

    const rejected = async (id: string) => [...new Set((await readRejection(service, id))?.issues.map((i) => i.field))].sort();
    expect(await rejected(records.badJson.messageId)).toEqual(["body"]);
    expect(await rejected(records.wrongType.messageId)).toEqual(["detail-type"]);
    expect(await rejected(records.invalidFields.messageId)).toEqual(["detail.admin.userId", "detail.tenantId"]);
    expect(await rejected(records.withSource.messageId)).toEqual(["detail.source"]);
    for (const ok of [records.good1, records.good2, records.failing]) expect(await readRejection(service, ok.messageId)).toBeUndefined();

    for (const tenant of [good1, good2]) {
      const { steps } = await service.store.getTenant(tenant.tenantId);
      expect(steps.map((s) => [s.step, s.status]).sort()).toEqual([
        ["im-group", "SUCCEEDED"],
        ["sls-consumer-group", "SUCCEEDED"],
      ]);
    }
    const { steps } = await service.store.getTenant(failing.tenantId);
    expect(Object.fromEntries(steps.map((s) => [s.step, s.status]))).toEqual({ "sls-consumer-group": "FAILED_RETRYABLE", "im-group": "SUCCEEDED" });
    expect(steps.find((s) => s.step === "sls-consumer-group")?.lastError).toMatchObject({ provider: "sls", code: "InternalServerError" });
  });

  it("the failed record succeeds on redelivery once the provider recovers and the step is due, touching only the unfinished step", async () => {
    const handler = handlers.createSignupHandler(service);
    const tenant = sampleTenant();
    const record = sqsRecord(body(tenant));
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    try {
      expect(failedIds(await invoke(handler, sqsEvent([record])))).toEqual([record.messageId]);
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const before = creates();
    const redelivered = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } };
    // Redelivered before the step is due: it waits for its backoff (no call, no attempt counted),
    // and the record is acknowledged: the backfill runs the step when due (failed, it was only
    // redelivered to wait again, each receive counted towards the DLQ).
    expect(failedIds(await invoke(handler, sqsEvent([redelivered])))).toEqual([]);
    expect(creates()).toEqual(before);
    expect((await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });
    // A later delivery (a duplicate, the webhook's delayed hand-off) once the step is due runs it.
    await makeStepDue(service, tenant.tenantId, "sls-consumer-group");
    expect(failedIds(await invoke(handler, sqsEvent([{ ...redelivered, attributes: { ...record.attributes, ApproximateReceiveCount: "3" } }])))).toEqual([]);
    expect(creates()).toEqual({ sls: before.sls + 1, im: before.im });
    expect((await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
  });

  it("duplicates of one tenant in a batch create each resource once; duplicates that found it in progress are retried, and then finish cleanly", async () => {
    const handler = handlers.createSignupHandler(service);
    const tenant = sampleTenant();
    // EventBridge may deliver the same event twice, and the webhook may enqueue it again.
    const event = JSON.stringify(signupEvent(withoutSource(tenant)));
    const duplicates = [sqsRecord(event), sqsRecord(event), sqsRecord(body(tenant))];
    const before = creates();

    const response = await invoke(handler, sqsEvent(duplicates));
    const failed = failedIds(response);
    expect(failed.length).toBeLessThan(duplicates.length);
    expect(creates()).toEqual({ sls: before.sls + 1, im: before.im + 1 });

    // Redelivery of the ones reported failed: already finished, nothing more at the providers.
    const again = await invoke(handler, sqsEvent(duplicates.filter((r) => failed.includes(r.messageId))));
    expect(again.batchItemFailures).toEqual([]);
    expect(creates()).toEqual({ sls: before.sls + 1, im: before.im + 1 });
    const { steps } = await service.store.getTenant(tenant.tenantId);
    for (const s of steps) {
      expect(s.status).toBe("SUCCEEDED");
      expect(s.attempts).toBe(1);
    }
  });

  it("reports every record failed, without starting it, when too little time is left", async () => {
    const handler = handlers.createSignupHandler(service);
    const tenants = [sampleTenant(), sampleTenant()];
    const records = [...tenants.map((t) => sqsRecord(body(t))), sqsRecord("not json")];
    const calls = { sls: fx.stack.sls.state().calls, im: fx.stack.im.state().counters.calls };

    // 1.5 s margin + 3 s minimum per record: 4 s left is not enough to start one.
    const response = await invoke(handler, sqsEvent(records), lambdaContext({ budgetMs: 4_000 }));

    expect(failedIds(response)).toEqual(records.map((r) => r.messageId).sort());
    for (const t of tenants) expect((await service.store.getTenant(t.tenantId)).tenant).toBeUndefined();
    expect(await readRejection(service, records[2]?.messageId ?? "")).toBeUndefined();
    expect({ sls: fx.stack.sls.state().calls, im: fx.stack.im.state().counters.calls }).toEqual(calls);
  });

  // EventBridge takes events up to 256 KB; every one of them must make a rejection record that
  // fits DynamoDB's 400 KB item (dynalite does not enforce it, so the size is computed here),
  // or the write fails and the message loops through the DLQ.
  it("an event with 20,000 unknown keys (~230 KB) is acknowledged, and its rejection record is bounded", async () => {
    const detail: Record<string, unknown> = withoutSource(sampleTenant());
    for (let i = 0; i < 20_000; i++) detail[`u${String(i).padStart(5, "0")}`] = 0;
    const record = sqsRecord(JSON.stringify(signupEvent(detail)));
    const bytes = Buffer.byteLength(record.body);
    expect(bytes).toBeGreaterThan(200 * 1024);
    expect(bytes).toBeLessThan(256 * 1024);

    const response = await invoke(handlers.createSignupHandler(service), sqsEvent([record]), lambdaContext({ budgetMs: 30_000 }));
    expect(response.batchItemFailures).toEqual([]);
    const item = (await readRejection(service, record.messageId)) as Record<string, unknown> | undefined;
    expect(item).toBeDefined();
    expect(item?.["issueCount"]).toBe(20_000);
    expect(item?.["issues"]).toHaveLength(50);
    expect(item?.["issues"]).toContainEqual({ field: "detail.u00000", rule: "unknown field" });
    expect(Buffer.byteLength(String(item?.["bodyHead"]))).toBeLessThanOrEqual(4096);
    expect(item?.["bodyBytes"]).toBe(bytes);
    expect(dynamoItemBytes(item ?? {})).toBeLessThan(16 * 1024);
  });

  it("a rejected body is kept to its first 4 KiB, never splitting a character", async () => {
    const record = sqsRecord(`${"€".repeat(3_000)}`);
    const response = await invoke(handlers.createSignupHandler(service), sqsEvent([record]));
    expect(response.batchItemFailures).toEqual([]);
    const head = String((await readRejection(service, record.messageId))?.bodyHead);
    expect(head).toBe("€".repeat(1_365));
  });

  it("an empty batch is answered with no failures", async () => {
    const handler = handlers.createSignupHandler(service);
    expect(await invoke(handler, { Records: [] } satisfies SQSEvent)).toEqual({ batchItemFailures: [] });
  });
});

describe("signup handler behind the SQS stand-in and the local event source", () => {
  let sqs: SqsStandIn;
  let client: SQSClient;

  beforeAll(async () => {
    sqs = await startSqsStandIn({
      queues: [
        { name: "signup", visibilityTimeoutMs: 30_000, redrive: { deadLetterQueueName: "signup-dlq", maxReceiveCount: 3 } },
        { name: "signup-dlq" },
      ],
    });
    client = new SQSClient({ region: "us-east-1", endpoint: sqs.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  // The poison message used to end in the DLQ after maxReceiveCount without one more provider call:
  // every redelivery found its step waiting for its backoff. A DLQ replay sent it back there.
  it("a message whose step failed retryably is redelivered once, then acknowledged while the step waits for the backfill (not sent to the DLQ); an invalid one is acknowledged at once; a good one once", async () => {
    const handler = handlers.createSignupHandler(service);
    const poison = sampleTenant();
    const good = sampleTenant();
    const bodies = { poison: body(poison), invalid: '{"detail-type":"TenantSignedUp","detail":', good: body(good) };
    const deliveries = new Map<string, number>();
    const errors: unknown[] = [];
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(poison.tenantId)] });
    const source = startSqsEventSource({
      client,
      queueUrl: sqs.queueUrl("signup"),
      queueArn: sqs.queueArn("signup"),
      pollIntervalMs: 10,
      failedRecordVisibilitySeconds: 0,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        for (const r of event.Records) deliveries.set(r.body, (deliveries.get(r.body) ?? 0) + 1);
        return invoke(handler, event, lambdaContext({ budgetMs: 30_000 }));
      },
    });
    try {
      const sent = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: sqs.queueUrl("signup"),
          Entries: Object.entries(bodies).map(([id, MessageBody]) => ({ Id: id, MessageBody })),
        }),
      );
      expect(sent.Failed ?? []).toEqual([]);
      await until(() => {
        const d = sqs.depth("signup");
        return d.visible + d.inFlight + d.delayed === 0;
      }, "the signup queue to drain");
    } finally {
      await source.stop();
      fx.stack.sls.faults.configure({});
    }

    expect(errors).toEqual([]);
    expect(sqs.messages("signup-dlq")).toEqual([]);
    expect(deliveries.get(bodies.poison)).toBe(2);
    expect(deliveries.get(bodies.invalid)).toBe(1);
    expect(deliveries.get(bodies.good)).toBe(1);
    expect((await service.store.getTenant(good.tenantId)).steps.every((s) => s.status === "SUCCEEDED")).toBe(true);
    const poisonSls = (await service.store.getTenant(poison.tenantId)).steps.find((s) => s.step === "sls-consumer-group");
    // Redelivered at once (visibility 0), before its backoff passed: the step waited, only the first
    // delivery counted an attempt, and the step stays on the unfinished index for the backfill.
    expect(poisonSls).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });
    expect((await service.store.listUnfinished({ limit: 1000 })).items.some((i) => i.tenantId === poison.tenantId)).toBe(true);
  });
});

describe("signup handler logs", () => {
  it("write structured lines and no secret value", () => {
    const text = output.text();
    expect(text).toContain('"signup processed"');
    expect(text).toContain('"signup event rejected"');
    const secrets = [fx.stack.credentials.sls.accessKeySecret, fx.stack.credentials.im.secretKey, fx.stack.credentials.webhookSecret.slice(6)];
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
