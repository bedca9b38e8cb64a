import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ValidationError } from "../../src/errors.ts";
import { TENANT_ID_PATTERN } from "../../src/provisioning/constants.ts";

/**
 * The `{tenantId}` path parameter of the tenant routes; a malformed one is a ValidationError
 * naming `tenantId` (a 400).
 *
 * @example
 * ```ts
 * const tenantId = tenantIdParam(event);
 * ```
 */
export function tenantIdParam(event: Pick<APIGatewayProxyEventV2, "pathParameters">): string {
  const tenantId = event.pathParameters?.["tenantId"] ?? "";
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new ValidationError([{ field: "tenantId", rule: "1-36 characters of A-Z a-z 0-9 _ -, starting with a letter or digit" }]);
  }
  return tenantId;
}
