import type { TenantItem } from "./types.ts";

/** Where the announcement of a tenant's last settled generation stands (status route and CLI). */
export interface AnnouncementView {
  /** The generation whose outcome was claimed for announcing. */
  generation: number;
  /** The outcome event's detail-type. */
  outcome: string;
  /**
   * `published`; `publishing` (claimed, not yet confirmed); `retrying` (a publish failed, the
   * backfill tries again at `nextAttemptAt`); `gave-up` (no more tries: `npm run cli -- retry`).
   */
  state: "published" | "publishing" | "retrying" | "gave-up";
  /** Failed publishes so far (0 once published). */
  attempts: number;
  nextAttemptAt?: string | undefined;
  lastError?: { code: string; message: string; failedAt: string } | undefined;
}

/**
 * How a tenant's outcome announcement is shown to operators, or undefined before any was claimed.
 *
 * @example
 * ```ts
 * announcementView(tenant)?.state; // "gave-up"
 * ```
 */
export function announcementView(tenant: TenantItem): AnnouncementView | undefined {
  const generation = tenant.announcedGeneration;
  if (generation === undefined || tenant.announcedOutcome === undefined) return undefined;
  const failure = tenant.announceFailure?.generation === generation ? tenant.announceFailure : undefined;
  // The tenant item is in the unfinished index while its claimed generation is unpublished.
  const unpublished = generation === tenant.generation && tenant.indexDueAt !== undefined;
  const state = failure?.gaveUp ? "gave-up" : failure && unpublished ? "retrying" : unpublished ? "publishing" : "published";
  return {
    generation,
    outcome: tenant.announcedOutcome,
    state,
    attempts: state === "published" ? 0 : (failure?.attempts ?? 0),
    ...(state === "retrying" ? { nextAttemptAt: tenant.indexDueAt } : {}),
    ...(failure && state !== "published" ? { lastError: { code: failure.code, message: failure.message, failedAt: failure.failedAt } } : {}),
  };
}
