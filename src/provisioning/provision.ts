/**
 * The reconciler: makes each registered step match the tenant's desired state at its current
 * generation, and records every step. It knows no provider: steps are plugins (step-module.ts).
 */
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import type { ProvisionMetrics } from "../observability/metrics.ts";
import { isFinishedStatus, isUnfinishedStatus } from "../outcomes/constants.ts";
import { LeaseLostError } from "../outcomes/errors.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { StepRecord, StepResult, TenantItem, TenantOutcomes } from "../outcomes/types.ts";
import { announceIfSettled, reportDroppedAnnouncement, type OutcomeAnnouncer } from "./announce.ts";
import { ValidationError } from "../errors.ts";
import { creationLeaseHolds, declarePresent, isTombstone, mayHoldResource, ownerlessRemovalSpec, readStoredRequest, type DesiredStateStore } from "./desired-state.ts";
import { STORED_REQUEST_UNREADABLE } from "./constants.ts";
import { planHash } from "./spec.ts";
import type { StepCallOptions, StepModule, StepRegistry } from "./step-module.ts";
import { stepResultFromError } from "./step-result.ts";
import type { TenantOnboarding } from "./tenant.ts";
import type { ProvisionLogger, ProvisionResult, StepOutcome } from "./types.ts";

/** What the reconciler works with; built once per cold start. */
export interface ProvisionDependencies {
  store: DesiredStateStore &
    Pick<
      OutcomeStore,
      | "claimStep"
      | "completeStep"
      | "putStepOutcome"
      | "pinResource"
      | "fastForwardStep"
      | "claimAnnouncement"
      | "reclaimAnnouncement"
      | "finishAnnouncement"
      | "finishOwnAnnouncement"
      | "releaseCreationLease"
      | "recordAnnouncementFailure"
      | "oweAnnouncement"
      | "leaseTenant"
    >;
  /** The steps every tenant has. */
  steps: StepRegistry;
  /** Unique per invocation (the Lambda request id): the lease owner of claimed steps. */
  workerId: string;
  /** Time kept free before the deadline to record outcomes after provider calls stop. */
  safetyMarginMs: number;
  /** A claim outlives the deadline by this much, so only a crashed worker's claim lapses. */
  leaseGraceMs?: number;
  /** Publishes terminal outcomes (TenantProvisioned …); absent: outcomes are only recorded. */
  announcer?: OutcomeAnnouncer | undefined;
  clock?: Clock;
  logger?: ProvisionLogger;
  metrics?: ProvisionMetrics;
}

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  /** ISO time: a FAILED_RETRYABLE step due later than this is left for its time (the backfill's walk bound). */
  dueBefore?: string | undefined;
  /**
   * Run FAILED_RETRYABLE steps now, however far off their next attempt is: an operator's
   * re-drive (`retry`, `backfill --now`). Without it and without `dueBefore`, a step failed
   * retryably at the tenant's current generation waits until its `nextAttemptAt`, so a repeated
   * request (a resent webhook, a redelivered signup) neither calls the provider again nor counts
   * an attempt, and the backoff stands.
   */
  ignoreBackoff?: boolean | undefined;
}

/** How long the caller can spend. */
export interface ProvisionBudget {
  /** Absolute epoch-ms by which `provision` must have returned (e.g. the Lambda's end minus a margin). */
  deadline: number;
}

/**
 * Declares the tenant PRESENT with the request's spec (a new tenant, an update as a new
 * generation, or nothing when unchanged), then reconciles it. Safe to run any number of times,
 * from any entry point, at once: names are deterministic, each step is claimed with a
 * conditional write, and each provider operation converges. The steps are independent.
 * Throws ImmutableFieldError (nothing written) when the request changes a fixed field.
 *
 * @example
 * ```ts
 * const result = await provision(tenant, { deadline: Date.now() + 20_000 }, deps);
 * if (result.retryable) requeue(tenant);
 * ```
 */
export async function provision(tenant: TenantOnboarding, budget: ProvisionBudget, deps: ProvisionDependencies): Promise<ProvisionResult> {
  const clock = deps.clock ?? systemClock;
  // A tenant this run records is this run's to provision first: its creation lease lasts as long
  // as a step claim would, and spares a claim write per step and one for the announcement.
  const lease = { owner: deps.workerId, expiresAt: new Date(clock.now() + leaseMsUntil(budget.deadline, deps, clock)).toISOString() };
  const declared = await declarePresent(tenant, deps.steps.map((s) => s.name), deps.store, clock, { lease });
  reportDroppedAnnouncement(declared, deps.logger);
  const result = await reconcile(declared, budget.deadline, deps);
  // An older request changed nothing: say so, or its sender reads the current state as its own.
  return declared.change === "stale" ? { ...result, stale: { requestedAt: declared.tenant.desiredAt } } : result;
}

