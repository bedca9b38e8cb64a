/**
 * Declaring what a tenant should be: a signup or an update (PRESENT with a spec), an offboarding
 * (ABSENT) or an operator re-drive. Each compares with what is stored and writes only a change,
 * as a new generation, with a conditional write; the reconciler then makes the providers match.
 */
import * as z from "zod/mini";
import { describeIssues, ValidationError } from "../errors.ts";
import { isFailedStatus } from "../outcomes/constants.ts";
import { isBeingPublished } from "../outcomes/announcement-view.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import { MAX_OWED_ANNOUNCEMENTS } from "../outcomes/constants.ts";
import type { Desired, DesiredChange, JsonObject, OwedAnnouncement, RegisterOptions, StepName, StepRecord, TenantItem, TenantOutcomes } from "../outcomes/types.ts";
import { owedOnSupersede } from "./announce.ts";
import { MAX_REQUESTED_AT_AHEAD_MS, STORED_REQUEST_UNREADABLE } from "./constants.ts";
import { ImmutableFieldError, RequestedAtAheadError, StoredTenantUnreadableError, TenantNotFoundError } from "./errors.ts";
import { changedImmutableField, IMMUTABLE_FIELDS, specKey } from "./spec.ts";
import { parseStoredTenantOnboarding, type TenantOnboarding } from "./tenant.ts";
import { parseOrThrow } from "../validation/issues.ts";

/** The store operations declaring needs. */
export type DesiredStateStore = Pick<OutcomeStore, "getTenant" | "putNewTenant" | "addMissingSteps" | "changeDesired" | "markStepsStale">;

/** How a declaration ended. */
export interface Declared extends TenantOutcomes {
  tenant: TenantItem;
  /** What the declaration wrote: a new tenant, a new generation, or nothing. */
  change: "created" | "new-generation" | "unchanged" | "stale";
  /**
   * The oldest owed announcement, dropped to keep the tenant item bounded when the new
   * generation made one more owed ({@link MAX_OWED_ANNOUNCEMENTS}): the caller logs it as given up.
   */
  droppedAnnouncement?: OwedAnnouncement | undefined;
}

/** Rounds of read → decide → conditional write when concurrent writers keep winning. */
const DECLARE_ROUNDS = 5;

/**
 * Declares a tenant PRESENT with the request's spec. A tenant seen for the first time is
 * recorded at generation 1; the same spec again writes nothing; a changed mutable field is a new
 * generation; a changed immutable field throws {@link ImmutableFieldError} and writes nothing
 * (unless the step whose resource fixes it records none: an owner IM refused may be corrected);
 * a request older than the one that set the current generation is stale and writes nothing; a
 * `requestedAt` in the future throws {@link RequestedAtAheadError} and writes nothing.
 *
 * @example
 * ```ts
 * const { tenant, steps } = await declarePresent(request, ["sls-consumer-group", "im-group"], store);
 * ```
 */
