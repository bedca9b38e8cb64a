/** Fixed names and numbers of the outcome table's layout. */

/** The provisioning steps of one tenant, in the order they run. */
export const STEP_NAMES = ["sls-consumer-group", "im-group"] as const;

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

/** How often `claimStep` retries when it lost a race but the step turned claimable again meanwhile. */
export const CLAIM_RACE_RETRIES = 3;

/** Key prefixes and fixed sort keys. */
export const TENANT_PK_PREFIX = "TENANT#";
export const TENANT_SK = "TENANT";
export const STEP_SK_PREFIX = "STEP#";
export const UNFINISHED_PK_PREFIX = "UNFINISHED#";

/** Every status a step can be in. */
export const STEP_STATUSES = [
  "PENDING",
  "IN_PROGRESS",
  "SUCCEEDED",
  "FAILED_RETRYABLE",
  "FAILED_PERMANENT",
  "CONFLICT",
] as const;

/** Statuses that still need work; only these carry the unfinished-index attributes. */
export const UNFINISHED_STATUSES = ["PENDING", "IN_PROGRESS", "FAILED_RETRYABLE"] as const;

/** Statuses no worker may claim again: the step is done, one way or the other. */
export const FINISHED_STATUSES = ["SUCCEEDED", "FAILED_PERMANENT", "CONFLICT"] as const;
