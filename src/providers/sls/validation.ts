/** Input rules checked before any SLS call; each broken rule is named with its field. */
import type { ValidationIssue } from "../../errors.ts";
import {
  CONSUMER_GROUP_NAME_PATTERN,
  CONSUMER_GROUP_TIMEOUT_RANGE,
  LOGSTORE_NAME_PATTERN,
  PROJECT_NAME_PATTERN,
} from "./constants.ts";
import type { ConsumerGroupSettings } from "./types.ts";

/** Rules of names that are 3-63 characters of a set and start and end with a letter or digit. */
function checkBoundedName(field: string, value: unknown, charset: RegExp, charsetRule: string, pattern: RegExp): ValidationIssue[] {
  if (typeof value !== "string") return [{ field, rule: "must be a string" }];
  if (pattern.test(value)) return [];
  const issues: ValidationIssue[] = [];
  if (value.length < 3 || value.length > 63) issues.push({ field, rule: "3-63 characters" });
  if (![...value].every((c) => charset.test(c))) issues.push({ field, rule: charsetRule });
  if (!/^[a-z0-9]/.test(value) || !/[a-z0-9]$/.test(value)) issues.push({ field, rule: "must start and end with a lowercase letter or digit" });
  return issues;
}

/**
 * Issues of an SLS project name: 3-63 of `[a-z0-9-]`, alphanumeric at both ends.
 *
 * @example
 * ```ts
 * projectNameIssues("Bad_Project"); // [{ field: "project", rule: "only a-z, 0-9 and -" }, ...]
 * ```
 */
export function projectNameIssues(value: unknown, field = "project"): ValidationIssue[] {
  return checkBoundedName(field, value, /[a-z0-9-]/, "only a-z, 0-9 and -", PROJECT_NAME_PATTERN);
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
  return checkBoundedName(field, value, /[a-z0-9_-]/, "only a-z, 0-9, _ and -", LOGSTORE_NAME_PATTERN);
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
  if (typeof value !== "string") return [{ field, rule: "must be a string" }];
  if (CONSUMER_GROUP_NAME_PATTERN.test(value)) return [];
  const issues: ValidationIssue[] = [];
  if (value.length < 1 || value.length > 128) issues.push({ field, rule: "1-128 characters" });
  if (!/^[0-9a-zA-Z_-]*$/.test(value)) issues.push({ field, rule: "only A-Z, a-z, 0-9, _ and -" });
  return issues;
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
  const issues: ValidationIssue[] = [];
  const { timeout, order } = settings;
  if (timeout === undefined) {
    if (!partial) issues.push({ field: "timeout", rule: "required" });
  } else if (typeof timeout !== "number" || !Number.isInteger(timeout)) {
    issues.push({ field: "timeout", rule: "must be an integer number of seconds" });
  } else if (timeout < CONSUMER_GROUP_TIMEOUT_RANGE.min) {
    issues.push({ field: "timeout", rule: `at least ${CONSUMER_GROUP_TIMEOUT_RANGE.min} second` });
  } else if (timeout > CONSUMER_GROUP_TIMEOUT_RANGE.max) {
    issues.push({ field: "timeout", rule: `at most ${CONSUMER_GROUP_TIMEOUT_RANGE.max} seconds` });
  }
  if (order === undefined) {
    if (!partial) issues.push({ field: "order", rule: "required" });
  } else if (typeof order !== "boolean") {
    issues.push({ field: "order", rule: "must be a boolean" });
  }
  return issues;
}

