import { mkdir, writeFile } from "node:fs/promises";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { startLocalHttpApi } from "./http-api-adapter.ts";
import { localLambdaContext } from "./lambda-context.ts";
import { startSqsEventSource } from "./sqs-event-source.ts";
import { startSqsStandIn } from "./sqs.ts";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "./stack.ts";

/** Queue names of the local stack. */
export const LOCAL_QUEUES = { signup: "tenant-signup", dlq: "tenant-signup-dlq" } as const;

/** Where `npm start` writes what the operator CLI needs to find the running stack. */
export const LOCAL_STATE_FILE = ".local/stack.json";

/** What the CLI reads from {@link LOCAL_STATE_FILE}. */
export interface LocalStackState {
  env: Record<string, string>;
  webhookUrl: string;
  statusUrl: string;
  backfillUrl: string;
  signupQueueUrl: string;
  dlqUrl: string;
}

/** Options of {@link startLocalService}. */
export interface LocalServiceOptions extends LocalStackOptions {
  httpPort?: number;
  sqsPort?: number;
  /** Run the backfill handler this often (ms); 0 turns the schedule off. */
  backfillEveryMs?: number;
  /** Write {@link LOCAL_STATE_FILE}. */
  writeStateFile?: boolean;
}

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

/**
 * The whole service on this machine: the local stack, an SQS stand-in with the signup queue and
 * its DLQ, the real handler modules (imported after the environment points at the stand-ins, so
 * their cold start is the real one), the signup handler fed by a local event source, the webhook
 * and status routes over HTTP, and the backfill on a schedule and at `POST /__local/backfill`.
 *
 * @example
 * ```ts
 * const running = await startLocalService({ httpPort: 3000 });
 * console.log(running.state.webhookUrl);
 * ```
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<{ state: LocalStackState; stack: LocalStack; close(): Promise<void> }> {
  const sqs = await startSqsStandIn({
    port: options.sqsPort ?? 0,
    queues: [
      { name: LOCAL_QUEUES.dlq },
      { name: LOCAL_QUEUES.signup, visibilityTimeoutMs: 30_000, redrive: { deadLetterQueueName: LOCAL_QUEUES.dlq, maxReceiveCount: 5 } },
    ],
  });
  const signupQueueUrl = sqs.queueUrl(LOCAL_QUEUES.signup);
  const stack = await startLocalStack({
    ...options,
    env: { AWS_ENDPOINT_URL_SQS: sqs.endpoint, SIGNUP_QUEUE_URL: signupQueueUrl, ...options.env },
  });
  Object.assign(process.env, stack.env);

  // Imported only now: each handler module builds its service from process.env at load.
  const signup = (await import("../../handlers/signup.ts")).handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
  const webhook = (await import("../../handlers/webhook.ts")).handler as HttpHandler;
  // The status route takes the IAM-authorizer variant of the v2 event, a subtype of what the adapter builds.
  const status = (await import("../../handlers/status.ts")).handler as unknown as HttpHandler;
  const offboard = (await import("../../handlers/offboard.ts")).handler as unknown as HttpHandler;
  const backfill = (await import("../../handlers/backfill.ts")).handler as (e: unknown, c: Context) => Promise<unknown>;

  const runBackfill = async (event: unknown) => backfill(event, localLambdaContext("backfill", 60_000));
  const api = await startLocalHttpApi(
    [
      { method: "POST", path: "/webhooks/tenant-signup", functionName: "webhook", timeoutMs: 29_000, handler: webhook },
      { method: "GET", path: "/tenants/{tenantId}", functionName: "status", timeoutMs: 10_000, iamAuthorizer: true, handler: status },
      { method: "DELETE", path: "/tenants/{tenantId}", functionName: "offboard", timeoutMs: 15_000, iamAuthorizer: true, handler: offboard },
      {
        method: "POST",
        path: "/__local/backfill",
        functionName: "backfill",
        timeoutMs: 60_000,
        handler: async (event) => {
          let body: unknown = {};
          try {
            if (event.body) body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body);
          } catch {
            return { statusCode: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: "invalid-request", issues: [{ field: "body", rule: "must be a JSON document" }] }) };
          }
          const report = await runBackfill(body);
          return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(report) };
        },
      },
    ],
    options.httpPort ?? 0,
  );

  const sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: stack.env.AWS_REGION });
  const source = startSqsEventSource({
    client: sqsClient,
    queueUrl: signupQueueUrl,
    queueArn: sqs.queueArn(LOCAL_QUEUES.signup),
    pollIntervalMs: 200,
    failedRecordVisibilitySeconds: 5,
    handler: (event) => signup(event, localLambdaContext("signup", 60_000)),
  });
  const timer =
    (options.backfillEveryMs ?? 0) > 0
      ? setInterval(() => void runBackfill({ "detail-type": "Scheduled Event" }).catch(() => undefined), options.backfillEveryMs)
      : undefined;

  const state: LocalStackState = {
    env: stack.env,
    webhookUrl: `${api.url}/webhooks/tenant-signup`,
    statusUrl: `${api.url}/tenants/{tenantId}`,
    backfillUrl: `${api.url}/__local/backfill`,
    signupQueueUrl,
    dlqUrl: sqs.queueUrl(LOCAL_QUEUES.dlq),
  };
  if (options.writeStateFile) {
    await mkdir(".local", { recursive: true });
    await writeFile(LOCAL_STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    state,
    stack,
    async close() {
      if (timer) clearInterval(timer);
      await source.stop();
      sqsClient.destroy();
      await api.close();
      await stack.close();
      await sqs.close();
    },
  };
}
