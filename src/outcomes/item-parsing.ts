/** Turns items read back from the table into typed records, refusing anything the store didn't write. */
import * as z from "zod/mini";
import { zodIssueLines } from "../validation/zod-issues.ts";
import { OUTCOME_DETAIL_TYPES } from "../events/types.ts";
import { DESIRED_STATES, STEP_NAME_PATTERN, STEP_STATUSES } from "./constants.ts";
import { MalformedOutcomeItemError } from "./errors.ts";
import type { JsonObject, OwedAnnouncement, StepRecord, TenantItem } from "./types.ts";

// Leaf rules used by several fields, built once: zod schemas are immutable, so one instance serves
// every field, and each one less is a schema fewer built (and kept) at every cold start.
const text = z.string();
const optionalText = z.optional(text);
const nonEmptyText = z.string().check(z.minLength(1));
const positiveInt = z.int().check(z.positive());
const nonNegativeInt = z.int().check(z.nonnegative());
const textMap = z.record(text, text);

const stepErrorSchema = z.object({
  provider: z.enum(["sls", "tencent-im"]),
  code: text,
  message: text,
  httpStatus: z.int(),
  requestId: optionalText,
  errorClass: z.enum(["transient", "throttled", "credentials", "permanent", "exists", "conflict"]),
});

const stepItemSchema = z.object({
  tenantId: nonEmptyText,
  step: z.string().check(z.regex(STEP_NAME_PATTERN)),
  status: z.enum(STEP_STATUSES),
  attempts: nonNegativeInt,
  firstAttemptAt: optionalText,
  lastAttemptAt: optionalText,
  nextAttemptAt: optionalText,
  lastError: z.optional(stepErrorSchema),
  resource: textMap,
  leaseOwner: optionalText,
  leaseExpiresAt: optionalText,
  // Written before generations existed: such a record is about generation 1.
  observedGeneration: z._default(positiveInt, 1),
  planHash: optionalText,
  deletedAt: optionalText,
  version: positiveInt,
  createdAt: text,
  updatedAt: text,
});

// Built on first use (z.lazy): an announcement is owed only after its publish failed.
const owedAnnouncementSchema = z.lazy(() =>
  z.object({
    generation: positiveInt,
    outcome: z.enum(OUTCOME_DETAIL_TYPES),
    occurredAt: text,
    failure: z.optional(
      z.object({
        step: text,
        status: z.enum(["FAILED_PERMANENT", "CONFLICT"]),
        code: text,
        provider: text,
        requestId: optionalText,
        message: optionalText,
      }),
    ),
    steps: z.array(z.object({ step: text, status: text, resource: textMap })),
  }),
);

const tenantItemSchema = z.object({
  tenantId: nonEmptyText,
  // Read apart (readSnapshot): a missing or broken snapshot makes the request unreadable, not the item.
  snapshot: optionalText,
  source: text,
  // Items written before generations existed read as generation 1, PRESENT.
  generation: z._default(positiveInt, 1),
  desired: z._default(z.enum(DESIRED_STATES), "PRESENT"),
  desiredAt: optionalText,
  redriveSteps: z.optional(z.array(text)),
  announcedGeneration: z.optional(nonNegativeInt),
  announcedOutcome: optionalText,
  leaseOwner: optionalText,
  leaseExpiresAt: optionalText,
  createdUnderLease: z.optional(z.boolean()),
  announceFailure: z.optional(
    z.object({
      generation: positiveInt,
      attempts: positiveInt,
      code: text,
      message: text,
      failedAt: text,
      gaveUp: z.boolean(),
      nextAttemptAt: optionalText,
    }),
  ),
  // Generation → the owed announcement as JSON (see TenantItem.owedAnnouncements).
  owedAnnouncements: z.optional(z.record(z.string().check(z.regex(/^[1-9][0-9]*$/)), text)),
  createdAt: text,
  updatedAt: text,
});

function keyOf(item: Record<string, unknown>): { pk: string; sk: string } {
  return {
    pk: typeof item["pk"] === "string" ? item["pk"] : "(no pk)",
    sk: typeof item["sk"] === "string" ? item["sk"] : "(no sk)",
  };
}

/** `field: rule` per broken rule; never the item's values (they may be tenant data). */
function problemsOf(error: z.core.$ZodError, item: Record<string, unknown>): string[] {
  return zodIssueLines(error.issues, item);
}

/**
 * Parses a step item (key and index attributes are dropped).
 *
 * @example
 * ```ts
 * const rec = parseStepItem(out.Item ?? {});
 * ```
 */
export function parseStepItem(item: Record<string, unknown>): StepRecord {
  const parsed = stepItemSchema.safeParse(item);
  if (!parsed.success) {
    const { pk, sk } = keyOf(item);
    throw new MalformedOutcomeItemError(pk, sk, problemsOf(parsed.error, item));
  }
  return parsed.data;
}

/**
 * Parses the tenant item, decoding its JSON snapshot; a snapshot that is not a JSON object reads
 * as `{}` with `snapshotIssues` (the request is unreadable, the item is not).
 *
 * @example
 * ```ts
 * const tenant = parseTenantItem(item); // tenant.snapshot is a JsonObject
 * ```
 */
export function parseTenantItem(item: Record<string, unknown>): TenantItem {
  const parsed = tenantItemSchema.safeParse(item);
  const { pk, sk } = keyOf(item);
  if (!parsed.success) throw new MalformedOutcomeItemError(pk, sk, problemsOf(parsed.error, item));
  const indexSk = item["unfinishedSk"];
  const indexDueAt = typeof indexSk === "string" ? indexSk.split("#")[0] : undefined;
  const { owedAnnouncements: owed, ...fields } = parsed.data;
  return {
    ...fields,
    ...readSnapshot(parsed.data.snapshot),
    ...(indexDueAt ? { indexDueAt } : {}),
    ...(owed === undefined ? {} : { owedAnnouncements: parseOwed(owed, pk, sk) }),
  };
}

/**
 * The stored request as a JSON object, or `{}` with the reason it is not one. The rest of the item
 * (status, generation, announcements) never depends on it, so one bad snapshot must not make the
 * tenant's status, updates, offboarding or the backfill's other tenants fail with it.
 */
function readSnapshot(text: string | undefined): Pick<TenantItem, "snapshot" | "snapshotIssues"> {
  if (text === undefined) return { snapshot: {}, snapshotIssues: ["missing"] };
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(text);
  } catch {
    return { snapshot: {}, snapshotIssues: ["not JSON"] };
  }
  if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) return { snapshot: {}, snapshotIssues: ["not a JSON object"] };
  // JSON.parse only ever yields JSON values, so an object from it is a JsonObject.
  return { snapshot: snapshot as JsonObject };
}

/** The owed announcements (generation → JSON), oldest first; each must name its own generation. */
function parseOwed(owed: Record<string, string>, pk: string, sk: string): OwedAnnouncement[] {
  const parsed = Object.entries(owed).map(([generation, json]) => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new MalformedOutcomeItemError(pk, sk, [`owedAnnouncements.${generation}: not JSON`]);
    }
    const announcement = owedAnnouncementSchema.safeParse(value);
    if (!announcement.success) {
      throw new MalformedOutcomeItemError(pk, sk, zodIssueLines(announcement.error.issues, value).map((line) => `owedAnnouncements.${generation}.${line}`));
    }
    if (String(announcement.data.generation) !== generation) {
      throw new MalformedOutcomeItemError(pk, sk, [`owedAnnouncements.${generation}.generation: must be ${generation}`]);
    }
    return announcement.data;
  });
  return parsed.sort((a, b) => a.generation - b.generation);
}
