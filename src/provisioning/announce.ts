/**
 * Announcing a tenant's terminal outcome for each settled generation, once: a conditional claim
 * on the tenant item (`announcedGeneration`) before publishing, so of any number of concurrent
 * runs exactly one publishes; the tenant item stays in the unfinished index (due a minute later)
 * until the publish succeeded, so the backfill announces again if the claimer died in between.
 * A settled generation superseded before its event went out is owed (`owedAnnouncements`) and
 * published first, oldest first.
 */
import { ValidationError } from "../errors.ts";
import { OutcomeEventPublishError } from "../events/publisher.ts";
import type { OutcomeDetailType } from "../events/types.ts";
import type { Clock } from "../http/types.ts";
import { isFailedStatus, isFinishedStatus } from "../outcomes/constants.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { OwedAnnouncement, StepRecord, TenantItem } from "../outcomes/types.ts";
import { creationLeaseHolds } from "./desired-state.ts";
import type { ProvisionLogger, ProvisionResult, StepOutcome } from "./types.ts";

/**
 * The terminal outcomes of a generation (the outcome events' detail types). A generation that
 * wanted the tenant ABSENT and failed is `TenantProvisioningFailed` too: its detail names the step
 * and status (e.g. CONFLICT: a foreign group was not destroyed).
 */
export type TenantOutcome = OutcomeDetailType;

/**
 * What is announced: stable per (tenant, generation, outcome). `occurredAt` is when the
 * generation reached it (its latest step transition: stable when announced again); `failure`
 * the first failed step, for TenantProvisioningFailed.
 */
