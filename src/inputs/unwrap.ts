import * as z from "zod/mini";
import { ValidationError, type ValidationIssue } from "../errors.ts";
import { admitTenantOnboarding, type StoredTenantReader } from "../provisioning/stored-text.ts";
import type { TenantOnboarding, TenantSource } from "../provisioning/tenant.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { zodIssuesToValidationIssues } from "../validation/zod-issues.ts";

/** The lifecycle events the signup rule routes to the queue. */
export const LIFECYCLE_DETAIL_TYPES = ["TenantSignedUp", "TenantOffboarded"] as const;

/**
 * A lifecycle event as it reaches the queue: an EventBridge event whose `detail` is the
 * tenant-onboarding request (without `source`, which the entry point sets) for `TenantSignedUp`
 * (a first signup, or an update of a known tenant), or `{ tenantId, requestedAt }` for
 * `TenantOffboarded`.
 */
const eventBridgeEnvelope = z.object({
  "detail-type": z.enum(LIFECYCLE_DETAIL_TYPES),
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

/** Envelope issues, with a root issue (a body that is JSON but not an object) named `body`. */
function envelopeError(issues: readonly z.core.$ZodIssue[], json: unknown): ValidationError {
  return new ValidationError(zodIssuesToValidationIssues(issues, json).map((i) => (i.field ? i : { ...i, field: "body" })));
}

function prefixed(error: ValidationError, prefix: string): ValidationError {
  const issues: ValidationIssue[] = error.issues.map((i) => ({ field: i.field ? `${prefix}.${i.field}` : prefix, rule: i.rule }));
  return new ValidationError(issues);
}

/**
 * The request with its `source`, judged by the core ({@link admitTenantOnboarding}: a text the
 * rules refuse passes only as the one stored for the tenant, read with `readStored`).
 */
async function withSource(payload: Record<string, unknown>, prefix: string, source: TenantSource, readStored: StoredTenantReader): Promise<TenantOnboarding> {
  if (Object.hasOwn(payload, "source")) {
    throw new ValidationError([{ field: `${prefix}.source`, rule: "set by the entry point; leave it out" }]);
  }
  try {
    return await admitTenantOnboarding({ ...payload, source }, readStored);
  } catch (error) {
    throw error instanceof ValidationError ? prefixed(error, prefix) : error;
  }
}

/** An offboarding request: the tenant's resources go, its records stay. */
export interface TenantOffboarding {
  tenantId: string;
  requestedAt: string;
}

// Built on first use (z.lazy): the queue carries signups far more often than offboardings.
const offboardingSchema = z.lazy(() =>
  z.strictObject({
    tenantId: tenantIdSchema,
    requestedAt: z.iso.datetime({ offset: true }),
  }),
);

/** What a queue record asks for. */
export type LifecycleEvent = { kind: "signup"; tenant: TenantOnboarding } | { kind: "offboard"; offboarding: TenantOffboarding };

/**
 * Unwraps an SQS record body (an EventBridge `TenantSignedUp` or `TenantOffboarded` event).
 * Throws {@link ValidationError} with fields named from the body's root (`detail.tenantId`).
 * `readStored` reads the tenant only when the request's texts break the text rules (see
 * {@link admitTenantOnboarding}).
 *
 * @example
 * ```ts
 * const event = await lifecycleEventFromQueueBody(record.body, async (id) => (await store.getTenant(id)).tenant);
 * if (event.kind === "offboard") await service.offboard(event.offboarding.tenantId, ...);
 * ```
 */
export async function lifecycleEventFromQueueBody(body: string, readStored: StoredTenantReader): Promise<LifecycleEvent> {
  const json = parseJson(body, "body");
  const parsed = eventBridgeEnvelope.safeParse(json);
  if (!parsed.success) throw envelopeError(parsed.error.issues, json);
  // The raw object, not zod's record copy: that copy drops an own `__proto__` key, which the
  // strict schemas must see (and refuse) like any other unknown field.
  const detail = (json as { detail: Record<string, unknown> }).detail;
  if (parsed.data["detail-type"] === "TenantOffboarded") {
    return { kind: "offboard", offboarding: parseOrThrow(offboardingSchema, detail, undefined, "detail") };
  }
  return { kind: "signup", tenant: await withSource(detail, "detail", "signup", readStored) };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The text of a body that must be UTF-8 (JSON is, RFC 8259), or a ValidationError naming `body`:
 * a lenient decode put U+FFFD in place of bad bytes and provisioned names nobody sent.
 *
 * @example
 * ```ts
 * const tenant = tenantFromWebhookBody(utf8Body(rawBody));
 * ```
 */
export function utf8Body(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ValidationError([{ field: "body", rule: "must be UTF-8 text (RFC 8259)" }]);
  }
}

/**
 * Unwraps a verified webhook body to the tenant request; fields are named from the body's root
 * (`data.admin.userId`). `readStored` reads the tenant only when the request's texts break the
 * text rules (see {@link admitTenantOnboarding}).
 *
 * @example
 * ```ts
 * const tenant = await tenantFromWebhookBody(rawBody.toString("utf8"), async (id) => (await store.getTenant(id)).tenant);
 * ```
 */
export async function tenantFromWebhookBody(body: string, readStored: StoredTenantReader): Promise<TenantOnboarding> {
  const json = parseJson(body, "body");
  const parsed = webhookEnvelope.safeParse(json);
  if (!parsed.success) throw envelopeError(parsed.error.issues, json);
  return withSource((json as { data: Record<string, unknown> }).data, "data", "webhook", readStored);
}
