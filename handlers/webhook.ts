import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { awsClientOptions } from "../src/aws/client-options.ts";
import { tenantFromWebhookBody } from "../src/inputs/unwrap.ts";
import type { ProvisionResult } from "../src/provisioning/types.ts";
import { sqsSignupQueue, type SignupQueue } from "../src/queue/signup-queue.ts";
import type { Service } from "../src/service.ts";
import { WebhookReplayGuard } from "../src/webhook/replay-guard.ts";
import { log, logger, metrics, runtimeService } from "./lib/runtime.ts";
import { deadlineOf, invocationDeadline, type DeadlineContext } from "./middleware/deadline.ts";
import { httpErrorResponses, isClientError, json } from "./middleware/http-errors.ts";
import { rawBody, rawBodyOf } from "./middleware/raw-body.ts";
import { webhookOf, webhookSignature, type WebhookContext } from "./middleware/webhook-signature.ts";

/** Largest webhook body accepted (a tenant request is well under 16 KiB). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** How long the request itself may provision before handing the rest to the queue. */
const REQUEST_BUDGET_MS = 8_000;

type Context = WebhookContext & DeadlineContext;

/** Options of {@link createWebhookHandler}; the queue defaults to SQS at SIGNUP_QUEUE_URL. */
export interface WebhookHandlerOptions {
  queue?: SignupQueue;
}

/**
 * HTTP API (payload v2) webhook: verifies the Standard Webhooks signature on the raw body,
 * rejects replays and oversized bodies, then provisions within the request budget.
 *
 * Replies: 201 provisioned now; 200 already provisioned (or finished with a permanent outcome,
 * shown per step); 202 continues through the signup queue; 400 names the fields; 401 bad
 * signature or timestamp; 409 replayed webhook-id, or the tenant is in progress elsewhere;
 * 413 too large. Bad input never gets a 5xx.
 *
 * @example
 * ```ts
 * export const handler = createWebhookHandler(runtimeService());
 * ```
 */
export function createWebhookHandler(service: Service, options: WebhookHandlerOptions = {}) {
  const guard = new WebhookReplayGuard(service.documentClient, service.config.outcomeTableName);
  let queue = options.queue;
  const signupQueue = (): SignupQueue => {
    if (!queue) {
      if (!service.config.signupQueueUrl) throw new Error("SIGNUP_QUEUE_URL is not configured");
      queue = sqsSignupQueue(new SQSClient(awsClientOptions()), service.config.signupQueueUrl);
    }
    return queue;
  };

  const lambda = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpErrorResponses({ log }))
    .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: REQUEST_BUDGET_MS }))
    .use(rawBody({ maxBytes: MAX_WEBHOOK_BODY_BYTES }))
    .use(
      webhookSignature({
        secrets: service.credentials.webhook,
        remember: (id) => guard.remember(id),
        forget: (id) => guard.forget(id),
        isClientError,
      }),
    )
    .handler(async (_event, context) => {
      const tenant = tenantFromWebhookBody(rawBodyOf(context).toString("utf8"));
      logger.appendKeys({ tenantId: tenant.tenantId, webhookId: webhookOf(context).id });
      const result = await service.provision(tenant, deadlineOf(context), context.awsRequestId);
      const body = { tenantId: tenant.tenantId, steps: publicSteps(result) };

      if (result.succeeded) {
        const createdNow = result.steps.some((s) => s.action === "ran" && s.providerOutcome === "created");
        return json(createdNow ? 201 : 200, body);
      }
      if (result.steps.some((s) => s.action === "in-progress-elsewhere" && s.status === "IN_PROGRESS")) {
        // Not the sender's fault: give the id back so its retry (same id) gets the final answer.
        await guard.forget(webhookOf(context).id);
        return json(409, { ...body, error: "in-progress", rule: "the tenant is being provisioned by another request; retry later" });
      }
      if (result.retryable) {
        await signupQueue().enqueue(tenant);
        return json(202, { ...body, continuing: "signup-queue" });
      }
      return json(200, body);
    });
  return inAwsCallScope(lambda);
}

/** What the webhook caller sees of each step: no internal lease data. */
function publicSteps(result: ProvisionResult) {
  return result.steps.map((s) => ({
    step: s.step,
    status: s.status,
    attempts: s.attempts,
    resource: s.resource,
    ...(s.error ? { error: { provider: s.error.provider, code: s.error.code, requestId: s.error.requestId } } : {}),
  }));
}

export const handler = createWebhookHandler(runtimeService());