export interface TenantOutcomeAnnouncement extends OwedAnnouncement {
  tenantId: string;
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

/** What a generation's outcome is read from: each step's status as a run reports it, or as recorded. */
type SettledSteps = Pick<ProvisionResult, "generation" | "desired"> & {
  steps: readonly (Pick<StepOutcome, "step" | "status" | "resource" | "generation" | "updatedAt" | "error"> & { provider: string })[];
};

/**
 * The announcement a newer generation would leave unpublished, for the declaration of that
 * generation to keep owed (`DesiredChange.owe`): the tenant's current generation is settled
 * (each of `stepNames` recorded finished for it) and its outcome not published (never claimed,
 * or claimed and still publishing or retrying; one given up stays given up). Built from the
 * records the way {@link terminalOutcome} builds it from a run, in registry order: the same event.
 *
 * @example
 * ```ts
 * const owe = owedOnSupersede(state.tenant, state.steps, ["sls-consumer-group", "im-group"]);
 * ```
 */
export function owedOnSupersede(tenant: TenantItem, steps: readonly StepRecord[], stepNames: readonly string[]): OwedAnnouncement | undefined {
  const announced = tenant.announcedGeneration ?? 0;
  // Published or given up (out of the unfinished index once claimed), or newer: nothing owed.
  if (announced > tenant.generation || (announced === tenant.generation && tenant.indexDueAt === undefined)) return undefined;
  const records = stepNames.flatMap((name) => steps.filter((s) => s.step === name));
  if (records.length !== stepNames.length) return undefined;
  const settled = terminalOutcome({
    generation: tenant.generation,
    desired: tenant.desired,
    steps: records.map((r) => ({
      step: r.step,
      provider: r.lastError?.provider ?? "unknown",
      status: r.status,
      resource: r.resource,
      generation: r.observedGeneration,
      updatedAt: r.updatedAt,
      error: r.lastError,
    })),
  });
  return settled && { generation: tenant.generation, ...settled };
}

/**
 * The generation's outcome when every step finished for it, else undefined.
 *
 * @example
 * ```ts
 * terminalOutcome(result)?.outcome; // "TenantProvisioned"
 * ```
 */
export function terminalOutcome(result: SettledSteps): Omit<TenantOutcomeAnnouncement, "tenantId" | "generation"> | undefined {
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
 * Announces what the tenant owes: first the owed older generations, oldest first, one at a
 * time (`TenantItem.owedAnnouncements`: settled, then superseded before they went out), then
 * the current generation's outcome if every step finished for it, each once: claimed with a
 * conditional write before publishing (or taken over when a claim is overdue: its claimer died
 * before publishing). Not after `announceBy` (epoch ms): too close to the run's deadline to
 * record the publish; then a later run announces, even if a newer generation is declared
 * before it (the declaration keeps the settled one owed).
 *
 * @example
 * ```ts
 * await announceIfSettled(tenant, result, { store, announcer, logger }, clock);
 * ```
 */
export async function announceIfSettled(
  tenant: TenantItem,
  result: ProvisionResult,
  deps: AnnounceDependencies,
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
  if (!inTime) return;
  // Oldest first: a newer generation is never claimed while an older one is owed.
  let announced = tenant.announcedGeneration ?? 0;
  const owed = tenant.owedAnnouncements ?? [];
  for (const [index, announcement] of owed.entries()) {
    const published = await announceOnce(tenant, { tenantId: tenant.tenantId, ...announcement }, announced, deps, clock, { owedCount: owed.length - index });
    if (!published) return;
    announced = announcement.generation;
  }
  if (!terminal) return;
  await announceOnce(tenant, { tenantId: tenant.tenantId, generation: tenant.generation, ...terminal }, announced, deps, clock, { current: true });
}

/** The store operations announcing needs, the announcer, and who this run is. */
interface AnnounceDependencies {
  store: Pick<
    OutcomeStore,
    "claimAnnouncement" | "reclaimAnnouncement" | "finishAnnouncement" | "finishOwnAnnouncement" | "releaseCreationLease" | "recordAnnouncementFailure" | "oweAnnouncement"
  >;
  announcer?: OutcomeAnnouncer | undefined;
  logger?: ProvisionLogger | undefined;
  /** This run (the lease owner of what it claims): the holder of a creation lease announces without a claim. */
  workerId?: string | undefined;
}

/**
 * Claims (or takes over, when overdue) and publishes one announcement; true once it is
 * published by this run. `announced` is the tenant's claimed generation as this run knows it.
 * The current generation's claim lost because a newer generation was declared meanwhile (the
 * declaring request did not see it settled) keeps it owed instead ({@link oweAfterLostClaim}).
 */
async function announceOnce(
  tenant: TenantItem,
  announcement: TenantOutcomeAnnouncement,
  announced: number,
  deps: AnnounceDependencies,
  clock: Clock,
  kind: { current: true } | { owedCount: number },
): Promise<boolean> {
  const { tenantId, generation } = announcement;
  const alreadyClaimed = announced >= generation;
  // Claimed but never settled, and past its retry time: the claimer died before publishing. Of
  // the runs that see it overdue at once, the one whose conditional take-over wins publishes.
  const dueAt = tenant.indexDueAt;
  const overdue =
    alreadyClaimed &&
    announced === generation &&
    dueAt !== undefined &&
    dueAt <= new Date(clock.now()).toISOString() &&
    (await deps.store.reclaimAnnouncement(tenantId, generation, dueAt, ANNOUNCE_RETRY_AFTER_MS));
  // A repeat delivery of a settled generation costs no write.
  const claimedAsListed =
    !alreadyClaimed &&
    // The current generation only while nothing is owed (0): owed meanwhile, it waits its turn.
    (await deps.store.claimAnnouncement(tenantId, generation, announcement.outcome, ANNOUNCE_RETRY_AFTER_MS, undefined, "owedCount" in kind ? kind.owedCount : 0));
  const owedAfterLoss = !alreadyClaimed && !claimedAsListed && "current" in kind && (await oweAfterLostClaim(announcement, deps));
  if (!claimedAsListed && !owedAfterLoss && !overdue) return false;
  // Owed (listed so, or kept so just now): the tenant is at a newer generation, so the store's
  // writes for the current generation cannot apply and are not sent. The current generation's
  // take-over may have been made owed meanwhile: the store tries both then.
  const owed = { owed: !("current" in kind) || owedAfterLoss };
  // Taken over: the event as claimed (the current generation's outcome is recorded with its claim).
  const published =
    overdue && "current" in kind && tenant.announcedOutcome ? { ...announcement, outcome: tenant.announcedOutcome as TenantOutcome } : announcement;
  try {
    await deps.announcer?.announce(published);
  } catch (error) {
    // Claimed but not published: the backfill retries it with backoff, or it is given up.
    await recordFailure(tenant, published, error, deps, clock, owed);
    return false;
  }
  await deps.store.finishAnnouncement(tenantId, generation, owed);
  deps.logger?.info("outcome announced", { tenantId, generation, outcome: published.outcome, again: overdue, owed: !("current" in kind) });
  return true;
}

/**
 * A run settled `announcement`'s generation, but a newer generation was declared before its
 * claim (by a request that read the generation unsettled): the settled one is kept owed, and
 * this run claims it (it is the only one owed: anything older was published by this run first).
 * False when the claim was lost for any other reason (another run claimed it, a creation lease
 * holds), or the tenant moved more than one generation on.
 */
async function oweAfterLostClaim(announcement: TenantOutcomeAnnouncement, deps: AnnounceDependencies, leaseOwner?: string): Promise<boolean> {
  const { tenantId, ...owed } = announcement;
  if (!(await deps.store.oweAnnouncement(tenantId, owed))) return false;
  deps.logger?.info("outcome announcement owed", { tenantId, generation: owed.generation, outcome: owed.outcome });
  return deps.store.claimAnnouncement(tenantId, owed.generation, owed.outcome, ANNOUNCE_RETRY_AFTER_MS, leaseOwner, leaseOwner === undefined ? 1 : undefined);
}

/**
 * The run holding the tenant's creation lease: while it holds, no other run may claim the
 * announcement, so it publishes first and then records it and ends the lease in one write. With
 * work left it ends the lease so the next run (the backfill) takes over at once. A failed publish
 * turns the lease into a claim (the lease owner may claim) and is counted like any claimed one.
 * A crash between publishing and recording repeats the event with the same `eventId` once the
 * lease lapses, as a crash after a claimed publish does. A newer generation declared meanwhile
 * keeps this settled one owed (the declaration did, or this run does), so it is announced still.
 */
async function announceUnderCreationLease(
  tenant: TenantItem,
  terminal: ReturnType<typeof terminalOutcome>,
  deps: AnnounceDependencies & { workerId: string },
  clock: Clock,
): Promise<void> {
  const context = { tenantId: tenant.tenantId, generation: tenant.generation };
  if (!terminal) {
    await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
    return;
  }
  const announcement = { ...context, ...terminal };
  try {
    await deps.announcer?.announce(announcement);
  } catch (error) {
    // Claimed now (the lease ends with it), so the failure is counted and retried with backoff;
    // owed, if a newer generation was declared meanwhile.
    const claimed =
      (await deps.store.claimAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, ANNOUNCE_RETRY_AFTER_MS, deps.workerId)) ||
      (await oweAfterLostClaim(announcement, deps, deps.workerId));
    if (claimed) {
      await recordFailure(tenant, announcement, error, deps, clock);
      return;
    }
    // Not claimable: the lease would block the newer generation's announcement until it lapsed.
    await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
    return;
  }
  // Recorded as published; owed by a newer generation declared meanwhile: claimed (the lease
  // ends with it) and finished as owed, so nobody publishes it again.
  const recorded =
    (await deps.store.finishOwnAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, deps.workerId)) ||
    ((await deps.store.claimAnnouncement(tenant.tenantId, tenant.generation, terminal.outcome, ANNOUNCE_RETRY_AFTER_MS, deps.workerId)) &&
      (await deps.store.finishAnnouncement(tenant.tenantId, tenant.generation)));
  if (recorded) {
    deps.logger?.info("outcome announced", { ...context, outcome: terminal.outcome, again: false });
    return;
  }
  // Published while a newer generation was declared that did not see this one settled: that one
  // announces itself.
  await deps.store.releaseCreationLease(tenant.tenantId, deps.workerId);
  deps.logger?.info("outcome announced", { ...context, outcome: terminal.outcome, again: false });
}

