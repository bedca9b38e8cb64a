/** Fixed values of the SLS API as this service uses it (see /work/shared/reference/PROVIDERS.md). */

/** `x-log-apiversion` every call sends. */
export const SLS_API_VERSION = "0.6.0";

/** Names of the consumer-group APIs, as used in errors, logs and sandbox fault rules. */
export const SLS_OPERATIONS = {
  create: "CreateConsumerGroup",
  list: "ListConsumerGroup",
  update: "UpdateConsumerGroup",
  delete: "DeleteConsumerGroup",
  createLogStore: "CreateLogStore",
} as const;

export type SlsOperation = (typeof SLS_OPERATIONS)[keyof typeof SLS_OPERATIONS];

/** v1 signature algorithms, as sent in `x-log-signaturemethod`. */
export type SlsV1Algorithm = "hmac-sha1" | "hmac-sha256";

/** The v4 `Authorization` scheme name. */
export const SLS_V4_SCHEME = "SLS4-HMAC-SHA256";

/** The v1 `Authorization` scheme name. */
export const SLS_V1_SCHEME = "LOG";

/** Sent as `User-Agent` (never signed in v4; signed nowhere in v1). */
export const SLS_USER_AGENT = "tenant-provisioner-sls/0.1";

/** Per-attempt limit when the caller sets none; SLS answers these calls in well under a second. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;

/** How far a request's date may be from the server's clock before `RequestTimeExpired`. */
export const SLS_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Consumer groups one logstore can hold (`ConsumerGroupQuotaExceed` beyond). */
export const MAX_CONSUMER_GROUPS_PER_LOGSTORE = 30;

/** Consumer group names: at most 128 characters (the Java SDK's check; the server documents none). */
export const CONSUMER_GROUP_NAME_MAX_LENGTH = 128;

/** Consumer group names: the Java SDK's check (the server documents none). */
export const CONSUMER_GROUP_NAME_PATTERN = new RegExp(`^[0-9a-zA-Z_-]{1,${CONSUMER_GROUP_NAME_MAX_LENGTH}}$`);

/**
 * Consumer group `timeout` bounds, in whole seconds. SLS documents no range; official consumers
 * use 40-60 s. One second is the least that means anything; a day is far beyond any heartbeat
 * interval and catches unit mistakes (milliseconds passed as seconds).
 */
export const CONSUMER_GROUP_TIMEOUT_RANGE = { min: 1, max: 86_400 } as const;

/**
 * Logstores one project may hold: "You can create up to 200 Logstores in a project" (the
 * CreateLogStore reference; a raised quota is the account's). Beyond it CreateLogStore answers
 * 400 `ProjectQuotaExceed`.
 */
export const MAX_LOGSTORES_PER_PROJECT = 200;

/**
 * CreateLogStore's `ttl` (days): 1-3650, 3650 meaning kept for ever (the API reference and the
 * Tea SDK's CreateLogStoreRequest; the Python SDK's "up to 3650").
 */
export const LOGSTORE_TTL_RANGE = { min: 1, max: 3650 } as const;

/**
 * CreateLogStore's `shardCount`: 1-10 at creation (the CreateLogStore reference, "Valid values: 1
 * to 10"; aliyun-log-python-sdk issue #44: "by default, you can only create logstore with shard
 * <=10"). More come only by splitting.
 */
export const LOGSTORE_SHARD_COUNT_RANGE = { min: 1, max: 10 } as const;

/** CreateLogStore's `maxSplitShard`: 1-256, required when `autoSplit` is true (Tea SDK CreateLogStoreRequest). */
export const LOGSTORE_MAX_SPLIT_SHARD_RANGE = { min: 1, max: 256 } as const;