export async function declarePresent(
  request: TenantOnboarding,
  stepNames: readonly StepName[],
  store: DesiredStateStore,
  clock: { now(): number } = Date,
  options: { lease?: RegisterOptions["lease"] } = {},
): Promise<Declared> {
  refuseAhead(request.tenantId, request.requestedAt, clock);
  const snapshot = { ...request } as JsonObject;
  // Write first, read only when the tenant exists: a first-time tenant (most requests) costs
  // the conditional Put alone, not a Query before it; a known one costs the refused Put and then
  // the Query it used to. The Put never overwrites, so what follows decides on what is stored.
  // The Put is not one of the rounds: a known tenant still gets all of them to decide in.
  const putNew = () => store.putNewTenant(request.tenantId, snapshot, request.source, { desiredAt: request.requestedAt, lease: options.lease });
  // No step items yet: a step item is only ever written once its tenant item is stored, and
  // tenant items are never deleted. The first claim of each step creates it (under a creation
  // lease, its outcome does), and the tenant item stays in the unfinished index until
  // announced, so a run that dies here still leaves the backfill something to find.
  const created = await putNew();
  if (created) return { tenant: created, steps: [], change: "created" };
  let state = await store.getTenant(request.tenantId);
  for (let round = 0; round < DECLARE_ROUNDS; round++) {
    if (!state.tenant) {
      const tenant = await putNew();
      if (tenant) return { tenant, steps: [], change: "created" };
      state = await store.getTenant(request.tenantId);
      continue;
    }
    const tenant = state.tenant;
    // A stored request no shape reads (a field no release knows) is replaced by this one, once
    // its fixed fields are known to hold.
    const read = readStoredRequest(tenant);
    const stored = read instanceof ValidationError ? undefined : read;
    if (tenant.desired === "PRESENT" && stored && specKey(stored) === specKey(request)) {
      return { ...(await withAllSteps(state, tenant, stepNames, store, clock)), change: "unchanged" };
    }
    if (isOlder(request.requestedAt, tenant.desiredAt)) {
      return { ...(await withAllSteps(state, tenant, stepNames, store, clock)), change: "stale" };
    }
    // While the resources exist (or are wanted), their fixed fields stay; after an offboarding
    // a signup may start over with anything.
    if (tenant.desired === "PRESENT") {
      // Unreadable, the owner is read from the raw snapshot; a snapshot that does not say who it
      // is cannot show the owner unchanged, so it is not replaced while the group may exist.
      const owner = stored?.admin.userId ?? rawOwner(tenant.snapshot);
      const ownerStep = state.steps.find((s) => s.step === IMMUTABLE_FIELDS[0].step);
      if (owner === undefined && read instanceof ValidationError && mayHoldResource(ownerStep)) {
        const { field, rule } = IMMUTABLE_FIELDS[0];
        throw new ImmutableFieldError(request.tenantId, field, `${rule}, and the stored request does not say who it is (${describeIssues(read.issues)})`);
      }
      const immutable = owner === undefined ? undefined : changedImmutableField({ admin: { userId: owner } }, request);
      // Fixed only once the resource may exist: an owner IM refused for good can be corrected.
      if (immutable && mayHoldResource(state.steps.find((s) => s.step === immutable.step))) {
        throw new ImmutableFieldError(request.tenantId, immutable.field, immutable.rule);
      }
    }
    const change = { desired: "PRESENT" as const, source: request.source, snapshot, desiredAt: request.requestedAt };
    const owing = owedBy(tenant, state.steps, stepNames);
    const next = await store.changeDesired(request.tenantId, tenant.generation, { ...change, ...owing.change });
    if (next) return { ...(await afterChange(state, next, stepNames, store, clock)), change: "new-generation", ...owing.dropped };
    state = await store.getTenant(request.tenantId);
  }
  throw new Error(`tenant ${request.tenantId}: the desired state kept changing under ${DECLARE_ROUNDS} attempts`);
}

/**
 * Declares a tenant ABSENT (offboarding): its steps remove their resources; the records stay.
 * Already ABSENT writes nothing. `requestedAt` (an event's) older than the current generation's
 * request is stale; `"now"` (an operator's DELETE or CLI) always applies, after whatever was
 * asked before. An event for a tenant not recorded yet (it overtook the signup) records a
 * tombstone: ABSENT, no spec, no steps, so the older signup arriving later is stale. An operator's
 * request for an unknown tenant throws {@link TenantNotFoundError}; a `requestedAt` in the future
 * throws {@link RequestedAtAheadError}.
 *
 * @example
 * ```ts
 * await declareAbsent("acme-1", "now", "api", names, store);
 * ```
 */
