import type { TenantItem } from "./types.ts";

/** Where the announcement of a tenant's settled generations stands (status route and CLI). */
export interface AnnouncementView {
  /** The generation whose outcome is being published (or was last), the oldest owed one first. */
  generation: number;
  /** The outcome event's detail-type. */
  outcome: string;
  /**
   * `published`; `owed` (settled, superseded by a newer generation before it went out: the next
   * run publishes it); `publishing` (claimed, not yet confirmed); `retrying` (a publish failed,
   * the backfill tries again at `nextAttemptAt`); `gave-up` (no more tries: `npm run cli -- retry`).
   */
  state: "published" | "owed" | "publishing" | "retrying" | "gave-up";
  /** Failed publishes so far (0 once published). */
  attempts: number;
  nextAttemptAt?: string | undefined;
  lastError?: { code: string; message: string; failedAt: string } | undefined;
  /**
   * Older generations whose outcome event is still to be published, oldest first (each goes out
   * before any newer generation's); absent when none is owed.
   */
  owed?: { generation: number; outcome: string }[] | undefined;
}

/**
 * How a tenant's outcome announcements are shown to operators, or undefined before any was
 * claimed or owed.
 *
 * @example
 * ```ts
 * announcementView(tenant)?.state; // "gave-up"
 * ```
 */
export function announcementView(tenant: TenantItem): AnnouncementView | undefined {
  const owedList = (tenant.owedAnnouncements ?? []).map(({ generation, outcome }) => ({ generation, outcome }));
  const owed = owedList.length > 0 ? { owed: owedList } : {};
  const generation = tenant.announcedGeneration;
  const head = owedList[0];
  // The oldest owed one is not claimed yet: it is what goes out next.
  if (head && (generation === undefined || generation < head.generation)) return { ...head, state: "owed", attempts: 0, ...owed };
  if (generation === undefined || tenant.announcedOutcome === undefined) return undefined;
  const failure = tenant.announceFailure?.generation === generation ? tenant.announceFailure : undefined;
  // The tenant item is in the unfinished index while its claimed generation is unpublished.
  const unpublished = isBeingPublished(tenant);
  const state = failure?.gaveUp ? "gave-up" : failure && unpublished ? "retrying" : unpublished ? "publishing" : "published";
  return {
    generation,
    outcome: tenant.announcedOutcome,
    state,
    attempts: state === "published" ? 0 : (failure?.attempts ?? 0),
    ...(state === "retrying" ? { nextAttemptAt: tenant.indexDueAt } : {}),
    ...(failure && state !== "published" ? { lastError: { code: failure.code, message: failure.message, failedAt: failure.failedAt } } : {}),
    ...owed,
  };
}

/**
 * Whether the tenant item (as read) has an announcement claimed and not yet published or given
 * up: of its current generation, or of the oldest owed one (claims go oldest first).
 *
 * @example
 * ```ts
 * isBeingPublished(tenant); // true while a claimer publishes or a failed publish waits for its retry
 * ```
 */
export function isBeingPublished(tenant: TenantItem): boolean {
  const claimed = tenant.announcedGeneration;
  if (claimed === undefined || tenant.indexDueAt === undefined) return false;
  return claimed === tenant.generation || tenant.owedAnnouncements?.[0]?.generation === claimed;
}
