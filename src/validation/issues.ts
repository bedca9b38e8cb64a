/** The one way the service checks an input against its zod/mini schema and turns broken rules into an error. */
import type * as z from "zod/mini";
import { ValidationError, type ValidationIssue } from "../errors.ts";
import { zodIssuesToValidationIssues } from "./zod-issues.ts";

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

/**
 * Checks `value` against `schema`; returns the parsed value, or throws a {@link ValidationError}
 * naming every broken rule (with `field`, if given, as the root of every path). The one way a
 * function of the service refuses a bad input.
 *
 * @example
 * ```ts
 * parseOrThrow(imGroupSpecSchema, spec, "create_group");
 * const tenantId = parseOrThrow(tenantIdSchema, raw, undefined, "tenantId");
 * ```
 */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, value: unknown, context?: string, field = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S>;
  // Only a refused input is parsed twice, for its issues.
  throw new ValidationError(schemaIssues(schema, value, field), context);
}
