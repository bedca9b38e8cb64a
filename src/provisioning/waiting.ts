import { isUnfinishedStatus } from "../outcomes/constants.ts";
import type { ProvisionResult } from "./types.ts";

/**
 * Whether every unfinished step of a run was left waiting for its next attempt (`not-due`):
 * nothing was tried, and the backfill runs each step when it comes due.
 *
 * @example
 * ```ts
 * if (result.retryable && waitingOnly(result)) report.notDue++;
 * ```
 */
export function waitingOnly(result: ProvisionResult): boolean {
  return result.steps.every((s) => !isUnfinishedStatus(s.status) || s.action === "not-due");
}
