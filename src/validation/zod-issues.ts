import type * as z from "zod/mini";
import type { ValidationIssue } from "../errors.ts";

/**
 * Turns zod issues into `{ field, rule }` pairs whose text never contains the checked value, so a
 * rejected secret or payload cannot leak through an error message or a log line. The one helper
 * for every zod schema of the service (request bodies, environment, secrets, stored items).
 *
 * The rule text is built here from each issue's code and its schema-side parameters (expected
 * type, limits, allowed values, prefixes). zod's own messages are never used (under `zod/mini`
 * they are all "Invalid input"; under a locale some can quote the input). A message written by
 * our schemas (`z.regex(re, { message })`, `z.refine(fn, "…")`, `z.maxLength(n, { message })`)
 * is a value-free rule on purpose and is used as is.
 *
 * `input` is what was parsed; it is read only to tell a missing field ("required") from a wrong
 * one, and no part of it is ever copied into the result.
 *
 * @example
 * ```ts
 * // Most callers use parseOrThrow (src/validation/issues.ts); other error types build on this:
 * const r = envSchema.safeParse(env);
 * if (!r.success) throw new ConfigurationError("environment", zodIssuesToValidationIssues(r.error.issues, env));
 * ```
 */
export function zodIssuesToValidationIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const field = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      // Key names are the schema's vocabulary (or a typo of it), not a value.
      for (const key of issue.keys) out.push({ field: field ? `${field}.${key}` : key, rule: "unknown field" });
      continue;
    }
    out.push({ field, rule: ruleText(issue, valueAt(input, issue.path) === undefined) });
  }
  return out;
}

/**
 * The `{ field, rule }` pairs as `field: rule` lines (`(root)` for the top level), for the
 * places that report problems as strings (sandbox control API, malformed stored items).
 *
 * @example
 * ```ts
 * const r = schema.safeParse(json);
 * if (!r.success) return { ok: false, problems: zodIssueLines(r.error.issues, json) };
 * ```
 */
export function zodIssueLines(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return zodIssuesToValidationIssues(issues, input).map((i) => `${i.field || "(root)"}: ${i.rule}`);
}

/**
 * zod's default messages, in every form it has produced: "Invalid input" (zod/mini without a
 * locale), the English locale's "Invalid …"/"Too big: …"/"Unrecognized key…", and zod 3's.
 * Any other message was written by our schemas, value-free, on purpose.
 */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized|Number must|String must|Array must|Expected)/;

function ownMessage(issue: z.core.$ZodIssue): string | undefined {
  return issue.message && !ZOD_DEFAULT_MESSAGE.test(issue.message) ? issue.message : undefined;
}

function ruleText(issue: z.core.$ZodIssue, missing: boolean): string {
  // Whatever the code (a wrong type, a value outside an enum, a failed check), a value that is
  // not there is reported as missing, not as a wrong one; except a rule our schema raised itself
  // at that path (a cross-field rule such as "at least one field to change"), which says why.
  if (missing && issue.code !== "custom") return "required";
  switch (issue.code) {
    case "invalid_type":
      return ownMessage(issue) ?? (issue.expected === "int" ? "must be an integer" : `must be ${article(issue.expected)}`);
    case "invalid_union": {
      const own = ownMessage(issue);
      if (own) return own;
      const expected = issue.errors.flatMap((branch) =>
        branch[0]?.code === "invalid_type" ? [article(branch[0].expected)] : [],
      );
      return expected.length > 0 ? `must be ${expected.join(" or ")}` : "matches none of the allowed shapes";
    }
  }
  const own = ownMessage(issue);
  if (own) return own;
  switch (issue.code) {
    case "too_small":
      return describeLimit(issue.origin, issue.minimum, issue.inclusive ?? false, issue.exact ?? false, "min");
    case "too_big":
      return describeLimit(issue.origin, issue.maximum, issue.inclusive ?? false, issue.exact ?? false, "max");
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return describeFormat(issue);
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid element";
    default:
      // A custom check without a message of ours.
      return "is invalid";
  }
}

function describeLimit(origin: string, limit: number | bigint, inclusive: boolean, exact: boolean, side: "min" | "max"): string {
  const bound = Number(limit);
  const sized = origin === "string" ? "characters" : origin === "array" || origin === "set" ? "item(s)" : undefined;
  if (sized === undefined) {
    if (exact) return `must be ${bound}`;
    return `must be ${side === "min" ? ">" : "<"}${inclusive ? "=" : ""} ${bound}`;
  }
  if (exact) return `must have exactly ${bound} ${sized}`;
  // Lengths are whole numbers: an exclusive bound is the next inclusive one.
  const count = inclusive ? bound : bound + (side === "min" ? 1 : -1);
  if (side === "min" && count === 1 && origin === "string") return "must not be empty";
  return `must have ${side === "min" ? "at least" : "at most"} ${count} ${sized}`;
}

function describeFormat(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const params: Record<string, unknown> = { ...issue };
  if (issue.format === "starts_with" && typeof params.prefix === "string") return `must start with ${JSON.stringify(params.prefix)}`;
  if (issue.format === "ends_with" && typeof params.suffix === "string") return `must end with ${JSON.stringify(params.suffix)}`;
  if (issue.format === "includes" && typeof params.includes === "string") return `must include ${JSON.stringify(params.includes)}`;
  if (issue.format === "regex") return issue.pattern ? `must match ${issue.pattern}` : "has an invalid format";
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
