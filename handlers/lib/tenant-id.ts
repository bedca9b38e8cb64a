import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { parseOrThrow } from "../../src/validation/issues.ts";
import { tenantIdSchema } from "../../src/validation/tenant-id.ts";

/**
 * The `{tenantId}` path parameter of the tenant routes; a malformed one is a ValidationError
 * naming `tenantId` (a 400), with the one tenant id rule of the service.
 *
 * @example
 * ```ts
 * const tenantId = tenantIdParam(event);
 * ```
 */
export function tenantIdParam(event: Pick<APIGatewayProxyEventV2, "pathParameters">): string {
  return parseOrThrow(tenantIdSchema, event.pathParameters?.["tenantId"] ?? "", undefined, "tenantId");
}
