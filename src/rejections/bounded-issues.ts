import type { ValidationIssue } from "../errors.ts";

/** At most this many issues are kept in a record, a log line or a reply; the count says how many there were. */
export const MAX_REPORTED_ISSUES = 50;
/** A field name or rule longer than this is cut (an unknown key's name is the sender's text). */
export const MAX_ISSUE_TEXT_CHARS = 200;

/** The first issues, each cut to size, and how many there were in all. */
export interface BoundedIssues {
  issues: ValidationIssue[];
  issueCount: number;
}

/**
 * Bounds a list of validation issues for storing, logging or replying: an event with 20,000
 * unknown keys has 20,000 issues, and all of them would not fit a DynamoDB item (400 KB) or a
 * log event (256 KB). The first {@link MAX_REPORTED_ISSUES} are enough to fix the sender.
 *
 * @example
 * ```ts
 * const { issues, issueCount } = boundIssues(error.issues);
 * ```
 */
export function boundIssues(all: readonly ValidationIssue[], max = MAX_REPORTED_ISSUES): BoundedIssues {
  return {
    issues: all.slice(0, max).map((i) => ({ field: cut(i.field), rule: cut(i.rule) })),
    issueCount: all.length,
  };
}

function cut(text: string): string {
  if (text.length <= MAX_ISSUE_TEXT_CHARS) return text;
  // Never split a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_ISSUE_TEXT_CHARS - 2)) ? MAX_ISSUE_TEXT_CHARS - 2 : MAX_ISSUE_TEXT_CHARS - 1;
  return `${text.slice(0, end)}…`;
}
