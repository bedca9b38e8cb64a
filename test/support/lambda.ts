/**
 * Real AWS Lambda event shapes (as typed by @types/aws-lambda) and a Lambda `Context` whose
 * remaining time counts down, for calling the handler factories exactly as Lambda does.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import type { Message } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithIAMAuthorizer,
  Context,
  EventBridgeEvent,
  ScheduledEvent,
  SQSEvent,
  SQSRecord,
} from "aws-lambda";
import { Webhook } from "standardwebhooks";

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";

/** Options of {@link lambdaContext}. */
export interface LambdaContextOptions {
  /** Time the invocation has in all, counted from the call to `lambdaContext`. Default 30 s. */
  budgetMs?: number;
  functionName?: string;
  awsRequestId?: string;
}

/**
 * A Lambda context as the Node.js runtime builds it: `getRemainingTimeInMillis()` counts down
 * (real time) from `budgetMs`. One per invocation: middlewares write into it.
 *
 * @example
 * ```ts
 * await invoke(handler, event, lambdaContext({ budgetMs: 4_000 }));
 * ```
 */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const budgetMs = options.budgetMs ?? 30_000;
  const endsAt = Date.now() + budgetMs;
  const functionName = options.functionName ?? "tenant-provisioner-test";
  const legacy = (): void => {
    throw new Error("callback-style completion is not used by async handlers");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: legacy,
    fail: legacy,
    succeed: legacy,
  };
}

/** A middy-built handler, as the Lambda runtime sees it. */
export type LambdaEntry<TEvent, TResult, TContext extends Context> = (
  event: TEvent,
  context: TContext,
  opts: { signal: AbortSignal },
) => undefined | TResult | Promise<TResult>;

/**
 * Calls a handler as the Lambda runtime does: the event and a plain `Context` (the handler's own
 * middlewares add what their context type declares, e.g. `deadline`, `rawBody`).
 */
export async function invoke<TEvent, TResult, TContext extends Context>(
  handler: LambdaEntry<TEvent, TResult, TContext>,
  event: TEvent,
  context: Context = lambdaContext(),
): Promise<TResult> {
  const entry = handler as unknown as (event: TEvent, context: Context) => Promise<TResult>;
  return entry(event, context);
}

// --- SQS (EventBridge → SQS → Lambda) -------------------------------------------------------

/** An EventBridge `TenantSignedUp` event carrying `detail`, as EventBridge writes it into SQS. */
export function signupEvent(detail: Record<string, unknown>, detailType = "TenantSignedUp"): EventBridgeEvent<string, Record<string, unknown>> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": detailType,
    source: "saas.signup",
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail,
  };
}

/** The tenant request as it travels in an envelope: `source` is set by the entry point. */
export function withoutSource(tenant: Record<string, unknown>): Record<string, unknown> {
  const { source: _source, ...rest } = tenant;
  return rest;
}

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

