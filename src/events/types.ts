/**
 * Outcome events: what the service tells downstream systems when a tenant reaches a terminal
 * state for a generation (issue 9; one superseded before its event went out is still announced,
 * before the newer one: consumers order by `generation`). One EventBridge event per (tenant, generation,
 * outcome); `detail.eventId` is stable across re-announcements so consumers can dedupe.
 * Each builder throws a ValidationError naming the field and the rule of a bad subject or failure.
 */
import * as z from "zod/mini";
import { parseOrThrow } from "../validation/issues.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";

/** The `source` of every outcome event. */
export const OUTCOME_EVENT_SOURCE = "tenant-provisioner";

/** The three `detail-type`s. */
export const OUTCOME_DETAIL_TYPES = ["TenantProvisioned", "TenantProvisioningFailed", "TenantDeprovisioned"] as const;

/** One of {@link OUTCOME_DETAIL_TYPES}. */
export type OutcomeDetailType = (typeof OUTCOME_DETAIL_TYPES)[number];

/**
 * PutEvents' limit on one entry (Time, Source, DetailType, Detail and Resources, in UTF-8
 * bytes), as the EventBridge user guide computes it: 256 KB.
 */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;

/** Fields every outcome event's detail carries. */
export interface OutcomeDetailBase {
  /** `${tenantId}:${generation}:${detailType}`: the same for every announcement of one transition. */
  eventId: string;
  tenantId: string;
  /** The tenant generation this outcome is for (≥1). */
  generation: number;
  /** When the tenant reached this state (ISO 8601); also the entry's `Time`. */
  occurredAt: string;
}

/** `TenantProvisioned`: every step of the generation succeeded. */
export interface TenantProvisionedDetail extends OutcomeDetailBase {
  /** Provider resource ids by step, e.g. `{ "im-group": "tenant-42" }` (optional). */
  resources?: Record<string, string> | undefined;
}

/** Why a step failed, for {@link tenantProvisioningFailed}. */
export interface StepFailure {
  /** The step that failed, e.g. `sls-consumer-group`. */
  step: string;
  /** The step's final status. */
  status: "FAILED_PERMANENT" | "CONFLICT";
  /** The provider's error code (`ConsumerGroupQuotaExceed`, `10004`, `GroupConflict`). */
  code: string;
  provider?: string | undefined;
  /** The provider's request id, when it gave one (SLS `x-log-requestid`; IM the call's `random`). */
  requestId?: string | undefined;
  /** Short human text; never a secret (callers pass provider error messages, which are redacted). */
  message?: string | undefined;
}

/** `TenantProvisioningFailed`: a step ended FAILED_PERMANENT or CONFLICT for this generation. */
export type TenantProvisioningFailedDetail = OutcomeDetailBase & StepFailure;

/** `TenantDeprovisioned`: every step's resource is gone for this generation. */
export type TenantDeprovisionedDetail = OutcomeDetailBase;

/** One outcome event, typed by its detail-type. */
export type OutcomeEvent =
  | { detailType: "TenantProvisioned"; detail: TenantProvisionedDetail }
  | { detailType: "TenantProvisioningFailed"; detail: TenantProvisioningFailedDetail }
  | { detailType: "TenantDeprovisioned"; detail: TenantDeprovisionedDetail };

/** What identifies a transition: the tenant, its generation, and when it happened. */
export interface OutcomeSubject {
  tenantId: string;
  generation: number;
  /** Default: now. */
  occurredAt?: Date | undefined;
}

/**
 * The stable event id of one transition.
 *
 * @example
 * ```ts
 * outcomeEventId("acme-1", 3, "TenantProvisioned"); // "acme-1:3:TenantProvisioned"
 * ```
 */
export function outcomeEventId(tenantId: string, generation: number, detailType: OutcomeDetailType): string {
  return `${tenantId}:${generation}:${detailType}`;
}

/** What every event is about: a tenant (the service's tenant id rule), a generation ≥ 1, a real time. */
const outcomeSubjectSchema = z.object({
  tenantId: tenantIdSchema,
  generation: z.int().check(z.gte(1)),
  occurredAt: z.optional(z.date()),
});

/** A failed step: its name, a final status and the provider's code. */
// Built on first use (z.lazy): only a permanent failure announces it.
const failedSubjectSchema = z.lazy(() =>
  z.object({
    ...outcomeSubjectSchema.def.shape,
    step: z.string().check(z.minLength(1)),
    status: z.enum(["FAILED_PERMANENT", "CONFLICT"]),
    code: z.string().check(z.minLength(1)),
  }),
);

function base(subject: OutcomeSubject, detailType: OutcomeDetailType): OutcomeDetailBase {
  return {
    eventId: outcomeEventId(subject.tenantId, subject.generation, detailType),
    tenantId: subject.tenantId,
    generation: subject.generation,
    occurredAt: (subject.occurredAt ?? new Date()).toISOString(),
  };
}

/**
 * A `TenantProvisioned` event.
 *
 * @example
 * ```ts
 * const event = tenantProvisioned({ tenantId: "acme-1", generation: 1 }, { "im-group": "tenant-acme-1" });
 * event.detail.eventId; // "acme-1:1:TenantProvisioned"
 * ```
 */
export function tenantProvisioned(subject: OutcomeSubject, resources?: Record<string, string>): OutcomeEvent {
  parseOrThrow(outcomeSubjectSchema, subject, "TenantProvisioned");
  return { detailType: "TenantProvisioned", detail: { ...base(subject, "TenantProvisioned"), ...(resources ? { resources } : {}) } };
}


/**
 * A `TenantProvisioningFailed` event naming the failed step, its code and request id.
 *
 * @example
 * ```ts
 * tenantProvisioningFailed({ tenantId: "acme-1", generation: 2 },
 *   { step: "sls-consumer-group", status: "FAILED_PERMANENT", code: "ConsumerGroupQuotaExceed", requestId: "5F1D…" });
 * ```
 */
export function tenantProvisioningFailed(subject: OutcomeSubject, failure: StepFailure): OutcomeEvent {
  parseOrThrow(failedSubjectSchema, { ...subject, step: failure.step, status: failure.status, code: failure.code }, "TenantProvisioningFailed");
  const detail: TenantProvisioningFailedDetail = {
    ...base(subject, "TenantProvisioningFailed"),
    step: failure.step,
    status: failure.status,
    code: failure.code,
  };
  if (failure.provider !== undefined) detail.provider = failure.provider;
  if (failure.requestId !== undefined) detail.requestId = failure.requestId;
  if (failure.message !== undefined) detail.message = failure.message;
  return { detailType: "TenantProvisioningFailed", detail };
}

/**
 * A `TenantDeprovisioned` event.
 *
 * @example
 * ```ts
 * tenantDeprovisioned({ tenantId: "acme-1", generation: 4 }).detail.eventId; // "acme-1:4:TenantDeprovisioned"
 * ```
 */
export function tenantDeprovisioned(subject: OutcomeSubject): OutcomeEvent {
  parseOrThrow(outcomeSubjectSchema, subject, "TenantDeprovisioned");
  return { detailType: "TenantDeprovisioned", detail: base(subject, "TenantDeprovisioned") };
}