/** How long a lease outlives its run's deadline unless `leaseGraceMs` says otherwise. */
export const DEFAULT_LEASE_GRACE_MS = 30_000;

/** How long a claim made now lasts: past the deadline by the grace, so only a crashed worker's lapses. */
function leaseMsUntil(deadline: number, deps: ProvisionDependencies, clock: Clock): number {
  return Math.max(1_000, deadline - clock.now()) + (deps.leaseGraceMs ?? DEFAULT_LEASE_GRACE_MS);
}

/**
 * Makes every step match the tenant's recorded desired state at its current generation: ensure
 * or update while PRESENT, remove while ABSENT. Finished steps of the current generation are
 * reported without a write; a finished step whose plan is unchanged since an older generation
 * moves to the new one without a provider call. When every step is finished, the tenant's
 * outcome for the generation is announced once.
 *
 * @example
 * ```ts
 * const result = await reconcile(await store.getTenant("t-1"), Date.now() + 10_000, deps);
 * ```
 */
export async function reconcile(
  state: TenantOutcomes,
  deadline: number,
  deps: ProvisionDependencies,
  options: ReconcileOptions = {},
): Promise<ProvisionResult> {
  return reconcileChecked(state, deadline, deps, options, undefined);
}

/**
 * {@link reconcile}, given a stored request already checked (`checked.spec`, from `checked.tenant`):
 * reused when the tenant's snapshot is the same JSON, checked afresh otherwise.
 */
async function reconcileChecked(
  state: TenantOutcomes,
  deadline: number,
  deps: ProvisionDependencies,
  options: ReconcileOptions,
  checked: { tenant: TenantItem; spec: StepSpec } | undefined,
): Promise<ProvisionResult> {
  const clock = deps.clock ?? systemClock;
  const tenant = state.tenant;
  if (!tenant) throw new Error("reconcile needs the tenant item");
  if (isTombstone(tenant, state.steps)) {
    // Offboarded before its signup was seen: nothing was provisioned, nothing to remove.
    return { tenantId: tenant.tenantId, generation: tenant.generation, desired: tenant.desired, steps: [], succeeded: true, retryable: false };
  }
  const spec = checked !== undefined && sameSnapshot(checked.tenant, tenant) ? checked.spec : stepSpec(tenant);
  const records = state.steps;
  // A step without an item: its first claim creates it; under a creation lease only the lease's
  // run writes it (its outcome, once), and other runs leave it to that run.
  const leased = creationLeaseHolds(tenant, clock.now());
  const outcomes = await Promise.all(
    deps.steps.map((module) => {
      const known = records.find((r) => r.step === module.name);
      if (!known && leased) {
        if (tenant.leaseOwner !== deps.workerId) return Promise.resolve(ranElsewhere(module, tenant));
        return runStep(module, tenant, spec, undefined, deadline, deps, clock, { underCreationLease: true });
      }
      // Every entry point keeps each retry's backoff: a failure not yet due waits for its time.
      if (known && notDue(known, tenant, options, clock)) return Promise.resolve(fromRecord(known, "not-due", module.provider, tenant.generation));
      return runStep(module, tenant, spec, known, deadline, deps, clock);
    }),
  );
  const result: ProvisionResult = {
    tenantId: tenant.tenantId,
    generation: tenant.generation,
    desired: tenant.desired,
    steps: outcomes,
    succeeded: outcomes.every((o) => o.status === (tenant.desired === "ABSENT" ? "DELETED" : "SUCCEEDED")),
    retryable: outcomes.some((o) => isUnfinishedStatus(o.status)),
  };
  // Half the safety margin left: enough for PutEvents and the write that records it.
  await announceIfSettled(tenant, result, deps, clock, { announceBy: deadline - deps.safetyMarginMs / 2 });
  return result;
}

/**
 * Whether a FAILED_RETRYABLE step waits for its `nextAttemptAt` in this run. The backfill's walk
 * (`dueBefore`) leaves every step due after its bound; any other run leaves one failed at the
 * tenant's current generation until it is due: that request is the one that failed, or a
 * repeat of it, and the unfinished index brings the step back to the backfill in time. A step
 * behind a newer generation (an update, an offboarding) runs at once: it is new work.
 */
