/**
 * The bundles as deployed, not the sources: the webhook, signup and status handlers built with the
 * deploy options (scripts/esbuild-options.ts, every plugin included: env-only credentials, no SDK
 * event streams, slim SDK package.json, no JS hash fallbacks, unused SDK schema structures
 * dropped), loaded with `require()` as the Lambda runtime loads them,
 * and run against the local stack with credentials in the environment as Lambda provides them.
 * What the plugins leave out or replace inside the AWS SDK would fail here, on real signed calls
 * to DynamoDB, Secrets Manager, EventBridge and SQS, and nowhere else in the suite (every other
 * test runs the sources).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from "aws-lambda";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundleOptions } from "../../../scripts/esbuild-options.ts";
import { startSqsStandIn, type SqsStandIn } from "../../../src/local/sqs.ts";
import { captureOutput, slsFailsFor, type CapturedOutput } from "../../handlers/harness.ts";
import { invoke, lambdaContext, signWebhook, sqsEvent, sqsRecordFromMessage, statusEvent, webhookEvent, withoutSource } from "../../support/lambda.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

type Entry<TEvent, TResult> = (event: TEvent, context: ReturnType<typeof lambdaContext>) => Promise<TResult>;

const fx = useLocalStack();
let dir: string;
let sqs: SqsStandIn;
let sqsClient: SQSClient;
let output: CapturedOutput;
const saved = { ...process.env };
let webhook: Entry<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
let signup: Entry<SQSEvent, SQSBatchResponse>;
let status: Entry<ReturnType<typeof statusEvent>, APIGatewayProxyStructuredResultV2>;
let errors: ModeledErrorProbe;

/** What a bundled SDK made of an error answer: the class it chose and what the code reads from it. */
interface ErrorSeen {
  name: unknown;
  modeled: boolean;
  fault: unknown;
  status: unknown;
  conditionalCheckFailed: boolean;
}
interface ModeledErrorProbe {
  conditionalPutTwice(table: string, pk: string): Promise<ErrorSeen | undefined>;
  sendToMissingQueue(queueUrl: string): Promise<ErrorSeen | undefined>;
}
/**
 * The modeled errors the service switches on, through the same plugins and client setup as the
 * handlers. DynamoDB: the service's own document client (src/aws/dynamodb), which must type a
 * refused condition as the SDK does. SQS: the webhook's own SendMessage client (src/queue/sqs-send-message.ts), which
 * must type an unknown queue as the SDK does.
 */
const ERROR_PROBE = `
import { ConditionalCheckFailedException, PutCommand } from "./src/aws/dynamodb/index.ts";
import { QueueDoesNotExist, SqsSendMessageClient } from "./src/queue/sqs-send-message.ts";
import { isConditionalCheckFailed } from "./src/aws/conditional-check.ts";
import { createDocumentClient } from "./src/aws/document-client.ts";
const seen = (e, modeled) => ({ name: e?.name, modeled: e instanceof modeled, fault: e?.$fault, status: e?.$metadata?.httpStatusCode, conditionalCheckFailed: isConditionalCheckFailed(e) });
export async function conditionalPutTwice(table, pk) {
  const client = createDocumentClient();
  const put = () => client.send(new PutCommand({ TableName: table, Item: { pk, sk: "probe" }, ConditionExpression: "attribute_not_exists(pk)" }));
  await put();
  try { await put(); return undefined; } catch (e) { return seen(e, ConditionalCheckFailedException); } finally { client.destroy(); }
}
export async function sendToMissingQueue(queueUrl) {
  try { await new SqsSendMessageClient().sendMessage({ QueueUrl: queueUrl, MessageBody: "{}" }); return undefined; } catch (e) { return seen(e, QueueDoesNotExist); }
}
`;

beforeAll(async () => {
  // Long polls wait as long as they ask (the stand-in's default is 1 s): the delayed copy becomes
  // visible up to ~1 s after its step's nextAttemptAt (DelaySeconds are whole seconds).
  sqs = await startSqsStandIn({ queues: [{ name: "signup", visibilityTimeoutMs: 5_000 }], maxWaitMs: 5_000 });
  // The stack's env (useLocalStack) carries AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as Lambda's does.
  // The request budget (deployed: 3 s) is set as a deployment may set it, to a hang cap: at load 20
  // the inline run of the first test outlasted 3 s (202, not 201) and left a message in the queue.
  Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: sqs.endpoint, SIGNUP_QUEUE_URL: sqs.queueUrl("signup"), WEBHOOK_REQUEST_BUDGET_MS: "12000" });
  sqsClient = new SQSClient({ region: "us-east-1", endpoint: sqs.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  dir = mkdtempSync(join(tmpdir(), "deployed-bundles-"));
  const load = createRequire(import.meta.url);
  const built = async (name: string) => {
    const outfile = join(dir, name, "index.cjs");
    await esbuild.build({ ...bundleOptions, entryPoints: [`handlers/${name}.ts`], outfile, logLevel: "silent" });
    return (load(outfile) as { handler: unknown }).handler;
  };
  output = captureOutput();
  webhook = (await built("webhook")) as typeof webhook;
  signup = (await built("signup")) as typeof signup;
  status = (await built("status")) as typeof status;
  const probeFile = join(dir, "error-probe", "index.cjs");
  await esbuild.build({ ...bundleOptions, entryPoints: undefined, stdin: { contents: ERROR_PROBE, loader: "ts", resolveDir: process.cwd(), sourcefile: "error-probe.ts" }, outfile: probeFile, logLevel: "silent" });
  errors = load(probeFile) as ModeledErrorProbe;
}, 60_000);

