/** Input rules checked before any SLS call (zod/mini schemas); each broken rule is named with its field. */
import * as z from "zod/mini";
import type { ValidationIssue } from "../../errors.ts";
import { schemaIssues } from "../../validation/issues.ts";
import { CONSUMER_GROUP_TIMEOUT_RANGE } from "./constants.ts";
import type { ConsumerGroupSettings } from "./types.ts";

const ENDS_RULE = "must start and end with a lowercase letter or digit";

/** Names of 3-63 characters of a set that start and end with a lowercase letter or digit (every broken rule is reported). */
function boundedName(charset: RegExp, charsetRule: string) {
  return z.string().check(
    z.minLength(3, { message: "3-63 characters" }),
    z.maxLength(63, { message: "3-63 characters" }),
    z.refine((value) => [...value].every((c) => charset.test(c)), { message: charsetRule }),
    z.refine((value) => /^[a-z0-9]/.test(value) && /[a-z0-9]$/.test(value), { message: ENDS_RULE }),
  );
}

const projectName = boundedName(/[a-z0-9-]/, "only a-z, 0-9 and -");
const logstoreName = boundedName(/[a-z0-9_-]/, "only a-z, 0-9, _ and -");
/** `^[0-9a-zA-Z_-]{1,128}$`, the Java SDK's check, as its two rules. */
const consumerGroupName = z.string().check(
  z.minLength(1, { message: "1-128 characters" }),
  z.maxLength(128, { message: "1-128 characters" }),
  z.regex(/^[0-9a-zA-Z_-]*$/, { message: "only A-Z, a-z, 0-9, _ and -" }),
);
const TIMEOUT_TYPE_RULE = "must be an integer number of seconds";
const consumerGroupSettings = z.object({
  timeout: z.number({ error: TIMEOUT_TYPE_RULE }).check(
    z.refine(Number.isInteger, { message: TIMEOUT_TYPE_RULE, abort: true }),
    z.gte(CONSUMER_GROUP_TIMEOUT_RANGE.min, { message: `at least ${CONSUMER_GROUP_TIMEOUT_RANGE.min} second` }),
    z.lte(CONSUMER_GROUP_TIMEOUT_RANGE.max, { message: `at most ${CONSUMER_GROUP_TIMEOUT_RANGE.max} seconds` }),
  ),
  order: z.boolean(),
});
const partialConsumerGroupSettings = z.partial(consumerGroupSettings);

/**
 * Issues of an SLS project name: 3-63 of `[a-z0-9-]`, alphanumeric at both ends.
 *
 * @example
 * ```ts
 * projectNameIssues("Bad_Project"); // [{ field: "project", rule: "only a-z, 0-9 and -" }, ...]
 * ```
 */
export function projectNameIssues(value: unknown, field = "project"): ValidationIssue[] {
  return schemaIssues(projectName, value, field);
}

/**
 * Issues of an SLS logstore name: 3-63 of `[a-z0-9_-]`, alphanumeric at both ends.
 *
 * @example
 * ```ts
 * logstoreNameIssues("ab"); // [{ field: "logstore", rule: "3-63 characters" }]
 * ```
 */
export function logstoreNameIssues(value: unknown, field = "logstore"): ValidationIssue[] {
  return schemaIssues(logstoreName, value, field);
}

/**
 * Issues of a consumer group name: `^[0-9a-zA-Z_-]{1,128}$` (the Java SDK's check).
 *
 * @example
 * ```ts
 * consumerGroupNameIssues("tenant 42"); // [{ field: "name", rule: "only A-Z, a-z, 0-9, _ and -" }]
 * ```
 */
export function consumerGroupNameIssues(value: unknown, field = "name"): ValidationIssue[] {
  return schemaIssues(consumerGroupName, value, field);
}

/**
 * Issues of consumer group settings. `timeout` is whole seconds in 1..86400 (SLS documents no
 * range; see CONSUMER_GROUP_TIMEOUT_RANGE); `order` a boolean. With `partial`, absent fields pass.
 *
 * @example
 * ```ts
 * consumerGroupSettingsIssues({ timeout: 60_000, order: true }); // [{ field: "timeout", rule: "at most 86400 seconds" }]
 * ```
 */
export function consumerGroupSettingsIssues(settings: Partial<Record<keyof ConsumerGroupSettings, unknown>>, partial = false): ValidationIssue[] {
  return schemaIssues(partial ? partialConsumerGroupSettings : consumerGroupSettings, settings);
}
