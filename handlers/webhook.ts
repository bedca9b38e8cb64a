import middy from "@middy/core";
import { injectLambdaContext } from "./middleware/inject-lambda-context.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { AwsCallDeadlineError } from "../src/aws/errors.ts";
import { ValidationError } from "../src/errors.ts";
import { tenantFromWebhookBody, utf8Body } from "../src/inputs/unwrap.ts";
import { storedTenantReader } from "../src/provisioning/stored-text.ts";
import { VALIDATION_CODE } from "../src/provisioning/step-result.ts";
import { ImmutableFieldError, RequestedAtAheadError } from "../src/provisioning/errors.ts";
import type { TenantOnboarding } from "../src/provisioning/tenant.ts";
import type { ProvisionResult } from "../src/provisioning/types.ts";
import { signupQueueAt, type SignupQueue } from "../src/queue/signup-queue.ts";
import type { CoreService, WebhookParts } from "../src/service.ts";
import { isUnfinishedStatus } from "../src/outcomes/constants.ts";
import { logger } from "./lib/runtime.ts";
import { runtimeWebhookService } from "./lib/runtime-service.ts";
import { allowAwsCallsUntilInvocationEnd, deadlineOf, invocationDeadline, withAwsCallsFor, withAwsCallsUntilInvocationEnd, type DeadlineContext } from "./middleware/deadline.ts";
import { httpErrorResponses, json } from "./middleware/http-errors.ts";
import { jsonContentType } from "./middleware/json-content-type.ts";
import { rawBody, rawBodyOf } from "./middleware/raw-body.ts";
import { webhookOf, webhookSignature, type WebhookContext } from "./middleware/webhook-signature.ts";

/** Largest webhook body accepted (a tenant request is well under 16 KiB). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/**
 * How long a request cut off inside an AWS call may take to end its creation lease: DynamoDB
 * answers in milliseconds, and a hung one is not waited for (the lease then lapses by itself).
 */
const LEASE_RELEASE_WINDOW_MS = 1_000;

type Context = WebhookContext & DeadlineContext;

/** Options of {@link createWebhookHandler}; the queue defaults to SQS at SIGNUP_QUEUE_URL. */
export interface WebhookHandlerOptions {
  queue?: SignupQueue;
}

/**
 * HTTP API (payload v2) webhook: verifies the Standard Webhooks signature on the raw body,
 * refuses oversized bodies, then provisions within the request budget (WEBHOOK_REQUEST_BUDGET_MS,
 * default 3 s) and hands what is left to the signup queue.
 *
 * Replies (README "Webhook replies" has the table): 201 provisioned now; 200 already provisioned,
 * or finished with a permanent outcome shown per step; 202 still in progress (`continuing` says
 * where: the signup queue, another request that holds the tenant, or the backfill for a step
 * waiting for its next attempt, which a repeated request does not run early); 400 names the fields; 401
 * bad signature or timestamp; 409 a webhook-id already accepted with a different body, or a
 * request that changes a field fixed once the tenant exists (named; nothing is written); 413 too
 * large; 415 a body not declared `application/json` (UTF-8). A request for a known tenant with
 * changed mutable fields is an update (a new generation). A request older than the current generation's changes nothing and is answered with
 * the current outcome and `stale: {generation, requestedAt}` naming the generation that stands. A
 * resend (same webhook-id and body) is answered like any delivery, with the tenant's current
 * outcome. A webhook-id DynamoDB could not record in time is a 503 with Retry-After. Bad input
 * never gets a 5xx.
 *
 * @example
 * ```ts
 * export const handler = createWebhookHandler(runtimeWebhookService());
 * ```
 */
