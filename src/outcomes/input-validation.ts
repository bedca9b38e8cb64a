/**
 * The outcome store's inputs as zod/mini schemas, one per operation, each rule defined once here.
 * The store checks an input with `parseOrThrow` before any write (a bad input is a
 * ValidationError naming every broken field, never a half write), and no value is ever copied
 * into a rule's text.
 *
 * The inputs of operations no handler's typical invocation makes (lease release, pinning, the
 * failures listing, fast-forward, tenant leases, announcement re-claims and failures) are built on
 * first use (`z.lazy`): a schema built at module scope costs every cold start of every handler
 * (test/unit/bundle/zod-schemas-at-load.test.ts). The same rules and messages either way.
 */
import * as z from "zod/mini";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { FINISHED_STATUSES, MAX_UNFINISHED_SHARDS, STEP_NAME_PATTERN } from "./constants.ts";
import type { StepName } from "./types.ts";

/** Longest lease a claim may ask for: a day (a Lambda runs at most 15 minutes). */
const MAX_LEASE_MS = 86_400_000;
/** Largest page a listing serves. */
const MAX_PAGE_LIMIT = 1000;
/** Most failed publishes an announcement records. */
const MAX_ANNOUNCE_ATTEMPTS = 1_000;

const STEP_NAME_RULE = "1-64 of a-z 0-9 -, starting with a letter or digit";
const ISO_TIME_RULE = "ISO time like 2026-11-01T00:00:00.000Z";
const NON_EMPTY_STRING_RULE = "non-empty string";
const CLAIMED_RULE = "(a claimed record)";
/** The statuses a step's run may end in. */
const RESULT_STATUSES = ["SUCCEEDED", "FAILED_RETRYABLE", "FAILED_PERMANENT", "CONFLICT", "DELETED"] as const;

/**
 * A value `test` accepts, reported as `rule` whether it is wrong or absent (a custom check is
 * never turned into "required"): for a rule that says why the value must be there.
 */
function satisfying(test: (value: unknown) => boolean, rule: string) {
  return z.unknown().check(z.refine(test, { message: rule }));
}

/** An integer in [min, max], reported as "integer from min to max". */
function intInRange(min: number, max: number) {
  return z.number().check(z.refine((n) => Number.isInteger(n) && n >= min && n <= max, { message: `integer from ${min} to ${max}` }));
}

/** A step name (part of keys; the step registry decides which names exist). */
export const stepNameSchema = z.string().check(z.regex(STEP_NAME_PATTERN, { message: STEP_NAME_RULE }));

/** Exactly as `toISOString` writes it: the index relies on that fixed width for string order to be time order. */
export const isoTimeSchema = z.string().check(
  z.refine((value) => {
    const time = Date.parse(value);
    return value.length === 24 && !Number.isNaN(time) && new Date(time).toISOString() === value;
  }, { message: ISO_TIME_RULE }),
);

const isNonEmptyString = (value: unknown): boolean => typeof value === "string" && value.length > 0;
const nonEmptyString = satisfying(isNonEmptyString, NON_EMPTY_STRING_RULE);
const generation = intInRange(1, Number.MAX_SAFE_INTEGER);
const steps = z.array(stepNameSchema);
const pageLimit = intInRange(1, MAX_PAGE_LIMIT);
const retryAfterMs = intInRange(0, MAX_LEASE_MS);
/** Resource ids: strings only (they are written into the record and read back as strings). */
const resource = z.record(z.string(), z.string({ message: "string" }));

/** A record the caller holds claimed: IN_PROGRESS, with its lease owner. */
const claimedRecord = z.object({
  tenantId: tenantIdSchema,
  step: stepNameSchema,
  status: z.literal("IN_PROGRESS", { message: `IN_PROGRESS ${CLAIMED_RULE}` }),
  leaseOwner: satisfying(isNonEmptyString, `present ${CLAIMED_RULE}`),
});

const stepError = z.object({ code: z.string(), message: z.string(), httpStatus: z.number().check(z.int({ message: "integer" })) });
const failure = { error: stepError };
/** How a step's run ended: each status with the fields it carries. */
const stepResult = z.discriminatedUnion(
  "status",
  [
    z.object({ status: z.literal("SUCCEEDED"), resource: z.optional(resource) }),
    z.object({ status: z.literal("FAILED_RETRYABLE"), ...failure, nextAttemptAt: z.optional(isoTimeSchema) }),
    z.object({ status: z.literal("FAILED_PERMANENT"), ...failure }),
    z.object({ status: z.literal("CONFLICT"), ...failure, resource: z.optional(resource) }),
    z.object({ status: z.literal("DELETED"), resource: z.optional(resource) }),
  ],
  { message: `one of ${RESULT_STATUSES.join(", ")}` },
);