/** One SQS record as the event source mapping delivers it. */
export function sqsRecord(body: string, options: { queueName?: string; receiveCount?: number; messageId?: string } = {}): SQSRecord {
  const now = Date.now();
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomBytes(48).toString("base64"),
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(now - 50),
      SenderId: "AIDAEVENTBRIDGE",
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: md5(body),
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${options.queueName ?? "tenant-signup"}`,
    awsRegion: REGION,
  };
}

/** An SQS event of the given record bodies (or ready records). */
export function sqsEvent(records: readonly (string | SQSRecord)[]): SQSEvent {
  return { Records: records.map((r) => (typeof r === "string" ? sqsRecord(r) : r)) };
}

/** A message received from a queue (ReceiveMessage) as the record Lambda would hand over. */
export function sqsRecordFromMessage(message: Message, queueArn: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
      SentTimestamp: a.SentTimestamp ?? "",
      SenderId: a.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? "",
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}

// --- HTTP API (payload format 2.0) ----------------------------------------------------------

function requestContextV2(method: string, path: string, routeKey: string) {
  const now = Date.now();
  return {
    accountId: ACCOUNT,
    apiId: "a1b2c3d4e5",
    domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "a1b2c3d4e5",
    http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Svix-Webhooks/1.0" },
    requestId: randomBytes(8).toString("base64url"),
    routeKey,
    stage: "$default",
    time: new Date(now).toUTCString(),
    timeEpoch: now,
  };
}

/** Options of {@link webhookEvent}. */
export interface WebhookEventOptions {
  /** Header names as the client sent them; HTTP API v2 lowercases them (done here). */
  headers?: Record<string, string>;
  /** Send the body base64-encoded, as API Gateway does for binary content types. */
  base64?: boolean;
}

/** `POST /webhooks/tenants` as API Gateway HTTP API (payload v2) hands it to Lambda. */
export function webhookEvent(body: string | Buffer, options: WebhookEventOptions = {}): APIGatewayProxyEventV2 {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string> = {
    // A JSON body base64-encoded as API Gateway hands over a body it treats as binary (e.g. sent
    // with a Content-Encoding); the webhook refuses one not declared JSON (415).
    "content-type": "application/json",
    "content-length": String(bytes.length),
    host: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    "user-agent": "Svix-Webhooks/1.0",
    "x-amzn-trace-id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`,
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    version: "2.0",
    routeKey: "POST /webhooks/tenants",
    rawPath: "/webhooks/tenants",
    rawQueryString: "",
    headers,
    requestContext: requestContextV2("POST", "/webhooks/tenants", "POST /webhooks/tenants"),
    body: options.base64 ? bytes.toString("base64") : bytes.toString("utf8"),
    isBase64Encoded: options.base64 === true,
  };
}

/**
 * Standard Webhooks headers for `body`, signed by the reference implementation (`standardwebhooks`).
 * That library turns the payload into a string first, which alters bytes that are not UTF-8; such a
 * body is signed here per the spec instead (HMAC-SHA256 of `id.timestamp.body` with the decoded key).
 */
export function signWebhook(
  secret: string,
  body: string | Buffer,
  options: { id?: string; timestamp?: Date } = {},
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const id = options.id ?? `msg_${randomBytes(12).toString("base64url")}`;
  const timestamp = options.timestamp ?? new Date();
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const utf8 = typeof body === "string" || Buffer.from(body.toString("utf8"), "utf8").equals(body);
  const signature = utf8
    ? new Webhook(secret).sign(id, timestamp, body)
    : `v1,${createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64"))
        .update(Buffer.concat([Buffer.from(`${id}.${seconds}.`, "utf8"), body]))
        .digest("base64")}`;
  return { "webhook-id": id, "webhook-timestamp": String(seconds), "webhook-signature": signature };
}

/** The IAM caller API Gateway puts in the request context after SigV4 authorization. */
export function iamCaller(): APIGatewayProxyEventV2WithIAMAuthorizer["requestContext"]["authorizer"] {
  return {
    iam: {
      accessKey: "ASIAEXAMPLEKEY000001",
      accountId: ACCOUNT,
      callerId: "AROAEXAMPLEROLEID:ops",
      cognitoIdentity: null,
      principalOrgId: "o-example",
      userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/ops`,
      userId: "AROAEXAMPLEROLEID:ops",
    },
  };
}

/**
 * `GET /tenants/{tenantId}` on an HTTP API route with `authorizer: aws_iam`. With `authorized:
 * false` the event has no `authorizer` at all, as for a route deployed without one (the type marks
 * it required, so that variant is built from the plain v2 event).
 */
export function statusEvent(tenantId: string, options: { authorized?: boolean } = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  const path = `/tenants/${encodeURIComponent(tenantId)}`;
  const plain: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "GET /tenants/{tenantId}",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "user-agent": "aws-sdk-js/3" },
    requestContext: requestContextV2("GET", path, "GET /tenants/{tenantId}"),
    pathParameters: { tenantId },
    isBase64Encoded: false,
  };
  if (options.authorized === false) return plain as APIGatewayProxyEventV2WithIAMAuthorizer;
  return { ...plain, requestContext: { ...plain.requestContext, authorizer: iamCaller() } };
}

// --- EventBridge Scheduler / schedule rule --------------------------------------------------

/** The event a `rate(...)` schedule rule delivers. */
export function scheduledEvent(): ScheduledEvent<Record<string, never>> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/tenant-provisioner-backfill`],
    detail: {},
  };
}
