/** Checks of the store's inputs, before any write: a bad input is a ValidationError, never a half write. */
import { ValidationError, type ValidationIssue } from "../errors.ts";
import { STEP_NAME_PATTERN } from "./constants.ts";
import type { StepName } from "./types.ts";

/**
 * Throws a {@link ValidationError} listing every issue, if there are any.
 *
 * @example
 * ```ts
 * assertValid([...checkTenantId(id)], "registerTenant");
 * ```
 */
export function assertValid(issues: readonly ValidationIssue[], context: string): void {
  if (issues.length > 0) throw new ValidationError(issues, context);
}

/**
 * A tenant id is a non-empty string of at most 256 characters (it is part of keys).
 *
 * @example
 * ```ts
 * checkTenantId(""); // [{ field: "tenantId", rule: "non-empty string" }]
 * ```
 */
export function checkTenantId(tenantId: unknown, field = "tenantId"): ValidationIssue[] {
  if (typeof tenantId !== "string" || tenantId.length === 0) return [{ field, rule: "non-empty string" }];
  if (tenantId.length > 256) return [{ field, rule: "at most 256 characters" }];
  return [];
}

/**
 * A step name is 1-64 of `a-z 0-9 -`, starting with a letter or digit (it is part of keys; the
 * step registry decides which names exist).
 *
 * @example
 * ```ts
 * checkStepName("DNS!"); // [{ field: "step", rule: "1-64 of a-z 0-9 -, starting with a letter or digit" }]
 * ```
 */
export function checkStepName(step: unknown, field = "step"): ValidationIssue[] {
  return typeof step === "string" && STEP_NAME_PATTERN.test(step)
    ? []
    : [{ field, rule: "1-64 of a-z 0-9 -, starting with a letter or digit" }];
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
  return checkStepName(step).length === 0;
}

/**
 * A time is an ISO string exactly as `toISOString` writes it; the index relies on that fixed
 * width for string order to be time order.
 *
 * @example
 * ```ts
 * checkIsoTime("2026-11-01", "dueBefore"); // [{ field: "dueBefore", rule: "ISO time like 2026-11-01T00:00:00.000Z" }]
 * ```
 */
export function checkIsoTime(value: unknown, field: string): ValidationIssue[] {
  const rule = "ISO time like 2026-11-01T00:00:00.000Z";
  if (typeof value !== "string") return [{ field, rule }];
  const time = Date.parse(value);
  if (Number.isNaN(time) || new Date(time).toISOString() !== value || value.length !== 24) {
    return [{ field, rule }];
  }
  return [];
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
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? []
    : [{ field, rule: `integer from ${min} to ${max}` }];
}
