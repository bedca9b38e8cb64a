/** The one way the service turns a list of broken rules into an error. */
import type * as z from "zod/mini";
import { ValidationError, type ValidationIssue } from "../errors.ts";
import { zodIssuesToValidationIssues } from "./zod-issues.ts";

/**
 * Throws a {@link ValidationError} naming every issue, if there are any. Every check of the
 * service (zod schemas and the provider clients' byte-limit checks alike) ends here.
 *
 * @example
 * ```ts
 * throwIfIssues([...tenantIdIssues(id), ...stepNameIssues(step)], "claimStep");
 * ```
 */
export function throwIfIssues(issues: readonly ValidationIssue[], context?: string): void {
  if (issues.length > 0) throw new ValidationError(issues, context);
}

/**
 * The issues of one value against a zod schema, with `field` (if given) as the root of every path
 * (so a single-value schema reports the caller's field name). Empty when the value is valid.
 *
 * @example
 * ```ts
 * schemaIssues(tenantIdSchema, "bad id!", "tenantId"); // [{ field: "tenantId", rule: "1-36 characters of …" }]
 * ```
 */
export function schemaIssues(schema: z.ZodMiniType, value: unknown, field = ""): ValidationIssue[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  const issues = zodIssuesToValidationIssues(result.error.issues, value);
  return field ? issues.map((issue) => ({ field: issue.field ? `${field}.${issue.field}` : field, rule: issue.rule })) : issues;
}
