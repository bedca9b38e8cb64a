/** Fixed names and numbers of the outcome table's layout. */

/** The built-in provisioning steps (the step registry may hold more: a step name is any {@link STEP_NAME_PATTERN}). */
export const STEP_NAMES = ["sls-consumer-group", "im-group"] as const;

/** What a step name may be: it is part of a sort key and of the index's sort key. */
export const STEP_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Name of the sparse global secondary index that holds only finished failures (FAILED_PERMANENT, CONFLICT). */
export const FAILURES_INDEX_NAME = "failures";

/** Name of the sparse global secondary index that holds only unfinished steps. */
export const UNFINISHED_INDEX_NAME = "unfinished";

/**
 * How many partitions the unfinished index is spread over. Part of the stored data's layout:
 * every writer and reader must agree on it, and changing it needs a re-index of unfinished steps.
 */
export const DEFAULT_UNFINISHED_SHARDS = 4;

/** Upper bound of the shard count a store accepts (a backfill page queries shards in turn). */
export const MAX_UNFINISHED_SHARDS = 64;

/** Stored error messages are cut to this many characters so one chatty provider can't bloat an item. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

/**
 * Most owed announcements a tenant item keeps (`TenantItem.owedAnnouncements`, each at most a
 * few KB: the step error message is cut to {@link MAX_ERROR_MESSAGE_CHARS}): declaring one more
 * drops the oldest, logged as given up.
 */
export const MAX_OWED_ANNOUNCEMENTS = 10;

/** How often `claimStep` retries when it lost a race but the step turned claimable again meanwhile. */
export const CLAIM_RACE_RETRIES = 3;

/** Key prefixes and fixed sort keys. */
export const TENANT_PK_PREFIX = "TENANT#";
export const TENANT_SK = "TENANT";
export const STEP_SK_PREFIX = "STEP#";
export const UNFINISHED_PK_PREFIX = "UNFINISHED#";
export const FAILURES_PK_PREFIX = "FAILED#";
/** Failures-index partition prefix of announcements given up (tenant items), apart from failed steps. */
export const ANNOUNCE_FAILURES_PK_PREFIX = "ANNOUNCE_FAILED#";
/** Sort-key suffix of a tenant item's entry in the unfinished index (sorts after every step name). */
export const TENANT_INDEX_SUFFIX = "~tenant";

/** Every status a step can be in. */
export const STEP_STATUSES = [
  "PENDING",
  "IN_PROGRESS",
  "SUCCEEDED",
  "FAILED_RETRYABLE",
  "FAILED_PERMANENT",
  "CONFLICT",
  "DELETED",
] as const;

/** Statuses that still need work; only these carry the unfinished-index attributes. */
export const UNFINISHED_STATUSES = ["PENDING", "IN_PROGRESS", "FAILED_RETRYABLE"] as const;

/**
 * Whether a step in `status` still needs work (one of {@link UNFINISHED_STATUSES}).
 *
 * @example
 * ```ts
 * isUnfinishedStatus("FAILED_RETRYABLE"); // true
 * ```
 */
export function isUnfinishedStatus(status: string): boolean {
  return (UNFINISHED_STATUSES as readonly string[]).includes(status);
}

/**
 * Statuses that end a step for its generation: no worker claims it again until the tenant's
 * generation moves past the step's `observedGeneration` (an update, a re-drive, an offboarding).
 */
export const FINISHED_STATUSES = ["SUCCEEDED", "FAILED_PERMANENT", "CONFLICT", "DELETED"] as const;

/** Finished failures: listed by the sparse failures index until the step runs again. */
export const FAILED_STATUSES = ["FAILED_PERMANENT", "CONFLICT"] as const;

/**
 * Whether a step in `status` is done for its generation (one of {@link FINISHED_STATUSES}).
 *
 * @example
 * ```ts
 * isFinishedStatus("DELETED"); // true
 * ```
 */
export function isFinishedStatus(status: string): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

/**
 * Whether a step in `status` ended in a failure only an operator's re-drive runs again
 * (one of {@link FAILED_STATUSES}).
 *
 * @example
 * ```ts
 * isFailedStatus("CONFLICT"); // true
 * ```
 */
export function isFailedStatus(status: string): boolean {
  return (FAILED_STATUSES as readonly string[]).includes(status);
}

/** What a tenant's resources should be: there (PRESENT) or removed (ABSENT). */
export const DESIRED_STATES = ["PRESENT", "ABSENT"] as const;