export async function declareAbsent(
  tenantId: string,
  requestedAt: string | "now",
  source: string,
  stepNames: readonly StepName[],
  store: DesiredStateStore,
  clock: { now(): number } = Date,
): Promise<Declared> {
  if (requestedAt !== "now") refuseAhead(tenantId, requestedAt, clock);
  const tombstone =
    requestedAt === "now"
      ? undefined
      : async () => {
          const tenant = await store.putNewTenant(tenantId, { tenantId }, source, { desired: "ABSENT", desiredAt: requestedAt });
          return tenant ? { tenant, steps: [], change: "created" as const } : undefined;
        };
  return changeOrKeep(tenantId, stepNames, store, tombstone, (tenant, steps) => {
    if (tenant.desired === "ABSENT") return "unchanged";
    if (requestedAt !== "now" && isOlder(requestedAt, tenant.desiredAt)) return "stale";
    // Removal plans from the tenant id, the records and the owner (IM removes only a group whose
    // owner matches): refused before the write when the owner cannot be read and the group may exist.
    const { ownerUnreadable } = ownerlessRemovalSpec(tenant);
    if (ownerUnreadable && mayHoldResource(steps.find((s) => s.step === IMMUTABLE_FIELDS[0].step))) {
      throw new StoredTenantUnreadableError(tenantId, "the IM group may exist and removing it needs its owner (admin.userId)", ownerUnreadable.issues);
    }
    // An operator's "now" orders after the current request even when the sender's clock ran ahead.
    const at = requestedAt !== "now" ? requestedAt : new Date(Math.max(clock.now(), Date.parse(tenant.desiredAt ?? "") + 1 || 0)).toISOString();
    return { desired: "ABSENT", source, desiredAt: at };
  }, clock);
}

/**
 * An operator re-drive: a new generation with the same spec, in which the named finished
 * failures (FAILED_PERMANENT, CONFLICT) run again; by default every failed step. Steps that
 * succeeded keep their result without a provider call. Throws ValidationError naming `step`
 * when it is not one of the tenant's steps. A step failed because the stored request cannot be
 * read ({@link STORED_REQUEST_UNREADABLE}) is left out while it still cannot: it would only
 * record the same failure. When that leaves nothing, throws {@link StoredTenantUnreadableError}
 * naming the stored issues and what recovers the tenant, and writes nothing; unless the current
 * generation's outcome event was given up: then "unchanged", so the retry publishes it again.
 *
 * @example
 * ```ts
 * await redrive("acme-1", "im-group", names, store);
 * ```
 */
export async function redrive(tenantId: string, step: StepName | undefined, stepNames: readonly StepName[], store: DesiredStateStore): Promise<Declared> {
  parseOrThrow(z.optional(z.enum(stepNames)), step, "retry", "step");
  return changeOrKeep(tenantId, stepNames, store, undefined, (tenant, steps) => {
    const failed = steps.filter((s) => isFailedStatus(s.status) && (step === undefined || s.step === step));
    if (failed.length === 0) return "unchanged";
    const unreadable = failed.map((s) => (s.lastError?.code === STORED_REQUEST_UNREADABLE ? stillUnreadable(tenant, s.step) : undefined));
    const chosen = failed.filter((_, i) => unreadable[i] === undefined).map((s) => s.step);
    const issues = unreadable.find((e) => e !== undefined)?.issues;
    if (chosen.length === 0 && issues) {
      // Nothing to run again, but an outcome event given up at this generation is still the
      // retry's to publish (the service does it on "unchanged"): consumers must hear of the failure.
      const failure = tenant.announceFailure;
      if (failure?.gaveUp === true && failure.generation === tenant.generation) return "unchanged";
      // An update recovers it only when the owner can be read: with the group possibly made, a
      // request cannot prove it keeps the owner the group has.
      const recovers = ownerlessRemovalSpec(tenant).ownerUnreadable ? "restoring the stored request in the table recovers it (an update cannot: the IM group's owner, admin.userId, cannot be read from it)" : "an update with a readable request, or restoring the stored request in the table, recovers it";
      throw new StoredTenantUnreadableError(tenantId, `a retry would only record the same failure (${STORED_REQUEST_UNREADABLE}); ${recovers}`, issues);
    }
    return { desired: tenant.desired, source: "operator-retry", redriveSteps: chosen };
  });
}

