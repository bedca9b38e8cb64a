import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ValidationError } from "../src/errors.ts";
import { TENANT_ID_PATTERN } from "../src/provisioning/constants.ts";
import type { Service } from "../src/service.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import { log, logger, runtimeService } from "./lib/runtime.ts";
import { invocationDeadline } from "./middleware/deadline.ts";
import { httpErrorResponses, json } from "./middleware/http-errors.ts";

/**
 * `GET /tenants/{tenantId}`: one tenant's provisioning status. Protected by API Gateway's IAM
 * authorization (the route is `authorizer: aws_iam`; callers sign with SigV4 and need
 * `execute-api:Invoke` on this route); the handler refuses any request that did not pass it.
 *
 * @example
 * ```ts
 * export const handler = createStatusHandler(runtimeService());
 * ```
 */
export function createStatusHandler(service: Service) {
  const lambda = middy<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrorResponses({ log }))
    // Bounds the DynamoDB read; the margin is what the reply needs.
    .use(invocationDeadline({ marginMs: 500 }))
    .handler(async (event) => {
      const caller = event.requestContext.authorizer?.iam;
      if (!caller?.userArn && !caller?.userId) {
        return json(403, { error: "forbidden", rule: "IAM (SigV4) authorization required" });
      }
      const tenantId = event.pathParameters?.tenantId ?? "";
      if (!TENANT_ID_PATTERN.test(tenantId)) {
        throw new ValidationError([{ field: "tenantId", rule: "1-36 characters of A-Z a-z 0-9 _ -, starting with a letter or digit" }]);
      }
      const { tenant, steps } = await service.store.getTenant(tenantId);
      if (!tenant) return json(404, { error: "not-found", tenantId });
      return json(200, {
        tenantId,
        source: tenant.source,
        registeredAt: tenant.createdAt,
        succeeded: steps.every((s) => s.status === "SUCCEEDED"),
        steps: steps.map((s) => ({
          step: s.step,
          status: s.status,
          attempts: s.attempts,
          firstAttemptAt: s.firstAttemptAt,
          lastAttemptAt: s.lastAttemptAt,
          nextAttemptAt: s.nextAttemptAt,
          resource: s.resource,
          // A SUCCEEDED step's error is history, not its state: shown as previousError.
          ...(s.status === "SUCCEEDED" ? { previousError: s.lastError } : { lastError: s.lastError }),
          updatedAt: s.updatedAt,
        })),
      });
    });
  return inAwsCallScope(lambda);
}

export const handler = createStatusHandler(runtimeService());
