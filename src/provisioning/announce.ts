/**
 * Announcing a tenant's terminal outcome for a generation, once: a conditional claim on the
 * tenant item (`announcedGeneration`) before publishing, so of any number of concurrent runs
 * exactly one publishes; the tenant item stays in the unfinished index (due a minute later)
 * until the publish succeeded, so the backfill announces again if the claimer died in between.
 */
import { ValidationError } from "../errors.ts";
import { OutcomeEventPublishError } from "../events/publisher.ts";
import type { OutcomeDetailType } from "../events/types.ts";
import type { Clock } from "../http/types.ts";
import { isFailedStatus, isFinishedStatus } from "../outcomes/constants.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { TenantItem } from "../outcomes/types.ts";
import { creationLeaseHolds } from "./desired-state.ts";
import type { ProvisionLogger, ProvisionResult } from "./types.ts";

/**
 * The terminal outcomes of a generation (the outcome events' detail types). A generation that
 * wanted the tenant ABSENT and failed is `TenantProvisioningFailed` too: its detail names the step
 * and status (e.g. CONFLICT: a foreign group was not destroyed).
 */
export type TenantOutcome = OutcomeDetailType;

/** What is announced: stable per (tenant, generation, outcome). */
export interface TenantOutcomeAnnouncement {
  tenantId: string;
  generation: number;
  outcome: TenantOutcome;
  /** When the generation reached it: the latest step transition (stable when announced again). */
  occurredAt: string;
  /** The first failed step, for TenantProvisioningFailed. */
  failure?:
    | { step: string; status: "FAILED_PERMANENT" | "CONFLICT"; code: string; provider: string; requestId?: string | undefined; message?: string | undefined }
    | undefined;
  steps: { step: string; status: string; resource: Record<string, string> }[];
}

/** Publishes announcements (EventBridge in AWS); throws when the publish failed. */
export interface OutcomeAnnouncer {
  announce(announcement: TenantOutcomeAnnouncement): Promise<void>;
}

/** How long a claimed announcement may take before the backfill announces it again. */
export const ANNOUNCE_RETRY_AFTER_MS = 60_000;

/** Failed publishes of one announcement before it is given up (about 2 h of backoff). */
export const MAX_ANNOUNCE_ATTEMPTS = 8;

/** Longest wait between two publishes of one announcement. */
export const MAX_ANNOUNCE_BACKOFF_MS = 3_600_000;

/**
 * How long after its `attempts`-th failed publish an announcement is due again: a minute,
 * doubling, at most an hour.
 *
 * @example
 * ```ts
 * announceRetryDelayMs(3); // 240_000
 * ```
 */
export function announceRetryDelayMs(attempts: number): number {
  return Math.min(ANNOUNCE_RETRY_AFTER_MS * 2 ** Math.max(0, attempts - 1), MAX_ANNOUNCE_BACKOFF_MS);
}

/**
 * Whether a publish failure will fail the same way again (PutEvents' non-retryable entry codes
 * such as MalformedDetail or AccessDeniedException, a deleted bus, an entry over the size
 * limit): such an announcement is given up at once. Throttling, 5xx, timeouts and anything
 * unknown are retried.
 *
 * @example
 * ```ts
 * isPermanentPublishFailure(new ValidationError([{ field: "detail", rule: "at most 262144 bytes" }])); // true
 * ```
 */
export function isPermanentPublishFailure(error: unknown): boolean {
  return (error instanceof OutcomeEventPublishError && !error.retryable) || error instanceof ValidationError;
}

/**
 * The generation's outcome when every step finished for it, else undefined.
 *
 * @example
 * ```ts
 * terminalOutcome(result)?.outcome; // "TenantProvisioned"
 * ```
 */
