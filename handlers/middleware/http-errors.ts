import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ProvisionerError, ValidationError } from "../../src/errors.ts";
import { boundIssues } from "../../src/rejections/bounded-issues.ts";
import { WebhookIdNotRecordedError, WebhookVerificationError } from "../../src/webhook/errors.ts";
import { PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.ts";

/** Where the middleware reports what it could not map (never to the client). */
export interface ErrorLog {
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

/**
 * Turns thrown errors into JSON replies: bad input is a 4xx that names the field and the rule
 * (400 invalid, 401 signature, 409 webhook-id reused for another body, 413 too large, 415 not JSON); a webhook-id
 * DynamoDB could not record in time is a 503 with `Retry-After`; anything else is a 500 with no detail,
 * logged by name (and by message when it is one of ours, a ProvisionerError). Bad input never gets a 5xx because every input error is typed.
 *
 * @example
 * ```ts
 * middy(handler).use(httpErrorResponses({ log: logger }));
 * ```
 */
export function httpErrorResponses(options: { log: ErrorLog }): MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  return {
    name: "httpErrorResponses",
    onError: (request) => {
      const error = request.error;
      request.response = errorResponse(error, options.log);
    },
  };
}

/**
 * The reply for one error; exported for the handlers' own early exits.
 *
 * @example
 * ```ts
 * if (!tenant) return errorResponse(new ValidationError([{ field: "tenantId", rule: TENANT_ID_RULE }]), logger);
 * ```
 */
export function errorResponse(error: unknown, log: ErrorLog): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ValidationError) {
    // Bounded: a body of thousands of unknown keys names the first 50 (issueCount says how many).
    return json(400, { error: "invalid-request", ...boundIssues(error.issues) });
  }
  if (error instanceof WebhookVerificationError) {
    return json(error.reason === "id-reused" ? 409 : 401, { error: error.reason, issues: [{ field: error.field, rule: error.rule }] });
  }
  if (error instanceof PayloadTooLargeError) {
    return json(413, { error: "payload-too-large", issues: [{ field: "body", rule: `at most ${error.limitBytes} bytes` }] });
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return json(415, { error: "unsupported-media-type", issues: [{ field: "content-type", rule: error.rule }] }, { accept: "application/json" });
  }
  if (error instanceof WebhookIdNotRecordedError) {
    // A retryable answer a webhook sender handles: nothing was accepted, the resend is the delivery.
    const cause = error.cause instanceof Error ? error.cause.name : typeof error.cause;
    log.error("webhook-id not recorded: answered 503 (DynamoDB did not answer in time)", { errorName: error.name, causeName: cause });
    return json(
      503,
      { error: "webhook-id-not-recorded", message: error.message, retryAfterSeconds: error.retryAfterSeconds },
      { "retry-after": String(error.retryAfterSeconds) },
    );
  }
  // Our own errors' messages are written by us and carry no secret; others' may carry anything.
  const message = error instanceof ProvisionerError ? { errorMessage: error.message } : {};
  log.error("unhandled error", { errorName: error instanceof Error ? error.name : typeof error, ...message });
  return json(500, { error: "internal" });
}

/**
 * A JSON reply, with any further headers.
 *
 * @example
 * ```ts
 * return json(202, { tenantId, continuing: true }, { "retry-after": "5" });
 * ```
 */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}
