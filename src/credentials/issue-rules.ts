import type * as z from "zod";
import type { ValidationIssue } from "../errors.ts";

/**
 * Turns zod issues into `{ field, rule }` pairs that never contain the checked value.
 *
 * The rule text is built here from each issue's code and its schema-side parameters (expected
 * type, limits, prefixes); zod's own messages are not used, because some checks' messages
 * can quote the input, and the input here is a credential. The one exception is a `custom`
 * issue, whose message is written by our own schemas (see `schemas.ts`).
 *
 * @example
 * ```ts
 * const result = slsCredentialsSchema.safeParse(json);
 * if (!result.success) throw new SecretLoadError(id, "invalid-shape", describeIssues(result.error.issues, json));
 * ```
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ValidationIssue[] {
  return issues.map((issue) => ({
    field: issue.path.map(String).join("."),
    rule: describeRule(issue, valueAt(input, issue.path) === undefined),
  }));
}

function describeRule(issue: z.core.$ZodIssue, missing: boolean): string {
  switch (issue.code) {
    case "invalid_type":
      if (missing) return "is required";
      return issue.expected === "int" ? "must be an integer" : `must be ${article(issue.expected)}`;
    case "too_small":
      return describeLimit(issue.origin, issue.minimum, issue.inclusive ?? false, "min");
    case "too_big":
      return describeLimit(issue.origin, issue.maximum, issue.inclusive ?? false, "max");
    case "invalid_format":
      return describeFormat(issue);
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `unknown field(s) ${issue.keys.join(", ")}`;
    case "invalid_union": {
      if (missing) return "is required";
      const expected = issue.errors.flatMap((branch) =>
        branch[0]?.code === "invalid_type" ? [article(branch[0].expected)] : [],
      );
      return expected.length > 0 ? `must be ${expected.join(" or ")}` : "matches none of the allowed forms";
    }
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid element";
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "custom":
      // Written by our schemas, never derived from the input.
      return issue.message;
  }
}

function describeLimit(origin: string, limit: number | bigint, inclusive: boolean, side: "min" | "max"): string {
  const bound = Number(limit);
  switch (origin) {
    case "string":
      if (side === "min" && bound === 1 && inclusive) return "must not be empty";
      return `must have ${side === "min" ? "at least" : "at most"} ${inclusive ? bound : bound + (side === "min" ? 1 : -1)} characters`;
    case "array":
    case "set":
      return `must have ${side === "min" ? "at least" : "at most"} ${inclusive ? bound : bound + (side === "min" ? 1 : -1)} item(s)`;
    default:
      return `must be ${side === "min" ? ">" : "<"}${inclusive ? "=" : ""} ${bound}`;
  }
}

function describeFormat(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const params: Record<string, unknown> = { ...issue };
  if (issue.format === "starts_with" && typeof params.prefix === "string") {
    return `must start with ${JSON.stringify(params.prefix)}`;
  }
  if (issue.format === "ends_with" && typeof params.suffix === "string") {
    return `must end with ${JSON.stringify(params.suffix)}`;
  }
  if (issue.format === "regex") return "has an invalid format";
  return `must be a valid ${issue.format}`;
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** Reads the value at `path` only to tell "missing" from "wrong"; the value itself is never kept. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