afterAll(async () => {
  output?.restore();
  sqsClient?.destroy();
  await sqs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const key of ["AWS_ENDPOINT_URL_SQS", "SIGNUP_QUEUE_URL", "WEBHOOK_REQUEST_BUDGET_MS"]) if (!(key in saved)) delete process.env[key];
});

const signedWebhook = (tenant: Record<string, unknown>) => {
  const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data: withoutSource(tenant) });
  return webhookEvent(body, { headers: signWebhook(fx.stack.credentials.webhookSecret, body) });
};
const stepsOf = async (tenantId: string) => {
  const reply = await invoke(status, statusEvent(tenantId));
  expect(reply.statusCode).toBe(200);
  const body = JSON.parse(reply.body ?? "{}") as { steps: { step: string; status: string }[] };
  return Object.fromEntries(body.steps.map((s) => [s.step, s.status]));
};
const announced = (tenantId: string) => fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenantId).map((e) => e.detailType);

describe("the deployed bundles against the local stack", () => {
  it("webhook provisions inline (Secrets Manager, DynamoDB, EventBridge), and status reads the outcome", async () => {
    const tenant = sampleTenant();
    const reply = await invoke(webhook, signedWebhook(tenant), lambdaContext({ budgetMs: 15_000 }));

    expect(reply.statusCode).toBe(201);
    expect(await stepsOf(tenant.tenantId)).toEqual({ "sls-consumer-group": "SUCCEEDED", "im-group": "SUCCEEDED" });
    expect(announced(tenant.tenantId)).toEqual(["TenantProvisioned"]);
  });

  it("webhook hands an unfinished tenant to the signup queue (SQS), and the signup bundle finishes it", async () => {
    const tenant = sampleTenant();
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    let reply: APIGatewayProxyStructuredResultV2;
    try {
      reply = await invoke(webhook, signedWebhook(tenant), lambdaContext({ budgetMs: 15_000 }));
    } finally {
      fx.stack.sls.faults.configure({});
    }
    expect(reply.statusCode).toBe(202);
    expect(JSON.parse(reply.body ?? "{}")).toMatchObject({ continuing: "signup-queue" });

    // The copy is delayed until the failed step comes due (it was delivered at once, found the step
    // waiting for its backoff and was only redelivered, each receive counted towards the DLQ).
    const nextAttemptAt = (await fx.service().store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group")?.nextAttemptAt;
    const early = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl("signup"), MaxNumberOfMessages: 10 }));
    expect((early.Messages ?? []).filter((m) => m.Body?.includes(tenant.tenantId))).toEqual([]);
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(nextAttemptAt ?? "")), { timeout: 60_000, interval: 200 });

    // This tenant's messages only: whatever an earlier test of the file left in the queue is not ours.
    const received = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl("signup"), MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ["All"] }));
    const ours = (received.Messages ?? []).filter((m) => (JSON.parse(m.Body ?? "{}") as { detail?: { tenantId?: unknown } }).detail?.tenantId === tenant.tenantId);
    expect(ours).toHaveLength(1);
    const record = sqsRecordFromMessage(ours[0] ?? {}, "arn:aws:sqs:us-east-1:123456789012:signup");
    const batch = await invoke(signup, sqsEvent([record]), lambdaContext({ budgetMs: 30_000 }));

    expect(batch.batchItemFailures).toEqual([]);
    expect(await stepsOf(tenant.tenantId)).toEqual({ "sls-consumer-group": "SUCCEEDED", "im-group": "SUCCEEDED" });
    expect(announced(tenant.tenantId)).toEqual(["TenantProvisioned"]);
  });

  it("a conditional check failure and a missing queue come out of the bundled SDK as their modeled exceptions", async () => {
    expect(await errors.conditionalPutTwice(fx.stack.env["OUTCOME_TABLE_NAME"] ?? "", `probe#${sampleTenant().tenantId}`)).toEqual({
      name: "ConditionalCheckFailedException",
      modeled: true,
      fault: "client",
      status: 400,
      conditionalCheckFailed: true,
    });
    expect(await errors.sendToMissingQueue(sqs.queueUrl("signup").replace(/signup$/, "no-such-queue"))).toEqual({
      name: "QueueDoesNotExist",
      modeled: true,
      fault: "client",
      status: 400,
      conditionalCheckFailed: false,
    });
  });
});