export function terminalOutcome(result: ProvisionResult): Omit<TenantOutcomeAnnouncement, "tenantId" | "generation"> | undefined {
  const finished = result.steps.every(
    (s) => s.generation === result.generation && isFinishedStatus(s.status),
  );
  if (!finished || result.steps.length === 0) return undefined;
  const steps = result.steps.map((s) => ({ step: s.step, status: s.status, resource: s.resource }));
  const occurredAt = result.steps.map((s) => s.updatedAt ?? "").sort().at(-1) || new Date(0).toISOString();
  const failed = result.steps.find((s) => isFailedStatus(s.status));
  if (failed) {
    return {
      outcome: "TenantProvisioningFailed",
      occurredAt,
      failure: {
        step: failed.step,
        status: failed.status === "CONFLICT" ? "CONFLICT" : "FAILED_PERMANENT",
        code: failed.error?.code ?? failed.status,
        provider: failed.provider,
        requestId: failed.error?.requestId,
        message: failed.error?.message,
      },
      steps,
    };
  }
  const wanted = result.desired === "ABSENT" ? "DELETED" : "SUCCEEDED";
  if (!result.steps.every((s) => s.status === wanted)) return undefined;
  return { outcome: result.desired === "ABSENT" ? "TenantDeprovisioned" : "TenantProvisioned", occurredAt, steps };
}

/**
 * Announces the generation's outcome if every step finished for it and nobody announced it yet
 * (or a claimed announcement is overdue: the claimer died before publishing). Not after
 * `announceBy` (epoch ms): too close to the run's deadline to record the publish.
 *
 * @example
 * ```ts
 * await announceIfSettled(tenant, result, { store, announcer, logger }, clock);
 * ```
 */
export async function announceIfSettled(
  tenant: TenantItem,
  result: ProvisionResult,
  deps: {
    store: Pick<OutcomeStore, "claimAnnouncement" | "reclaimAnnouncement" | "finishAnnouncement" | "finishOwnAnnouncement" | "releaseCreationLease" | "recordAnnouncementFailure">;
    announcer?: OutcomeAnnouncer | undefined;
    logger?: ProvisionLogger | undefined;
    /** This run (the lease owner of what it claims): the holder of a creation lease announces without a claim. */
    workerId?: string | undefined;
  },
  clock: Clock,
  options: { announceBy?: number | undefined } = {},
): Promise<void> {
  const terminal = terminalOutcome(result);
  // A publish needs time for the write after it: cut off by the run's deadline in between, the
  // event would go out again from the backfill. Too late, leave it to the next run.
  const inTime = options.announceBy === undefined || clock.now() <= options.announceBy;
  if (deps.workerId !== undefined && tenant.leaseOwner === deps.workerId && creationLeaseHolds(tenant, clock.now())) {
    await announceUnderCreationLease(tenant, inTime ? terminal : undefined, deps as typeof deps & { workerId: string }, clock);
    return;
  }
  if (!terminal || !inTime) return;
  const announcement: TenantOutcomeAnnouncement = { tenantId: tenant.tenantId, generation: tenant.generation, ...terminal };
  const alreadyClaimed = (tenant.announcedGeneration ?? 0) >= tenant.generation;
  // Claimed but never settled, and past its retry time: the claimer died before publishing. Of
  // the runs that see it overdue at once, the one whose conditional take-over wins publishes.
  const dueAt = tenant.indexDueAt;
  const overdue =
    alreadyClaimed &&
    dueAt !== undefined &&
    dueAt <= new Date(clock.now()).toISOString() &&
    (await deps.store.reclaimAnnouncement(tenant.tenantId, tenant.generation, dueAt, ANNOUNCE_RETRY_AFTER_MS));
  // A repeat delivery of a settled generation costs no write.
  const claimed = !alreadyClaimed && (await deps.store.claimAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, ANNOUNCE_RETRY_AFTER_MS));
  if (!claimed && !overdue) return;
  try {
    await deps.announcer?.announce(overdue && tenant.announcedOutcome ? { ...announcement, outcome: tenant.announcedOutcome as TenantOutcomeAnnouncement["outcome"] } : announcement);
  } catch (error) {
    // Claimed but not published: the backfill retries it with backoff, or it is given up.
    await recordFailure(tenant, terminal.outcome, error, deps, clock);
    return;
  }
  await deps.store.finishAnnouncement(tenant.tenantId, tenant.generation);
  deps.logger?.info("outcome announced", { tenantId: tenant.tenantId, generation: tenant.generation, outcome: terminal.outcome, again: overdue });
}