/**
 * Logs an owed announcement a declaration dropped to keep the tenant item bounded
 * (`Declared.droppedAnnouncement`) as given up: the `announcements-undelivered` alarm counts it.
 *
 * @example
 * ```ts
 * reportDroppedAnnouncement(declared, logger);
 * ```
 */
export function reportDroppedAnnouncement(declared: { tenant: TenantItem; droppedAnnouncement?: OwedAnnouncement | undefined }, logger: ProvisionLogger | undefined): void {
  const dropped = declared.droppedAnnouncement;
  if (!dropped) return;
  logger?.error("outcome announcement gave up", {
    tenantId: declared.tenant.tenantId,
    generation: dropped.generation,
    outcome: dropped.outcome,
    code: "OwedAnnouncementsFull",
    permanent: true,
  });
}

/**
 * Counts a failed publish on the tenant item: due again after {@link announceRetryDelayMs}, or
 * given up (permanent failure, or {@link MAX_ANNOUNCE_ATTEMPTS} reached) with an error log line
 * `outcome announcement gave up` (the `announcements-undelivered` alarm counts those).
 */
async function recordFailure(
  tenant: TenantItem,
  announcement: TenantOutcomeAnnouncement,
  error: unknown,
  deps: { store: Pick<OutcomeStore, "recordAnnouncementFailure">; logger?: ProvisionLogger | undefined },
  clock: Clock,
  owed: { owed?: boolean } = {},
): Promise<void> {
  const { generation, outcome } = announcement;
  const before = tenant.announceFailure?.generation === generation ? tenant.announceFailure.attempts : 0;
  const attempts = before + 1;
  const permanent = isPermanentPublishFailure(error);
  const gaveUp = permanent || attempts >= MAX_ANNOUNCE_ATTEMPTS;
  const code = error instanceof OutcomeEventPublishError ? (error.failed[0]?.errorCode ?? error.name) : error instanceof Error ? error.name : "UnknownError";
  const message = error instanceof Error ? error.message : String(error);
  const retryAt = gaveUp ? undefined : new Date(clock.now() + announceRetryDelayMs(attempts)).toISOString();
  const fields = { tenantId: tenant.tenantId, generation, outcome, attempts, code, permanent, errorName: error instanceof Error ? error.name : typeof error };
  try {
    const recorded = await deps.store.recordAnnouncementFailure(tenant.tenantId, generation, { attempts, code, message, retryAt }, owed);
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
