import middy from "@middy/core";
import { injectLambdaContext } from "./middleware/inject-lambda-context.ts";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { StoredTenantUnreadableError, TenantNotFoundError } from "../src/provisioning/errors.ts";
import type { CoreService } from "../src/service.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import { logger } from "./lib/runtime.ts";
import { runtimeService } from "./lib/runtime-service.ts";
import { tenantIdParam } from "./lib/tenant-id.ts";
import { deadlineOf, invocationDeadline, type DeadlineContext } from "./middleware/deadline.ts";
import { httpErrorResponses, json } from "./middleware/http-errors.ts";
import { requireIamCaller } from "./middleware/iam-caller.ts";

/** How long the request itself may remove resources before the backfill takes over. */
const REQUEST_BUDGET_MS = 8_000;

/**
 * `DELETE /tenants/{tenantId}`: offboards a tenant (desired ABSENT, a new generation); each step
 * removes its resource, the records stay as the audit trail (status DELETED). IAM-authorised
 * exactly like `GET /tenants/{tenantId}`. Replies 200 with each step's outcome when the removal
 * finished (DELETED, or CONFLICT for a group that is not ours), 202 when it continues in the
 * backfill (the steps are in the unfinished index), 404 for a tenant never recorded, 409 (nothing
 * written) when its stored request cannot be read and removal needs what it holds (the IM owner).
 * Offboarding an offboarded tenant again changes nothing.
 *
 * @example
 * ```ts
 * export const handler = createOffboardHandler(runtimeService());
 * ```
 */
export function createOffboardHandler(service: CoreService) {
  const lambda = middy<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Error, DeadlineContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrorResponses({ log: logger }))
    .use(requireIamCaller())
    .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: REQUEST_BUDGET_MS }))
    .handler(async (event, context) => {
      const caller = event.requestContext.authorizer.iam;
      const tenantId = tenantIdParam(event);
      let result;
      try {
        result = await service.offboard({ tenantId, requestedAt: "now", source: "api" }, { deadline: deadlineOf(context), workerId: context.awsRequestId });
      } catch (error) {
        if (error instanceof TenantNotFoundError) return json(404, { error: "not-found", tenantId });
        // Nothing was written: the stored request does not say what removal needs (its issues
        // name stored fields, not this request's).
        if (error instanceof StoredTenantUnreadableError) return json(409, { error: "stored-tenant-unreadable", tenantId, issues: error.issues });
        throw error;
      }
      logger.info("offboarding requested", { tenantId, generation: result.generation, caller: caller.userArn ?? caller.userId });
      return json(result.retryable ? 202 : 200, {
        tenantId,
        desired: result.desired,
        generation: result.generation,
        steps: result.steps.map((s) => ({
          step: s.step,
          status: s.status,
          attempts: s.attempts,
          resource: s.resource,
          ...(s.error ? { error: { provider: s.error.provider, code: s.error.code, requestId: s.error.requestId } } : {}),
        })),
        ...(result.retryable ? { continuing: "backfill" } : {}),
      });
    });
  // AWS calls (DynamoDB, Secrets Manager, EventBridge) stop at the invocation's deadline too.
  return inAwsCallScope(lambda);
}

export const handler = createOffboardHandler(runtimeService());
