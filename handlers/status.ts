import middy from "@middy/core";
import { injectLambdaContext } from "./middleware/inject-lambda-context.ts";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { STEP_NAMES } from "../src/outcomes/constants.ts";
import { tenantStatusView } from "../src/outcomes/tenant-status-view.ts";
import type { OutcomeStore } from "../src/outcomes/store.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import { logger, runtimeStore } from "./lib/runtime.ts";
import { tenantIdParam } from "./lib/tenant-id.ts";
import { invocationDeadline } from "./middleware/deadline.ts";
import { httpErrorResponses, json } from "./middleware/http-errors.ts";
import { requireIamCaller } from "./middleware/iam-caller.ts";

/**
 * `GET /tenants/{tenantId}`: one tenant's provisioning status. Protected by API Gateway's IAM
 * authorization (the route is `authorizer: aws_iam`; callers sign with SigV4 and need
 * `execute-api:Invoke` on this route); the handler refuses any request that did not pass it.
 *
 * @example
 * ```ts
 * export const handler = createStatusHandler({ store: runtimeStore() });
 * ```
 */
export function createStatusHandler(service: { store: OutcomeStore }, options: { stepNames?: readonly string[] } = {}) {
  const stepNames = options.stepNames ?? STEP_NAMES;
  const lambda = middy<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrorResponses({ log: logger }))
    // Bounds the DynamoDB read; the margin is what the reply needs.
    .use(invocationDeadline({ marginMs: 500 }))
    .use(requireIamCaller())
    .handler(async (event) => {
      const tenantId = tenantIdParam(event);
      const { tenant, steps } = await service.store.getTenant(tenantId);
      if (!tenant) return json(404, { error: "not-found", tenantId });
      return json(200, tenantStatusView(tenant, steps, stepNames));
    });
  return inAwsCallScope(lambda);
}

export const handler = createStatusHandler({ store: runtimeStore() });
