import type * as z from "zod";
import type { ValidationIssue } from "../errors.ts";

/**
 * Turns zod issues into `{ field, rule }` pairs whose text never contains the input value
 * (so a rejected secret or payload cannot leak through an error message or a log line).
 *
 * @example
 * ```ts
 * const r = schema.safeParse(input);
 * if (!r.success) throw new ValidationError(zodIssuesToValidationIssues(r.error.issues));
 * ```
 */
export function zodIssuesToValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const field = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: field ? `${field}.${key}` : key, rule: "unknown field" });
      continue;
    }
    out.push({ field, rule: ruleText(issue) });
  }
  return out;
}

/** zod's own messages start like this; any other message was written here, value-free, on purpose. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized|Number must|String must)/;

function ruleText(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_type" && !ZOD_DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      // zod says "received undefined" for a missing field; say "required" instead.
      return issue.message.endsWith("received undefined") ? "required" : `must be ${article(issue.expected)}`;
    case "too_big":
      return `at most ${String(issue.maximum)}${unit(issue.origin)}`;
    case "too_small":
      return issue.origin === "string" && issue.minimum === 1
        ? "must not be empty"
        : `at least ${String(issue.minimum)}${unit(issue.origin)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex" ? `must match ${issue.pattern ?? "the pattern"}` : `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_union":
      return "matches none of the allowed shapes";
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid element";
    case "custom":
      // Custom refinements in this code base write value-free messages on purpose.
      return issue.message;
    default:
      return "is invalid";
  }
}

function unit(origin: string): string {
  switch (origin) {
    case "string":
      return " characters";
    case "array":
    case "set":
      return " items";
    default:
      return "";
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** UTF-8 byte length of a string (provider limits count bytes, not characters). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}
