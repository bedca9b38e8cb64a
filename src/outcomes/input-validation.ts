/** Checks of the store's inputs (zod/mini schemas), before any write: a bad input is a ValidationError, never a half write. */
import * as z from "zod/mini";
import type { ValidationIssue } from "../errors.ts";
import { schemaIssues } from "../validation/issues.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { STEP_NAME_PATTERN } from "./constants.ts";
import type { StepName } from "./types.ts";

/**
 * A tenant id follows the one rule of the service ({@link tenantIdSchema}): the store refuses
 * to write or look up any other, as the entry points do.
 *
 * @example
 * ```ts
 * checkTenantId(""); // [{ field: "tenantId", rule: "1-36 characters of A-Z a-z 0-9 _ -, starting with a letter or digit" }]
 * ```
 */
export function checkTenantId(tenantId: unknown, field = "tenantId"): ValidationIssue[] {
  return schemaIssues(tenantIdSchema, tenantId, field);
}

const STEP_NAME_RULE = "1-64 of a-z 0-9 -, starting with a letter or digit";
const ISO_TIME_RULE = "ISO time like 2026-11-01T00:00:00.000Z";

/** A step name (part of keys; the step registry decides which names exist). */
const stepNameSchema = z.string().check(z.regex(STEP_NAME_PATTERN, { message: STEP_NAME_RULE }));

/** Exactly as `toISOString` writes it: the index relies on that fixed width for string order to be time order. */
const isoTimeSchema = z.string().check(
  z.refine((value) => {
    const time = Date.parse(value);
    return value.length === 24 && !Number.isNaN(time) && new Date(time).toISOString() === value;
  }, { message: ISO_TIME_RULE }),
);

/** Integer range schemas by bounds (the store checks a handful of ranges, on every call). */
const intRanges = new Map<string, z.ZodMiniType>();

function intRangeSchema(min: number, max: number): z.ZodMiniType {
  const key = `${min}:${max}`;
  let schema = intRanges.get(key);
  if (!schema) {
    const message = `integer from ${min} to ${max}`;
    schema = z.number().check(z.refine((n) => Number.isInteger(n) && n >= min && n <= max, { message }));
    intRanges.set(key, schema);
  }
  return schema;
}

/**
 * A step name is 1-64 of `a-z 0-9 -`, starting with a letter or digit.
 *
 * @example
 * ```ts
 * checkStepName("DNS!"); // [{ field: "step", rule: "1-64 of a-z 0-9 -, starting with a letter or digit" }]
 * ```
 */
export function checkStepName(step: unknown, field = "step"): ValidationIssue[] {
  return schemaIssues(stepNameSchema, step, field);
}

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

/**
 * A time is an ISO string exactly as `toISOString` writes it.
 *
 * @example
 * ```ts
 * checkIsoTime("2026-11-01", "dueBefore"); // [{ field: "dueBefore", rule: "ISO time like 2026-11-01T00:00:00.000Z" }]
 * ```
 */
export function checkIsoTime(value: unknown, field: string): ValidationIssue[] {
  return schemaIssues(isoTimeSchema, value, field);
}

/**
 * An integer in [min, max].
 *
 * @example
 * ```ts
 * checkIntInRange(0, "limit", 1, 1000); // [{ field: "limit", rule: "integer from 1 to 1000" }]
 * ```
 */
export function checkIntInRange(value: unknown, field: string, min: number, max: number): ValidationIssue[] {
  return schemaIssues(intRangeSchema(min, max), value, field);
}
