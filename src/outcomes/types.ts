/**
 * The outcome table's record model (every kind of item and its keys: `table-map.ts`).
 *
 * One DynamoDB table, string keys `pk` / `sk`. Per tenant:
 *
 * | pk              | sk                        | what                                           |
 * |-----------------|---------------------------|------------------------------------------------|
 * | `TENANT#<id>`   | `TENANT`                  | {@link TenantItem}: the validated request snapshot, so the backfill can re-drive without the event |
 * | `TENANT#<id>`   | `STEP#sls-consumer-group` | {@link StepRecord} of one step                 |
 * | `TENANT#<id>`   | `STEP#im-group`           | {@link StepRecord} of one step                 |
 *
 * One Query on `pk` returns a tenant's whole picture.
 *
 * **Generations.** The tenant item holds the desired state (spec, PRESENT/ABSENT) and a
 * `generation`; each step its `observedGeneration`. A finished step behind the generation is
 * claimable again and is put back into the index when the generation moves.
 *
 * **Sparse index `unfinished`** (projection ALL). Only steps in PENDING, IN_PROGRESS or
 * FAILED_RETRYABLE (or behind the generation), and tenant items whose generation is not yet
 * settled and announced (or that owe an older generation's announcement), carry its key attributes:
 * - `unfinishedPk = "UNFINISHED#<shard>"`, shard = FNV-1a(tenantId) mod shard count (4), so writes
 *   spread over a few partitions instead of one hot one;
 * - `unfinishedSk = "<nextAttemptAt ISO>#<tenantId>#<step>"`, so a Query with
 *   `unfinishedSk < dueBefore` returns only work that is due, oldest first.
 *
 * `nextAttemptAt` is when a step is next due: its creation time for PENDING, its lease expiry for
 * IN_PROGRESS (a crashed worker's step comes back by itself), the asked-for retry time for
 * FAILED_RETRYABLE. Reaching SUCCEEDED, FAILED_PERMANENT, CONFLICT or DELETED REMOVEs the index
 * attributes, so finished steps cost nothing in the index and the backfill never scans. The
 * sparse `failures` index holds FAILED_PERMANENT and CONFLICT steps until they run again.
 *
 * **Every write is conditional.** Register puts with `attribute_not_exists`; a claim is an Update
 * that requires a claimable status (or an expired lease, or no item: it creates the item); a
 * completion requires the claimer's `leaseOwner` and the claimed `version`; a step's first outcome
 * written under the tenant's creation lease requires the item to be absent. `version` is +1 on
 * every write.
 *
 * All times are ISO-8601 UTC strings as `Date.prototype.toISOString` writes them (fixed width, so
 * string order is time order) taken from the store's injected clock.
 *
 * @example
 * ```ts
 * const rec: StepRecord = (await store.getTenant("t-1")).steps[0]!;
 * if (rec.status === "FAILED_RETRYABLE") console.log(rec.lastError?.code, rec.nextAttemptAt);
 * ```
 */
import type { DocumentClient } from "../aws/dynamodb/index.ts";
import type { ErrorClass, ProviderName } from "../errors.ts";
import type { Clock } from "../http/types.ts";
import type { OutcomeDetailType } from "../events/types.ts";
import type { DESIRED_STATES, FINISHED_STATUSES, STEP_STATUSES, UNFINISHED_STATUSES } from "./constants.ts";

/**
 * A provisioning step's name, e.g. `"sls-consumer-group"`, `"im-group"`: any name of the step
 * registry (`STEP_NAME_PATTERN`), so adding a step needs no change here.
 */
export type StepName = string;

/** What a tenant's resources should be. */
export type Desired = (typeof DESIRED_STATES)[number];

/** Where a step stands. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A status that still needs work (listed by the unfinished index). */
export type UnfinishedStatus = (typeof UNFINISHED_STATUSES)[number];

/** A status that ends a step: never claimed again. */
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