/** Why `step` still cannot plan from the tenant's stored request, if it cannot (see provision.ts `unreadableFor`). */
function stillUnreadable(tenant: TenantItem, step: StepName): ValidationError | undefined {
  if (tenant.desired === "PRESENT") {
    const read = readStoredRequest(tenant);
    return read instanceof ValidationError ? read : undefined;
  }
  // Removal needs the request only for the owner, and only the owner's step needs that.
  return step === IMMUTABLE_FIELDS[0].step ? ownerlessRemovalSpec(tenant).ownerUnreadable : undefined;
}

type Decision = "unchanged" | "stale" | { desired: Desired; source: string; desiredAt?: string; redriveSteps?: string[] };

async function changeOrKeep(
  tenantId: string,
  stepNames: readonly StepName[],
  store: DesiredStateStore,
  onMissing: (() => Promise<Declared | undefined>) | undefined,
  decide: (tenant: TenantItem, steps: TenantOutcomes["steps"]) => Decision,
  clock: { now(): number } = Date,
): Promise<Declared> {
  for (let round = 0; round < DECLARE_ROUNDS; round++) {
    const state = await store.getTenant(tenantId);
    if (!state.tenant) {
      if (!onMissing) throw new TenantNotFoundError(tenantId);
      const created = await onMissing();
      if (created) return created;
      continue; // recorded by someone else meanwhile: decide on what is there
    }
    const decision = decide(state.tenant, state.steps);
    if (decision === "unchanged" || decision === "stale") {
      return { ...(await withAllSteps(state, state.tenant, stepNames, store, clock)), change: decision };
    }
    const owing = owedBy(state.tenant, state.steps, stepNames);
    const next = await store.changeDesired(tenantId, state.tenant.generation, { ...decision, ...owing.change });
    if (next) return { ...(await afterChange(state, next, stepNames, store, clock)), change: "new-generation", ...owing.dropped };
  }
  throw new Error(`tenant ${tenantId}: the desired state kept changing under ${DECLARE_ROUNDS} attempts`);
}

/**
 * What a new generation over `state` keeps owed: the current generation's settled outcome if it
 * is not published yet (see {@link owedOnSupersede}), and the oldest owed one it drops when the
 * tenant item holds {@link MAX_OWED_ANNOUNCEMENTS} already.
 */
function owedBy(
  tenant: TenantItem,
  steps: readonly StepRecord[],
  stepNames: readonly StepName[],
): { change: Pick<DesiredChange, "owe">; dropped: Pick<Declared, "droppedAnnouncement"> } {
  const announcement = owedOnSupersede(tenant, steps, stepNames);
  // Nothing to owe, but an owed one being published keeps its claim's due time.
  if (!announcement) return { change: isBeingPublished(tenant) ? { owe: { asRead: tenant } } : {}, dropped: {} };
  const owed = tenant.owedAnnouncements ?? [];
  const oldest = owed.length >= MAX_OWED_ANNOUNCEMENTS ? owed[0] : undefined;
  return { change: { owe: { announcement, asRead: tenant } }, dropped: oldest ? { droppedAnnouncement: oldest } : {} };
}

/**
 * After a new generation: steps it makes stale go back into the index; missing steps are added
 * (PENDING, so the backfill finds them), unless a creation lease holds: its run writes them.
 */
async function afterChange(state: TenantOutcomes, next: TenantItem, stepNames: readonly StepName[], store: DesiredStateStore, clock: { now(): number }) {
  const stale = state.steps.filter((s) => s.observedGeneration < next.generation && s.status !== "IN_PROGRESS").map((s) => s.step);
  await store.markStepsStale(next.tenantId, stale, next.generation);
  if (creationLeaseHolds(next, clock.now())) return { tenant: next, steps: state.steps };
  return { tenant: next, steps: await store.addMissingSteps(next.tenantId, next.generation, state.steps, stepNames) };
}

