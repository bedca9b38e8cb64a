import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./http-errors.ts";

/**
 * Refuses (403) a request that did not pass API Gateway's IAM authorization: a route with
 * `authorizer: aws_iam` puts the SigV4 caller in the request context; a request without one (a
 * route deployed without the authorizer) never reaches the handler.
 *
 * @example
 * ```ts
 * middy(handler).use(requireIamCaller());
 * ```
 */
export function requireIamCaller(): MiddlewareObj<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2> {
  return {
    name: "requireIamCaller",
    before: (request) => {
      const caller = request.event.requestContext.authorizer?.iam;
      if (!caller?.userArn && !caller?.userId) {
        return json(403, { error: "forbidden", rule: "IAM (SigV4) authorization required" });
      }
      return undefined;
    },
  };
}