/** Anything `JSON.stringify` round-trips. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The last failure of a step, as recorded. Holds only what it is given: pass no secrets. */
export interface StepError {
  provider: ProviderName;
  /** Provider error code, e.g. `ConsumerGroupAlreadyExist`, `10021`, `Transport.Timeout`. */
  code: string;
  /** Cut to 1000 characters when stored. */
  message: string;
  /** 0 when no answer arrived. */
  httpStatus: number;
  requestId?: string | undefined;
  errorClass: ErrorClass;
}

/**
 * The tenant item (`sk = TENANT`): the tenant's desired state, what the backfill needs to
 * re-drive a tenant without the event that brought it.
 */
export interface TenantItem {
  tenantId: string;
  /**
   * The validated onboarding request (the spec), opaque to the store (stored as a JSON string).
   * `{}` when the stored text is not a JSON object ({@link snapshotIssues} says why).
   */
  snapshot: JsonObject;
  /**
   * Set when the stored snapshot is missing, not JSON or not a JSON object (a hand edit, a
   * corruption): the item still reads, and the lifecycle treats the request as one no shape
   * reads (`stored-tenant-unreadable`, `StoredRequestUnreadable`) instead of failing every read.
   */
  snapshotIssues?: string[] | undefined;
  /** Where the request came from, e.g. `signup-event`, `webhook`. */
  source: string;
  /**
   * +1 whenever the spec or the desire changes, or an operator re-drives. Items written before
   * generations existed read as 1.
   */
  generation: number;
  /** PRESENT (provision, update) or ABSENT (offboard); items without it read as PRESENT. */
  desired: Desired;
  /** The `requestedAt` of the request that set this generation: an older request is stale. */
  desiredAt?: string | undefined;
  /** Set by an operator re-drive: only these finished steps run again at this generation. */
  redriveSteps?: string[] | undefined;
  /** The last generation whose terminal outcome was claimed for announcing, and that outcome. */
  announcedGeneration?: number | undefined;
  announcedOutcome?: string | undefined;
  /** Publishing an announcement failed: how often, why, and whether it was given up. */
  announceFailure?: AnnouncementFailure | undefined;
  /**
   * Older generations whose terminal outcome settled but was not published when a newer
   * generation was declared, oldest first (stored as the map `owedAnnouncements`, generation →
   * JSON, at most `MAX_OWED_ANNOUNCEMENTS`). Published in this order before any newer generation;
   * absent on items that never owed one, `[]` once every owed one went out.
   */
  owedAnnouncements?: OwedAnnouncement[] | undefined;
  /** When the tenant item is due in the unfinished index (absent: not in it, the generation is settled). */
  indexDueAt?: string | undefined;
  /**
   * The creation lease: the run that recorded the tenant. Until `leaseExpiresAt` it alone writes
   * the tenant's missing step items (each once, with its outcome, conditional on the item being
   * absent) and announces without a claim write; other runs see those steps as in progress
   * elsewhere and may not claim the announcement. Removed when that run announced or gave up.
   */
  leaseOwner?: string | undefined;
  leaseExpiresAt?: string | undefined;
  /**
   * Recorded with a creation lease (set by the same put, kept for good): a run after that one
   * may find provider work it did not record, e.g. a logstore slot taken (see the SLS step).
   */
  createdUnderLease?: boolean | undefined;
  createdAt: string;
  updatedAt: string;
}

/**
 * Failed attempts to publish the announcement of `generation` (the tenant item's
 * `announceFailure`; removed once an announcement is published or re-driven).
 */
export interface AnnouncementFailure {
  generation: number;
  /** Failed publishes so far. */
  attempts: number;
  /** The last failure: PutEvents' entry `ErrorCode` or the call's error name. */
  code: string;
  /** Cut to 500 characters; AWS's message, never a secret. */
  message: string;
  /** When the last attempt failed (ISO). */
  failedAt: string;
  /** Given up: nothing publishes it again until an operator re-drives it (`cli retry`). */
  gaveUp: boolean;
  /** When the backfill tries again (absent once given up). */
  nextAttemptAt?: string | undefined;
}