async function withAllSteps(state: TenantOutcomes, tenant: TenantItem, stepNames: readonly StepName[], store: DesiredStateStore, clock: { now(): number }) {
  // A tombstone has nothing to plan steps from: they come with its next signup. Steps a
  // creation lease covers are its run's to write.
  const complete =
    isTombstone(tenant, state.steps) || creationLeaseHolds(tenant, clock.now()) || stepNames.every((name) => state.steps.some((s) => s.step === name));
  return { tenant, steps: complete ? state.steps : await store.addMissingSteps(tenant.tenantId, tenant.generation, state.steps, stepNames) };
}

/**
 * Whether the tenant's creation lease (`TenantItem.leaseOwner`) holds at `nowMs`: its run alone
 * writes the tenant's missing steps and announces.
 *
 * @example
 * ```ts
 * if (creationLeaseHolds(tenant, Date.now()) && tenant.leaseOwner !== me) return "in-progress-elsewhere";
 * ```
 */
export function creationLeaseHolds(tenant: TenantItem, nowMs: number): boolean {
  return tenant.leaseOwner !== undefined && tenant.leaseExpiresAt !== undefined && tenant.leaseExpiresAt > new Date(nowMs).toISOString();
}

/**
 * The stored request. It validated when it was stored, and is read under the text rule it was
 * stored under (a name stored before the text rules of 2026-12-01 still reads); a request an
 * older release stored with a field this one does not know is a ValidationError naming it.
 *
 * @example
 * ```ts
 * const spec = storedRequest(tenant);
 * ```
 */
function storedRequest(tenant: TenantItem): TenantOnboarding {
  if (tenant.snapshotIssues) throw new ValidationError(tenant.snapshotIssues.map((rule) => ({ field: "snapshot", rule })), "stored tenant");
  const request = parseStoredTenantOnboarding(tenant.snapshot);
  // Names are planned from the tenant id: a request stored under another tenant's key (a hand
  // edit, a copied item) would plan, update and remove that tenant's resources.
  if (request.tenantId !== tenant.tenantId) throw new ValidationError([{ field: "tenantId", rule: SNAPSHOT_TENANT_ID_RULE }], "stored tenant");
  return request;
}

/** The rule a stored request breaks when it names another tenant than the one it is stored under. */
const SNAPSHOT_TENANT_ID_RULE = "must be the tenant id the request is stored under";

/** Issues of an unreadable stored request kept in a step's record, a refusal or a reply: the first ones and a count. */
const MAX_STORED_ISSUES = 10;

/** The first {@link MAX_STORED_ISSUES} issues, and one saying how many more there were. */
function capIssues(error: ValidationError): ValidationError {
  if (error.issues.length <= MAX_STORED_ISSUES) return error;
  const more = error.issues.length - MAX_STORED_ISSUES;
  return new ValidationError([...error.issues.slice(0, MAX_STORED_ISSUES), { field: "(more)", rule: `and ${more} more` }], "stored tenant");
}

/**
 * A tenant offboarded before its signup was seen: ABSENT with no steps and no valid spec.
 *
 * @example
 * ```ts
 * if (isTombstone(tenant, steps)) return; // nothing to remove
 * ```
 */
export function isTombstone(tenant: TenantItem, steps: TenantOutcomes["steps"]): boolean {
  return tenant.desired === "ABSENT" && steps.length === 0 && storedRequestOrUndefined(tenant) === undefined;
}

function storedRequestOrUndefined(tenant: TenantItem): TenantOnboarding | undefined {
  const read = readStoredRequest(tenant);
  return read instanceof ValidationError ? undefined : read;
}

/**
 * The stored request ({@link storedRequest}), or the ValidationError naming the fields and rules
 * no shape reads, returned rather than thrown: the caller decides what a step does without it.
 *
 * @example
 * ```ts
 * const read = readStoredRequest(tenant);
 * if (read instanceof ValidationError) log(read.issues);
 * ```
 */
