/** Key and index-attribute builders of the outcome table (the layout is documented in types.ts). */
import {
  ANNOUNCE_FAILURES_PK_PREFIX,
  FAILURES_PK_PREFIX,
  STEP_SK_PREFIX,
  TENANT_INDEX_SUFFIX,
  TENANT_PK_PREFIX,
  TENANT_SK,
  UNFINISHED_PK_PREFIX,
} from "./constants.ts";
import type { StepName } from "./types.ts";

/** Primary key of a table item. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/**
 * Partition key of everything a tenant owns.
 *
 * @example
 * ```ts
 * tenantPk("t-1"); // "TENANT#t-1"
 * ```
 */
export function tenantPk(tenantId: string): string {
  return TENANT_PK_PREFIX + tenantId;
}

/**
 * Key of the tenant item.
 *
 * @example
 * ```ts
 * tenantKey("t-1"); // { pk: "TENANT#t-1", sk: "TENANT" }
 * ```
 */
export function tenantKey(tenantId: string): ItemKey {
  return { pk: tenantPk(tenantId), sk: TENANT_SK };
}

/**
 * Key of one step item.
 *
 * @example
 * ```ts
 * stepKey("t-1", "im-group"); // { pk: "TENANT#t-1", sk: "STEP#im-group" }
 * ```
 */
export function stepKey(tenantId: string, step: StepName): ItemKey {
  return { pk: tenantPk(tenantId), sk: STEP_SK_PREFIX + step };
}

/**
 * The unfinished-index shard of a tenant: 32-bit FNV-1a of its UTF-8 id, mod `shards`. Stable
 * across processes and releases (the shard is stored), cheap, and spreads similar ids well.
 *
 * @example
 * ```ts
 * shardOf("t-1", 4); // 0..3, always the same for "t-1"
 * ```
 */
export function shardOf(tenantId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(tenantId, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * Partition key of one shard of the unfinished index.
 *
 * @example
 * ```ts
 * unfinishedPk(2); // "UNFINISHED#2"
 * ```
 */
export function unfinishedPk(shard: number): string {
  return UNFINISHED_PK_PREFIX + String(shard);
}

/**
 * Sort key in the unfinished index: due time first, so a range condition selects due work.
 *
 * @example
 * ```ts
 * unfinishedSk("2026-11-01T00:00:00.000Z", "t-1", "im-group"); // "2026-11-01T00:00:00.000Z#t-1#im-group"
 * ```
 */
export function unfinishedSk(nextAttemptAt: string, tenantId: string, step: StepName): string {
  return `${nextAttemptAt}#${tenantId}#${step}`;
}

/**
 * Exclusive upper bound of `unfinishedSk` for work due at or before `dueBefore`: `$` sorts right
 * after the `#` separator, and fixed-width ISO times sort in time order.
 *
 * @example
 * ```ts
 * dueBound("2026-11-01T00:00:00.000Z"); // "2026-11-01T00:00:00.000Z$"
 * ```
 */
export function dueBound(dueBefore: string): string {
  return `${dueBefore}$`;
}

/**
 * Sort key of a tenant item's own entry in the unfinished index (a generation not yet settled
 * and announced): due time first like a step's, then a suffix that is no step name.
 *
 * @example
 * ```ts
 * tenantUnfinishedSk("2026-11-01T00:00:00.000Z", "t-1"); // "2026-11-01T00:00:00.000Z#t-1#~tenant"
 * ```
 */
export function tenantUnfinishedSk(dueAt: string, tenantId: string): string {
  return `${dueAt}#${tenantId}#${TENANT_INDEX_SUFFIX}`;
}

/**
 * Partition key of one shard of the sparse failures index (finished failures only).
 *
 * @example
 * ```ts
 * failuresPk(1); // "FAILED#1"
 * ```
 */
export function failuresPk(shard: number): string {
  return FAILURES_PK_PREFIX + String(shard);
}

/**
 * Sort key in the failures index: when the step failed, then which step, newest last.
 *
 * @example
 * ```ts
 * failuresSk("2026-11-01T00:00:00.000Z", "t-1", "im-group"); // "2026-11-01T00:00:00.000Z#t-1#im-group"
 * ```
 */
export function failuresSk(failedAt: string, tenantId: string, step: StepName): string {
  return `${failedAt}#${tenantId}#${step}`;
}

/**
 * Failures-index keys of a tenant item whose outcome announcement was given up: a partition of
 * their own per shard, so listing failed steps never reads them and listing them reads nothing else.
 *
 * @example
 * ```ts
 * announceFailuresKey(2, "2026-11-01T00:00:00.000Z", "t-1"); // { failuresPk: "ANNOUNCE_FAILED#2", failuresSk: "2026-11-01T00:00:00.000Z#t-1" }
 * ```
 */
export function announceFailuresKey(shard: number, gaveUpAt: string, tenantId: string): { failuresPk: string; failuresSk: string } {
  return { failuresPk: announceFailuresPk(shard), failuresSk: `${gaveUpAt}#${tenantId}` };
}

/**
 * The failures-index partition of one shard's given-up announcements.
 *
 * @example
 * ```ts
 * announceFailuresPk(1); // "ANNOUNCE_FAILED#1"
 * ```
 */
export function announceFailuresPk(shard: number): string {
  return ANNOUNCE_FAILURES_PK_PREFIX + String(shard);
}