function notDue(known: StepRecord, tenant: TenantItem, options: ReconcileOptions, clock: Clock): boolean {
  if (known.status !== "FAILED_RETRYABLE" || options.ignoreBackoff === true) return false;
  const next = known.nextAttemptAt ?? "";
  if (options.dueBefore !== undefined) return next > options.dueBefore;
  return known.observedGeneration >= tenant.generation && next > new Date(clock.now()).toISOString();
}

/**
 * Reconciles a tenant as an unfinished-index page listed it (the backfill's walk), without
 * reading it first, when the page shows everything the run decides on: the tenant item and an
 * item for every registered step, and the generation not yet announced. The run then leases the
 * tenant ({@link OutcomeStore.leaseTenant}: one conditional write, which answers with the tenant
 * item, strongly consistent, at the listed generation) and announces under that lease (publish,
 * then one write), where a read of the tenant, a claim of the announcement and a finish would be
 * three requests. Steps are claimed one by one as always (each claim is conditional on the step
 * as stored, so a listing that is behind costs a refused claim, never a second owner), and a
 * listed finished step moves to a new generation only by its conditional fast-forward.
 * `undefined` when the listing is not enough or the lease is not to be had (another run holds
 * one, the generation moved, the announcement is claimed): then read the tenant and
 * {@link reconcile} as usual.
 *
 * @example
 * ```ts
 * const result = (await reconcileListed(listed, deadline, deps, { dueBefore })) ?? (await reconcile(await store.getTenant(id), deadline, deps, { dueBefore }));
 * ```
 */
export async function reconcileListed(
  listed: TenantOutcomes,
  deadline: number,
  deps: ProvisionDependencies,
  options: ReconcileOptions = {},
): Promise<ProvisionResult | undefined> {
  const clock = deps.clock ?? systemClock;
  const tenant = listed.tenant;
  if (!tenant || isTombstone(tenant, listed.steps)) return undefined;
  if ((tenant.announcedGeneration ?? 0) >= tenant.generation || creationLeaseHolds(tenant, clock.now())) return undefined;
  // Older announcements owed go out first, oldest first, by the unleased path.
  if ((tenant.owedAnnouncements?.length ?? 0) > 0) return undefined;
  if (!deps.steps.every((module) => listed.steps.some((r) => r.step === module.name && r.observedGeneration <= tenant.generation))) return undefined;
  const spec = stepSpec(tenant);
  const expiresAt = new Date(clock.now() + leaseMsUntil(deadline, deps, clock)).toISOString();
  const leased = await deps.store.leaseTenant(tenant.tenantId, tenant.generation, deps.workerId, expiresAt);
  if (!leased) return undefined;
  // The lease holds at the listed generation, whose request the listing showed: checked once.
  return reconcileChecked({ tenant: leased, steps: listed.steps }, deadline, deps, options, { tenant, spec });
}

/**
 * What the steps plan from: the stored request, read by its shape; for an ABSENT tenant what
 * identifies its resources ({@link ownerlessRemovalSpec}: a step whose removal needs the owner
 * gets `ownerUnreadable` when the request does not say it). A ValidationError when the request of
 * a PRESENT tenant does not read: each step that needs work then records it as a FAILED_PERMANENT
 * outcome (once per generation, listed by `failures`, announced) instead of the tenant failing
 * every run before any step.
 */
type StepSpec = ReturnType<typeof ownerlessRemovalSpec> | ValidationError;

function stepSpec(tenant: TenantItem): StepSpec {
  return tenant.desired === "ABSENT" ? ownerlessRemovalSpec(tenant) : readStoredRequest(tenant);
}

/** Why `module` cannot plan from `spec`, if it cannot: the request does not read, or its removal needs the owner it does not say. */
function unreadableFor(module: StepModule, spec: StepSpec): ValidationError | undefined {
  if (spec instanceof ValidationError) return spec;
  return module.removeNeedsOwner === true ? spec.ownerUnreadable : undefined;
}


/**
 * Whether two reads of a tenant hold the same request: the same snapshot, as JSON. Comparing
 * costs a backfill a tenth of checking the request again with zod.
 */
function sameSnapshot(a: TenantItem, b: TenantItem): boolean {
  return a.snapshot === b.snapshot || JSON.stringify(a.snapshot) === JSON.stringify(b.snapshot);
}