/**
 * The run holding the tenant's creation lease: while it holds, no other run may claim the
 * announcement, so it publishes first and then records it and ends the lease in one write. With
 * work left it ends the lease so the next run (the backfill) takes over at once. A failed publish
 * turns the lease into a claim (the lease owner may claim) and is counted like any claimed one.
 * A crash between publishing and recording repeats the event with the same `eventId` once the
 * lease lapses, as a crash after a claimed publish does.
 */
async function announceUnderCreationLease(
  tenant: TenantItem,
  terminal: ReturnType<typeof terminalOutcome>,
  deps: {
    store: Pick<OutcomeStore, "finishOwnAnnouncement" | "releaseCreationLease" | "claimAnnouncement" | "recordAnnouncementFailure">;
    announcer?: OutcomeAnnouncer | undefined;
    logger?: ProvisionLogger | undefined;
    workerId: string;
  },
  clock: Clock,
): Promise<void> {
  const context = { tenantId: tenant.tenantId, generation: tenant.generation };
  if (!terminal) {
    await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
    return;
  }
  try {
    await deps.announcer?.announce({ ...context, ...terminal });
  } catch (error) {
    // Claimed now (the lease ends with it), so the failure is counted and retried with backoff.
    if (await deps.store.claimAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, ANNOUNCE_RETRY_AFTER_MS, deps.workerId)) {
      await recordFailure(tenant, terminal.outcome, error, deps, clock);
      return;
    }
    // Not claimable: a newer generation was declared meanwhile (this outcome is outdated). The
    // lease would block that generation's announcement until it lapsed: end it now.
    await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
    return;
  }
  if (await deps.store.finishOwnAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, deps.workerId)) {
    deps.logger?.info("outcome announced", { ...context, outcome: terminal.outcome, again: false });
    return;
  }
  // Published for this generation while a newer one was declared: that one announces itself.
  await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
  deps.logger?.info("outcome announced", { ...context, outcome: terminal.outcome, again: false });
}

/**
 * Counts a failed publish on the tenant item: due again after {@link announceRetryDelayMs}, or
 * given up (permanent failure, or {@link MAX_ANNOUNCE_ATTEMPTS} reached) with an error log line
 * `outcome announcement gave up` (the `announcements-undelivered` alarm counts those).
 */
async function recordFailure(
  tenant: TenantItem,
  outcome: TenantOutcome,
  error: unknown,
  deps: { store: Pick<OutcomeStore, "recordAnnouncementFailure">; logger?: ProvisionLogger | undefined },
  clock: Clock,
): Promise<void> {
  const before = tenant.announceFailure?.generation === tenant.generation ? tenant.announceFailure.attempts : 0;
  const attempts = before + 1;
  const permanent = isPermanentPublishFailure(error);
  const gaveUp = permanent || attempts >= MAX_ANNOUNCE_ATTEMPTS;
  const code = error instanceof OutcomeEventPublishError ? (error.failed[0]?.errorCode ?? error.name) : error instanceof Error ? error.name : "UnknownError";
  const message = error instanceof Error ? error.message : String(error);
  const retryAt = gaveUp ? undefined : new Date(clock.now() + announceRetryDelayMs(attempts)).toISOString();
  const fields = { tenantId: tenant.tenantId, generation: tenant.generation, outcome, attempts, code, permanent, errorName: error instanceof Error ? error.name : typeof error };
  try {
    const recorded = await deps.store.recordAnnouncementFailure(tenant.tenantId, tenant.generation, { attempts, code, message, retryAt });
    if (!recorded) {
      deps.logger?.warn("outcome announcement failed; another run recorded or published it meanwhile", fields);
      return;
    }
  } catch (recordError) {
    // Unrecorded, the claim's retry time still brings the backfill back: nothing is lost.
    deps.logger?.error("outcome announcement failed and could not be recorded; the backfill retries it", {
      ...fields,
      recordErrorName: recordError instanceof Error ? recordError.name : typeof recordError,
    });
    return;
  }
  if (gaveUp) deps.logger?.error("outcome announcement gave up", fields);
  else deps.logger?.warn("outcome announcement failed; the backfill retries it", { ...fields, retryAt });
}