/** `new OutcomeStore(options)`. */
export const storeOptionsInput = z.object({
  tableName: z.string({ message: "at least 3 characters" }).check(z.minLength(3, { message: "at least 3 characters" })),
  shards: intInRange(1, MAX_UNFINISHED_SHARDS),
});

/** `registerTenant` and `putNewTenant`: a tenant and its request as first recorded. */
export const registrationInput = z.object({
  tenantId: tenantIdSchema,
  snapshot: satisfying((value) => typeof value === "object" && value !== null && !Array.isArray(value), "a JSON object"),
  source: nonEmptyString,
  steps: z.optional(steps),
  lease: z.optional(z.object({ owner: nonEmptyString, expiresAt: isoTimeSchema })),
});

/** `releaseCreationLease`. */
export const leaseOwnerInput = z.lazy(() => z.object({ tenantId: tenantIdSchema, owner: nonEmptyString }));

/** `addMissingSteps`, `markStepsStale`. */
export const tenantStepsInput = z.object({ tenantId: tenantIdSchema, steps });

/** `claimStep`. */
export const claimStepInput = z.object({
  tenantId: tenantIdSchema,
  step: stepNameSchema,
  owner: nonEmptyString,
  leaseMs: intInRange(1, MAX_LEASE_MS),
  generation: z.optional(generation),
});

/** `completeStep`, `putStepOutcome`: the claimed record and how its run ended. */
export const completionInput = z.object({ record: claimedRecord, result: stepResult });

/** `pinResource`. */
export const pinResourceInput = z.lazy(() => z.object({ record: claimedRecord, resource }));

/** `listUnfinished` (its cursor is checked where it is decoded). */
export const listUnfinishedInput = z.object({ limit: pageLimit, dueBefore: z.optional(isoTimeSchema) });

/** `listFailures`, `listFailedAnnouncements`. */
export const listInput = z.lazy(() => z.object({ limit: pageLimit }));

/** `changeDesired`. */
export const changeDesiredInput = z.object({
  tenantId: tenantIdSchema,
  expectedGeneration: intInRange(1, Number.MAX_SAFE_INTEGER - 1),
  redriveSteps: z.optional(steps),
});

/** `fastForwardStep`: a finished record, moved to a generation above its own. */
export const fastForwardInput = z.lazy(() =>
  z
    .object({
      record: z.object({
        tenantId: tenantIdSchema,
        step: stepNameSchema,
        status: z.enum(FINISHED_STATUSES, { message: "a finished status" }),
        observedGeneration: z.number(),
      }),
      generation: z.number(),
    })
    .check(
      z.refine((input) => input.generation > input.record.observedGeneration, {
        message: "above the record's observedGeneration",
        path: ["generation"],
        // Compared whenever both numbers are there, even if another field is broken.
        when: (payload) => {
          const input = payload.value as { generation?: unknown; record?: { observedGeneration?: unknown } } | undefined;
          return typeof input?.generation === "number" && typeof input.record?.observedGeneration === "number";
        },
      }),
    ),
);

/** `finishAnnouncement`, `redriveAnnouncement`. */
export const announcementInput = z.object({ tenantId: tenantIdSchema, generation });

/** `finishOwnAnnouncement`. */
export const ownAnnouncementInput = z.object({ tenantId: tenantIdSchema, generation, owner: nonEmptyString });

/** `leaseTenant`. */
export const tenantLeaseInput = z.lazy(() => z.object({ tenantId: tenantIdSchema, generation, owner: nonEmptyString, expiresAt: isoTimeSchema }));

/** `claimAnnouncement`. */
export const claimAnnouncementInput = z.object({ tenantId: tenantIdSchema, generation, retryAfterMs });

/** `reclaimAnnouncement`: the due time as read, and when it is due next. */
export const reclaimAnnouncementInput = z.lazy(() => z.object({ tenantId: tenantIdSchema, generation, dueAt: isoTimeSchema, retryAfterMs }));

/** `recordAnnouncementFailure`. */
export const announcementFailureInput = z.lazy(() =>
  z.object({
    tenantId: tenantIdSchema,
    generation,
    failure: z.object({
      attempts: intInRange(1, MAX_ANNOUNCE_ATTEMPTS),
      code: z.string({ message: "string" }),
      message: z.string({ message: "string" }),
      retryAt: z.optional(isoTimeSchema),
    }),
  }),
);

/**
 * Narrows to {@link StepName}.
 *
 * @example
 * ```ts
 * if (isStepName(s)) await store.claimStep(id, s, opts);
 * ```
 */
export function isStepName(step: unknown): step is StepName {
  return stepNameSchema.safeParse(step).success;
}