/**
 * A step the creation lease's run is writing (it has no item yet): in progress elsewhere. That
 * run provisions the generation it created, 1: a newer one declared meanwhile is behind (no run
 * works on it), so the caller hands it on (the webhook to the queue) rather than wait for it.
 */
function ranElsewhere(module: StepModule, tenant: TenantItem): StepOutcome {
  const outcome: StepOutcome = { step: module.name, provider: module.provider, status: "IN_PROGRESS", action: "in-progress-elsewhere", attempts: 0, resource: {}, generation: tenant.generation };
  return tenant.generation > 1 ? { ...outcome, generation: 1, behind: true } : outcome;
}

/** The attempt a creation lease's run makes at a step without an item: claimed, but not stored. */
function creationLeaseAttempt(tenant: TenantItem, step: string, owner: string, clock: Clock): StepRecord {
  const now = new Date(clock.now()).toISOString();
  return {
    tenantId: tenant.tenantId,
    step,
    status: "IN_PROGRESS",
    attempts: 1,
    firstAttemptAt: now,
    lastAttemptAt: now,
    resource: {},
    leaseOwner: owner,
    leaseExpiresAt: tenant.leaseExpiresAt,
    observedGeneration: tenant.generation,
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
}

async function runStep(
  module: StepModule,
  tenant: TenantItem,
  spec: StepSpec,
  known: StepRecord | undefined,
  deadline: number,
  deps: ProvisionDependencies,
  clock: Clock,
  mode: { underCreationLease?: boolean } = {},
): Promise<StepOutcome> {
  const { name: step, provider } = module;
  const generation = tenant.generation;
  const unreadable = unreadableFor(module, spec);
  const planOf = (recorded: Readonly<Record<string, string>>) => {
    if (unreadable !== undefined || spec instanceof ValidationError) return undefined;
    const plan = module.plan(spec, recorded);
    return { plan, hash: planHash({ desired: tenant.desired, plan: module.planIdentity ? module.planIdentity(plan) : plan }) };
  };
  if (known && isFinishedStatus(known.status)) {
    // Finished for this generation (or a newer one): report it as recorded, no write.
    if (known.observedGeneration >= generation) return fromRecord(known, "already-finished", provider, generation);
    const planned = planOf(known.resource);
    if (planned && keepsResult(known, planned.hash, tenant)) {
      const moved = await deps.store.fastForwardStep(known, generation);
      if (moved) return fromRecord(moved, "already-finished", provider, generation);
    }
  }
  const claim = mode.underCreationLease
    ? { claimed: true as const, record: creationLeaseAttempt(tenant, step, deps.workerId, clock) }
    : await deps.store.claimStep(tenant.tenantId, step, { owner: deps.workerId, leaseMs: leaseMsUntil(deadline, deps, clock), generation });
  if (!claim.claimed) {
    if (claim.reason === "missing") {
      return { step, provider, status: "PENDING", action: "not-recorded", attempts: 0, resource: {}, generation };
    }
    return fromRecord(claim.record, claim.reason === "finished" ? "already-finished" : "in-progress-elsewhere", provider, generation);
  }

  // Planned from the record as claimed: another run may have recorded where the resource goes
  // (pinResource) since `known` was read.
  const planned = planOf(claim.record.resource);
  let claimed = claim.record;
  // Under the creation lease the step has no item until its outcome is recorded.
  let stored = !mode.underCreationLease;
  const options = {
    deadline: deadline - deps.safetyMarginMs,
    // Unrecorded work is possible after an earlier claim of this step (attempts above 1), or for
    // a tenant recorded with a creation lease: that run writes a step's item only with the
    // outcome, so one that died or could not record it left nothing to go by (and a later
    // reconcile adds the missing item as PENDING). Asking the registry on every first claim
    // instead cost the backfill a registry-wide Query per tenant (bench, 18:28 UTC).
    mayHaveRunBefore: !mode.underCreationLease && (tenant.createdUnderLease === true || claim.record.attempts > 1),
    pinResource: async (resource: Record<string, string>) => {
      if (!stored) {
        // Something must be recorded before the outcome: the item is created by a claim first.
        const taken = await deps.store.claimStep(tenant.tenantId, step, { owner: deps.workerId, leaseMs: leaseMsUntil(deadline, deps, clock), generation });
        if (!taken.claimed) throw new LeaseLostError({ ...claimed, leaseOwner: deps.workerId }, taken.record);
        claimed = taken.record;
        stored = true;
      }
      claimed = await deps.store.pinResource(claimed, resource);
    },
  };
  let result: StepResult;
  let providerOutcome: string | undefined;
  const startedAt = clock.now();
  try {
    if (!planned && tenant.desired === "ABSENT" && !mayHoldResource(known)) {
      // Nothing to plan the removal from, and the record shows nothing was made: nothing to remove.
      result = { status: "DELETED" };
    } else if (!planned) {
      // Nothing to plan from: no provider call; the outcome names the stored fields and rules.
      const message = unreadable?.message ?? "stored tenant: unreadable";
      result = { status: "FAILED_PERMANENT", error: { provider, code: STORED_REQUEST_UNREADABLE, message, httpStatus: 0, errorClass: "permanent" } };
    } else if (tenant.desired === "ABSENT") {
      const { plan } = planned;
      providerOutcome = (await module.remove(plan, options)).outcome;
      result = { status: "DELETED" };
    } else {
      const effect = await ensureOrUpdate(module, planned.plan, claim.record, options);
      providerOutcome = effect.outcome;
      result = { status: "SUCCEEDED", resource: effect.resource };
    }
  } catch (error) {
    result = stepResultFromError(error, provider, { attempts: claim.record.attempts, now: clock.now() });
  }
  if ("error" in result && result.error.errorClass === "credentials" && result.status === "FAILED_RETRYABLE") {
    deps.metrics?.credentialsRejected(provider, result.error.code);
  }
  deps.metrics?.stepFinished({
    step,
    provider,
    status: result.status,
    errorCode: "error" in result ? result.error.code : undefined,
    durationMs: clock.now() - startedAt,
  });
  deps.logger?.[result.status === "SUCCEEDED" || result.status === "DELETED" ? "info" : "warn"]("step finished", {
    tenantId: tenant.tenantId,
    step,
    generation,
    desired: tenant.desired,
    status: result.status,
    providerOutcome,
    attempts: claim.record.attempts,
    error: "error" in result ? result.error : undefined,
  });

  try {
    const recordOptions = planned ? { planHash: planned.hash } : {};
    const saved = stored
      ? await deps.store.completeStep(claimed, result, recordOptions)
      : await deps.store.putStepOutcome(claimed, result, recordOptions);
    return { ...fromRecord(saved, "ran", provider, generation), providerOutcome };
  } catch (error) {
    if (error instanceof LeaseLostError) {
      // Our lease lapsed and another worker took the step over: its record stands.
      deps.logger?.warn("lease lost; keeping the other worker's record", { tenantId: tenant.tenantId, step });
      return fromRecord(error.current ?? claimed, "in-progress-elsewhere", provider, generation);
    }
    // The provider work is done (or safely repeatable) but not recorded: the lease lapses and
    // a later run converges to the same state and records it.
    deps.logger?.error("could not record step outcome", { tenantId: tenant.tenantId, step, errorName: (error as Error).name });
    return { step, provider, status: "IN_PROGRESS", action: "not-recorded", providerOutcome, attempts: claim.record.attempts, resource: {}, generation };
  }
}

/** A step provisioned before (its resource is recorded and was not removed) is updated; any other is ensured. */
function ensureOrUpdate(module: StepModule, plan: unknown, claimed: StepRecord, options: StepCallOptions) {
  const provisionedBefore = Object.keys(claimed.resource).length > 0 && claimed.deletedAt === undefined;
  return provisionedBefore && module.update ? module.update(plan, options) : module.ensure(plan, options);
}

/**
 * Whether a step finished at an older generation keeps its result at the new one without a
 * provider call: its plan is the one it last applied, and it is a success, or a failure the
 * operator did not ask to re-drive.
 */
function keepsResult(record: StepRecord, hash: string, tenant: TenantItem): boolean {
  if (record.planHash !== hash) return false;
  if (record.status === "SUCCEEDED" || record.status === "DELETED") return true;
  return !(tenant.redriveSteps ?? []).includes(record.step);
}

function fromRecord(record: StepRecord, action: StepOutcome["action"], provider: StepOutcome["provider"], generation: number): StepOutcome {
  return {
    step: record.step,
    provider,
    status: record.status,
    action,
    attempts: record.attempts,
    resource: record.resource,
    generation: record.observedGeneration,
    updatedAt: record.updatedAt,
    error: record.status === "SUCCEEDED" || record.status === "DELETED" ? undefined : record.lastError,
    ...(record.status === "FAILED_RETRYABLE" && record.nextAttemptAt !== undefined ? { nextAttemptAt: record.nextAttemptAt } : {}),
    ...(record.observedGeneration < generation ? { behind: true } : {}),
  };
}