/**
 * A settled generation's outcome event as it will be published (the same event whenever it is
 * published: `eventId` `<tenant>:<generation>:<outcome>`), kept on the tenant item while a newer
 * generation is declared before it went out.
 */
export interface OwedAnnouncement {
  generation: number;
  outcome: OutcomeDetailType;
  /** The generation's last step transition. */
  occurredAt: string;
  /** The first failed step, for TenantProvisioningFailed. */
  failure?:
    | { step: string; status: "FAILED_PERMANENT" | "CONFLICT"; code: string; provider: string; requestId?: string | undefined; message?: string | undefined }
    | undefined;
  steps: { step: string; status: string; resource: Record<string, string> }[];
}

/** What {@link OutcomeStore.recordAnnouncementFailure} records. */
export interface AnnouncementFailureInput {
  /** Failed publishes including this one (the stored count + 1: the write is conditional on it). */
  attempts: number;
  code: string;
  message: string;
  /** ISO time of the next attempt; absent: give up. */
  retryAt?: string | undefined;
}

/** One step of one tenant (`sk = STEP#<step>`). */
export interface StepRecord {
  tenantId: string;
  step: StepName;
  status: StepStatus;
  /** Claims so far (each claim is one attempt). */
  attempts: number;
  firstAttemptAt?: string | undefined;
  lastAttemptAt?: string | undefined;
  /** When the step is next due; absent once finished (see the module doc). */
  nextAttemptAt?: string | undefined;
  /** Kept after a later success: it is the *last* error seen, not a current one. */
  lastError?: StepError | undefined;
  /** Provider resource ids, e.g. `{ consumerGroup: "tp-t-1" }`, `{ groupId: "tp-t-1" }`. */
  resource: Record<string, string>;
  /** Who holds the claim; present only while IN_PROGRESS. */
  leaseOwner?: string | undefined;
  /** When the claim lapses and another worker may take the step over. */
  leaseExpiresAt?: string | undefined;
  /**
   * The tenant generation this record's status is about: claims set it to the generation they
   * work for. The step needs work while it is below the tenant's generation. Absent reads as 1.
   */
  observedGeneration: number;
  /** Hash of the plan the last run applied: an unchanged plan at a newer generation needs no provider call. */
  planHash?: string | undefined;
  /** When the step's resource was removed (status DELETED); the record stays as the audit trail. */
  deletedAt?: string | undefined;
  /** 1 at creation, +1 on every write. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A tenant's whole picture, from one Query. */
export interface TenantOutcomes {
  tenant: TenantItem | undefined;
  /** In sort-key order (`im-group` before `sls-consumer-group`). */
  steps: StepRecord[];
}

/** Who claims a step and for how long. */
export interface ClaimOptions {
  /** Unique per worker invocation, e.g. the Lambda request id. */
  owner: string;
  /** Lease length; should outlast the work (the Lambda's remaining time). */
  leaseMs: number;
  /**
   * The tenant generation the claimer works for (default 1). A finished step observed at an
   * older generation is claimable again; a step already at a newer one never is.
   */
  generation?: number | undefined;
  /** Hash of the plan the claimer will apply; recorded with the result. */
  planHash?: string | undefined;
}

/** Why a claim was refused. */
export type ClaimRefusal =
  /** SUCCEEDED, FAILED_PERMANENT, CONFLICT or DELETED at the claimer's generation (or a newer one). */
  | "finished"
  /** IN_PROGRESS under a lease that has not lapsed. */
  | "leased"
  /** No such step item. Not answered by claimStep any more (its claim creates an absent item); kept for callers that switch on it. */
  | "missing"
  /** Another worker already took the step to a newer generation than the claimer's. */
  | "superseded";

/** Outcome of {@link OutcomeStore.claimStep}. */
export type ClaimResult =
  | { claimed: true; record: StepRecord }
  | { claimed: false; reason: "finished" | "leased" | "superseded"; record: StepRecord }
  | { claimed: false; reason: "missing"; record: undefined };

/** Options of {@link OutcomeStore.registerTenant}. */
export interface RegisterOptions {
  /** Default PRESENT. */
  desired?: Desired | undefined;
  /** The request's `requestedAt`: later requests older than it are stale. */
  desiredAt?: string | undefined;
  /**
   * The creation lease (PRESENT only): the run that records the tenant runs its first steps and
   * announces their outcome without a claim write each, until `expiresAt` (see {@link TenantItem.leaseOwner}).
   */
  lease?: { owner: string; expiresAt: string } | undefined;
}

/** Options of {@link OutcomeStore.completeStep}. */
export interface CompleteOptions {
  /** Hash of the plan the run applied (see {@link StepRecord.planHash}). */
  planHash?: string | undefined;
}

/** A new generation's desired state ({@link OutcomeStore.changeDesired}). */
export interface DesiredChange {
  desired: Desired;
  source: string;
  /** The new spec; absent keeps the stored one (an offboarding, a re-drive). */
  snapshot?: JsonObject | undefined;
  desiredAt?: string | undefined;
  /** An operator re-drive: the finished steps that must run again (others keep their result). */
  redriveSteps?: readonly string[] | undefined;
  /**
   * `announcement`: the current generation settled but its outcome is not published: keep it
   * owed. Without it: an announcement is being published (claimed, due at its retry time) and
   * must keep its due time. `asRead` is the tenant item the caller decided on; the change applies
   * only while its announcement state (`announcedGeneration`, due time, owed count) is still that.
   */
  owe?: { announcement?: OwedAnnouncement | undefined; asRead: TenantItem } | undefined;
}

/** What a claimed step ended in. */
export type StepResult =
  | { status: "SUCCEEDED"; resource: Record<string, string> }
  /** `nextAttemptAt` (ISO) defaults to now: due for the next backfill run. */
  | { status: "FAILED_RETRYABLE"; error: StepError; nextAttemptAt?: string | undefined }
  | { status: "FAILED_PERMANENT"; error: StepError }
  | { status: "CONFLICT"; error: StepError; resource?: Record<string, string> | undefined }
  /** The resource is gone (removed now, or already gone); the record stays as the audit trail. */
  | { status: "DELETED"; resource?: Record<string, string> | undefined };

/** One page request of {@link OutcomeStore.listUnfinished}. */
export interface ListUnfinishedOptions {
  /** Most items in the page, 1..1000. */
  limit: number;
  /** From the previous page; absent for the first. */
  cursor?: string | undefined;
  /**
   * ISO time: only steps due at or before it. Keep it fixed for one walk (take it once per run);
   * absent means every unfinished step.
   */
  dueBefore?: string | undefined;
}

/** One page of unfinished steps. */
export interface UnfinishedPage {
  items: StepRecord[];
  /** Tenants whose item is in the index: a generation not yet settled and announced. */
  tenants: string[];
  /** Those tenants' items as the index lists them (eventually consistent: hints, like `items`). */
  tenantRecords: TenantItem[];
  /** Present when more may follow: pass it back to continue where this page stopped. */
  cursor?: string | undefined;
}

/** Construction options of {@link OutcomeStore}. */
export interface OutcomeStoreOptions {
  tableName: string;
  /** Defaults to a client from the environment (honours `AWS_ENDPOINT_URL_DYNAMODB`). */
  client?: DocumentClient | undefined;
  clock?: Clock | undefined;
  /** Shard count of the unfinished index; default 4. Every reader and writer must agree. */
  shards?: number | undefined;
}