export function createWebhookHandler(service: CoreService & WebhookParts, options: WebhookHandlerOptions = {}) {
  const queue = options.queue ?? signupQueueAt(service.config.signupQueueUrl);
  // The hand-off runs after the request budget is spent (that is why there is one): it may take
  // the rest of the invocation, or a slow SQS under load turns a 202 into a 500.
  const handOff = async (tenant: TenantOnboarding, context: Context, delaySeconds = 0) => {
    allowAwsCallsUntilInvocationEnd(context);
    await queue.enqueue(tenant, delaySeconds > 0 ? { delaySeconds } : undefined);
  };
  // A request cut off inside an AWS call may have recorded the tenant with its creation lease
  // (the Put landed, its answer did not): kept, every other run, the queue's copy of this very
  // signup included, would see the steps "in progress elsewhere" until it lapsed (the budget plus
  // 30 s), and the queue's copy would wait out SQS's visibility timeout. The cut request does no
  // more work for the tenant (under a creation lease every step has returned by then), so it ends
  // the lease before the hand-off. Conditional on this request owning it: a no-op otherwise.
  const releaseCreationLease = async (tenantId: string, context: Context) => {
    try {
      await withAwsCallsFor(context, LEASE_RELEASE_WINDOW_MS, () => service.store.releaseCreationLease(tenantId, context.awsRequestId));
    } catch (error) {
      logger.warn("creation lease not released; it lapses by itself", { errorName: (error as Error).name });
    }
  };

  const lambda = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrorResponses({ log: logger }))
    .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: service.config.webhookRequestBudgetMs }))
    // Header checks first: a body not declared JSON is refused (415) before it is read or verified.
    .use(jsonContentType())
    .use(rawBody({ maxBytes: MAX_WEBHOOK_BODY_BYTES }))
    // The guard's write may use the whole invocation, not only the request budget: without it the
    // request cannot be accepted, and a sender retries a 503 into the same slow table.
    .use(
      webhookSignature({
        keys: service.webhookKeys,
        remember: (id, body, context) => withAwsCallsUntilInvocationEnd(context, () => service.replayGuard.remember(id, body)),
      }),
    )
    .handler(async (_event, context) => {
      const tenant = await tenantFromWebhookBody(utf8Body(rawBodyOf(context)), storedTenantReader(service.store));
      const webhook = webhookOf(context);
      logger.appendKeys({ tenantId: tenant.tenantId, webhookId: webhook.id, delivery: webhook.delivery });
      let result: ProvisionResult;
      try {
        result = await service.provision(tenant, { deadline: deadlineOf(context), workerId: context.awsRequestId });
      } catch (error) {
        if (error instanceof ImmutableFieldError) {
          return json(409, { error: "immutable-field", tenantId: tenant.tenantId, issues: [{ field: `data.${error.field}`, rule: `immutable: ${error.rule}` }] });
        }
        // Bad input like any other: the shared error mapper shapes the 400.
        if (error instanceof RequestedAtAheadError) throw new ValidationError([{ field: `data.${error.field}`, rule: error.rule }], "webhook");
        if (!(error instanceof AwsCallDeadlineError)) throw error;
        // The request budget ran out inside an AWS call (DynamoDB slow or hung): hand the tenant to
        // the queue, as for any work the budget could not finish, rather than fail the request.
        logger.warn("provisioning cut off at the request deadline; continuing through the signup queue", { errorName: error.name });
        await releaseCreationLease(tenant.tenantId, context);
        await handOff(tenant, context);
        return json(202, { tenantId: tenant.tenantId, steps: [], continuing: "signup-queue" });
      }
      const body = { tenantId: tenant.tenantId, steps: publicSteps(result), ...staleNote(result) };

      if (result.succeeded) {
        const createdNow = result.steps.some((s) => s.action === "ran" && s.providerOutcome === "created");
        return json(createdNow ? 201 : 200, body);
      }
      // Work this request could not finish goes to the queue; work another request holds is its
      // own, unless it holds the step for an older generation (this update is then ours to finish).
      // A step waiting for its next attempt (failed retryably, not yet due) is the backfill's: this
      // request (a resend, a repeat) neither runs it early nor queues it.
      const leftToUs = result.steps.some(
        (s) => (isUnfinishedStatus(s.status) && s.action !== "in-progress-elsewhere" && s.action !== "not-due") || s.behind === true,
      );
      if (leftToUs) await handOff(tenant, context, secondsUntilDue(result.steps, Date.now()));
      // A stale request changed nothing and never will: what continues is the current generation's
      // work, not this request's, so it is a 200 naming the generation that stands, never a 202.
      if (result.stale) return json(200, body);
      if (leftToUs) return json(202, { ...body, continuing: "signup-queue" });
      const heldElsewhere = result.steps.some((s) => isUnfinishedStatus(s.status) && s.action === "in-progress-elsewhere");
      if (result.retryable) return json(202, { ...body, continuing: heldElsewhere ? "in-progress-elsewhere" : "backfill" });
      return json(200, body);
    });
  return inAwsCallScope(lambda);
}

/**
 * When the queue's copy should arrive: 0 while a step is left that can run now (not started for
 * lack of budget, ours to finish), else when the first step that failed retryably comes due. A copy
 * delivered earlier finds every step waiting and is only redelivered, each receive counted towards
 * the DLQ.
 */
function secondsUntilDue(steps: ProvisionResult["steps"], nowMs: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const s of steps) {
    if (s.behind === true) return 0; // an older generation's result: this update is to run now
    if (!isUnfinishedStatus(s.status) || s.action === "in-progress-elsewhere") continue;
    const due = s.status === "FAILED_RETRYABLE" && s.nextAttemptAt !== undefined ? Date.parse(s.nextAttemptAt) : nowMs;
    first = Math.min(first, due);
  }
  return Number.isFinite(first) ? Math.max(0, Math.ceil((first - nowMs) / 1000)) : 0;
}

/**
 * For a request older than the current generation's: it changed nothing, and the steps shown are
 * the current generation's (set by the request of `requestedAt`), not this request's.
 */
function staleNote(result: ProvisionResult) {
  if (!result.stale) return {};
  return { stale: { generation: result.generation, ...(result.stale.requestedAt ? { requestedAt: result.stale.requestedAt } : {}) } };
}

/**
 * What the webhook caller sees of each step: no internal lease data, and no provider message (it
 * may name our logstores or accounts), except the service's own refusal of the request
 * (`Validation`), whose message names the field and rule the sender has to fix.
 */
function publicSteps(result: ProvisionResult) {
  return result.steps.map((s) => ({
    step: s.step,
    status: s.status,
    attempts: s.attempts,
    resource: s.resource,
    ...(s.nextAttemptAt ? { nextAttemptAt: s.nextAttemptAt } : {}),
    ...(s.error
      ? { error: { provider: s.error.provider, code: s.error.code, requestId: s.error.requestId, ...(s.error.code === VALIDATION_CODE ? { message: s.error.message } : {}) } }
      : {}),
  }));
}


export const handler = createWebhookHandler(runtimeWebhookService());
