import * as z from "zod/mini";
import { ValidationError, type ValidationIssue } from "../errors.ts";
import { parseTenantOnboarding, type TenantOnboarding, type TenantSource } from "../provisioning/tenant.ts";
import { zodIssuesToValidationIssues } from "../validation/zod-issues.ts";

/**
 * The signup event as it reaches the queue: an EventBridge event whose `detail` is the
 * tenant-onboarding request (without `source`, which the entry point sets).
 */
const eventBridgeEnvelope = z.object({
  "detail-type": z.literal("TenantSignedUp"),
  source: z.string().check(z.minLength(1)),
  id: z.string().check(z.minLength(1)),
  detail: z.record(z.string(), z.unknown()),
});

/** The webhook body: a Standard Webhooks-style event with the request in `data`. */
const webhookEnvelope = z.strictObject({
  type: z.literal("tenant.created"),
  timestamp: z.optional(z.iso.datetime({ offset: true })),
  data: z.record(z.string(), z.unknown()),
});

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError([{ field, rule: "must be a JSON document" }]);
  }
}

function prefixed(error: ValidationError, prefix: string): ValidationError {
  const issues: ValidationIssue[] = error.issues.map((i) => ({ field: i.field ? `${prefix}.${i.field}` : prefix, rule: i.rule }));
  return new ValidationError(issues);
}

function withSource(payload: Record<string, unknown>, prefix: string, source: TenantSource): TenantOnboarding {
  if ("source" in payload) {
    throw new ValidationError([{ field: `${prefix}.source`, rule: "set by the entry point; leave it out" }]);
  }
  try {
    return parseTenantOnboarding({ ...payload, source });
  } catch (error) {
    throw error instanceof ValidationError ? prefixed(error, prefix) : error;
  }
}

/**
 * Unwraps an SQS record body (an EventBridge `TenantSignedUp` event) to the tenant request.
 * Throws {@link ValidationError} with fields named from the body's root (`detail.tenantId`).
 *
 * @example
 * ```ts
 * const tenant = tenantFromSignupEvent(record.body);
 * ```
 */
export function tenantFromSignupEvent(body: string): TenantOnboarding {
  const json = parseJson(body, "body");
  const parsed = eventBridgeEnvelope.safeParse(json);
  if (!parsed.success) throw new ValidationError(zodIssuesToValidationIssues(parsed.error.issues, json));
  return withSource(parsed.data.detail, "detail", "signup");
}

/**
 * Unwraps a verified webhook body to the tenant request; fields are named from the body's root
 * (`data.admin.userId`).
 *
 * @example
 * ```ts
 * const tenant = tenantFromWebhookBody(rawBody.toString("utf8"));
 * ```
 */
export function tenantFromWebhookBody(body: string): TenantOnboarding {
  const json = parseJson(body, "body");
  const parsed = webhookEnvelope.safeParse(json);
  if (!parsed.success) throw new ValidationError(zodIssuesToValidationIssues(parsed.error.issues, json));
  return withSource(parsed.data.data, "data", "webhook");
}