export function readStoredRequest(tenant: TenantItem): TenantOnboarding | ValidationError {
  try {
    return storedRequest(tenant);
  } catch (error) {
    if (error instanceof ValidationError) return capIssues(error);
    throw error;
  }
}

/**
 * What an ABSENT tenant's steps plan their removal from. The stored request when it reads; else
 * a request holding only what identifies the resources, from the tenant id and the raw
 * snapshot's owner (the other fields are blank: a step's `remove` uses only the tenant id, the
 * owner and its records, see `StepModule.remove`). When even the owner cannot be read, the owner
 * is blank and `ownerUnreadable` holds the ValidationError a step whose removal needs the owner
 * (`StepModule.removeNeedsOwner`) records instead of running.
 *
 * @example
 * ```ts
 * const removal = ownerlessRemovalSpec(tenant);
 * if (removal.ownerUnreadable && module.removeNeedsOwner) recordUnreadable(removal.ownerUnreadable);
 * ```
 */
export function ownerlessRemovalSpec(tenant: TenantItem): TenantOnboarding & { ownerUnreadable?: ValidationError } {
  const read = readStoredRequest(tenant);
  if (!(read instanceof ValidationError)) return read;
  // From the key, never from the snapshot: the snapshot may name another tenant (see storedRequest).
  const identity = { tenantId: tenant.tenantId, displayName: "", requestedAt: tenant.desiredAt ?? "", source: "backfill" as const };
  const owner = rawOwner(tenant.snapshot);
  if (owner === undefined) return { ...identity, admin: { userId: "" }, ownerUnreadable: read };
  return { ...identity, admin: { userId: owner } };
}

/** `admin.userId` of a raw stored snapshot, when it holds a non-empty string there. */
function rawOwner(snapshot: JsonObject): string | undefined {
  const admin = snapshot["admin"];
  if (typeof admin !== "object" || admin === null || Array.isArray(admin)) return undefined;
  const userId = admin["userId"];
  return typeof userId === "string" && userId !== "" ? userId : undefined;
}

/**
 * Whether a step's resource may exist. False only when its record shows none was made: removed
 * (DELETED), or refused for good by its provider (FAILED_PERMANENT) with nothing ever recorded. A
 * step that is pending, in progress or retrying may have created it (an ambiguous attempt), and a
 * CONFLICT is a resource with the tenant's id that exists. A step failed because its tenant's
 * stored request could not be read ({@link STORED_REQUEST_UNREADABLE}) never asked the provider:
 * that record says nothing of the resource, and it replaced whatever the step showed before (an
 * ambiguous create's `{}` too), so the resource may exist.
 *
 * @example
 * ```ts
 * if (mayHoldResource(imStep)) throw new ImmutableFieldError(id, "admin.userId", rule);
 * ```
 */
export function mayHoldResource(record: StepRecord | undefined): boolean {
  // No item: a first run under its creation lease writes a step's item only with the outcome, so
  // one that is running, died or could not record may have made the resource.
  if (!record) return true;
  if (record.status === "DELETED") return false;
  if (record.status !== "FAILED_PERMANENT" || Object.keys(record.resource).length > 0) return true;
  return record.lastError?.code === STORED_REQUEST_UNREADABLE;
}

/** Throws RequestedAtAheadError when `requestedAt` is further ahead of `clock` than allowed. */
function refuseAhead(tenantId: string, requestedAt: string, clock: { now(): number }): void {
  if (Date.parse(requestedAt) > clock.now() + MAX_REQUESTED_AT_AHEAD_MS) throw new RequestedAtAheadError(tenantId);
}

/** True when `requestedAt` is strictly before `since` (both ISO times); unknown `since` is never newer. */
function isOlder(requestedAt: string, since: string | undefined): boolean {
  return since !== undefined && Date.parse(requestedAt) < Date.parse(since);
}
