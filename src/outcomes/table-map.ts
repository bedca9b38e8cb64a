/**
 * The map of the outcome table: every kind of item it holds, its keys, the sparse-index keys it
 * may carry, its TTL and who writes it. Key builders for every kind live here (tenant and step
 * keys in keys.ts, re-exported), so no two modules can disagree on a key; README's table of
 * items is checked against {@link TABLE_ITEMS} by a test.
 */
import { createHash } from "node:crypto";
import { STEP_SK_PREFIX, TENANT_PK_PREFIX, TENANT_SK } from "./constants.ts";
import type { ItemKey } from "./keys.ts";

export { stepKey, tenantKey, type ItemKey } from "./keys.ts";

/** One kind of item in the table, as README shows it. */
export interface TableItemKind {
  kind: string;
  pk: string;
  sk: string;
  /** Index key attributes it carries, and when. */
  indexKeys: string;
  /** TTL attribute, if any. */
  ttl: string;
  /** Modules that write it. */
  writers: string;
}

/** Every kind of item in the outcome table. */
export const TABLE_ITEMS: readonly TableItemKind[] = [
  {
    kind: "tenant",
    pk: "TENANT#<tenantId>",
    sk: "TENANT",
    indexKeys: "unfinishedPk/Sk while a new generation is not settled and announced, or an older one's announcement is owed; failuresPk/Sk (`ANNOUNCE_FAILED#<shard>`) while its announcement is given up",
    ttl: "none",
    writers: "src/outcomes/store.ts (putNewTenant, changeDesired, oweAnnouncement, claim/finishAnnouncement, leaseTenant, finishOwnAnnouncement, releaseCreationLease, recordAnnouncementFailure, redriveAnnouncement)",
  },
  {
    kind: "step",
    pk: "TENANT#<tenantId>",
    sk: "STEP#<step>",
    indexKeys: "unfinishedPk/Sk while PENDING, IN_PROGRESS, FAILED_RETRYABLE or behind the generation; failuresPk/Sk while FAILED_PERMANENT or CONFLICT",
    ttl: "none",
    writers: "src/outcomes/store.ts (addMissingSteps, claimStep, putStepOutcome, pinResource, completeStep, markStepsStale, fastForwardStep)",
  },
  {
    kind: "rejection",
    pk: "REJECTED#<channel>#<messageId>",
    sk: "REJECTED",
    indexKeys: "none",
    ttl: "none",
    writers: "src/rejections/rejection-store.ts",
  },
  {
    kind: "webhook id",
    pk: "WEBHOOK#<sha256(webhook-id), base64url>",
    sk: "WEBHOOK",
    indexKeys: "none",
    ttl: "expiresAt (epoch s)",
    writers: "src/webhook/replay-guard.ts",
  },
  {
    kind: "backfill position",
    pk: "BACKFILL",
    sk: "POSITION",
    indexKeys: "none",
    ttl: "none",
    writers: "src/backfill/cursor-store.ts",
  },
  {
    kind: "logstore",
    pk: "LOGSTORE",
    sk: "LOGSTORE#<name>",
    indexKeys: "none",
    ttl: "none",
    writers: "src/logstores/registry.ts (add, take, markFull, release)",
  },
];

/**
 * Key of a rejected input's record.
 *
 * @example
 * ```ts
 * rejectionKey("sqs", "m-1"); // { pk: "REJECTED#sqs#m-1", sk: "REJECTED" }
 * ```
 */
export function rejectionKey(channel: string, messageId: string): ItemKey {
  return { pk: `REJECTED#${channel}#${messageId}`, sk: "REJECTED" };
}

/**
 * Key of the replay guard's record of a webhook-id: a hash, since the id is the sender's text and
 * a key has a size limit.
 *
 * @example
 * ```ts
 * webhookIdKey("msg_1").sk; // "WEBHOOK"
 * ```
 */
export function webhookIdKey(webhookId: string): ItemKey {
  return { pk: `WEBHOOK#${createHash("sha256").update(webhookId).digest("base64url")}`, sk: "WEBHOOK" };
}

/** Key of the one backfill position item. */
export const BACKFILL_POSITION_KEY: Readonly<ItemKey> = { pk: "BACKFILL", sk: "POSITION" };

/** Partition key of the logstore registry: every logstore item shares it (one Query lists them). */
export const LOGSTORE_PK = "LOGSTORE";

/**
 * Key of one logstore's registry item.
 *
 * @example
 * ```ts
 * logstoreKey("tenant-events-3"); // { pk: "LOGSTORE", sk: "LOGSTORE#tenant-events-3" }
 * ```
 */
export function logstoreKey(name: string): ItemKey {
  return { pk: LOGSTORE_PK, sk: `LOGSTORE#${name}` };
}

/**
 * Which kind of item a key belongs to (for operators' tools and tests); undefined for a key the
 * service never writes.
 *
 * @example
 * ```ts
 * kindOfKey(tenantKey("t-1")); // "tenant"
 * ```
 */
export function kindOfKey(key: ItemKey): TableItemKind["kind"] | undefined {
  if (key.pk.startsWith(TENANT_PK_PREFIX)) {
    if (key.sk === TENANT_SK) return "tenant";
    if (key.sk.startsWith(STEP_SK_PREFIX)) return "step";
    return undefined;
  }
  if (key.pk.startsWith("REJECTED#") && key.sk === "REJECTED") return "rejection";
  if (key.pk.startsWith("WEBHOOK#") && key.sk === "WEBHOOK") return "webhook id";
  if (key.pk === BACKFILL_POSITION_KEY.pk && key.sk === BACKFILL_POSITION_KEY.sk) return "backfill position";
  if (key.pk === LOGSTORE_PK && key.sk.startsWith("LOGSTORE#")) return "logstore";
  return undefined;
}
