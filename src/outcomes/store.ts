import { createDocumentClient } from "../aws/document-client.ts";
import { isConditionalCheckFailed } from "../aws/conditional-check.ts";
import { queryItems } from "../aws/query-items.ts";
import {
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "../aws/dynamodb/index.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import {
  CLAIM_RACE_RETRIES,
  DEFAULT_UNFINISHED_SHARDS,
  FAILURES_INDEX_NAME,
  isFinishedStatus,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_OWED_ANNOUNCEMENTS,
  STEP_SK_PREFIX,
  TENANT_SK,
  UNFINISHED_INDEX_NAME,
} from "./constants.ts";
import { isBeingPublished } from "./announcement-view.ts";
import { allOfEach, anyOf, NO_ITEM, onExistingItem } from "./condition-expression.ts";
import { decodeCursor, encodeCursor, type UnfinishedIndexKey } from "./cursor.ts";
import { LeaseLostError, MalformedOutcomeItemError } from "./errors.ts";
import { ValidationError } from "../errors.ts";
import {
  announcementFailureInput,
  announcementInput,
  changeDesiredInput,
  claimAnnouncementInput,
  claimStepInput,
  completionInput,
  fastForwardInput,
  leaseOwnerInput,
  listInput,
  listUnfinishedInput,
  ownAnnouncementInput,
  pinResourceInput,
  reclaimAnnouncementInput,
  registrationInput,
  storeOptionsInput,
  tenantLeaseInput,
  tenantStepsInput,
} from "./input-validation.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { parseStepItem, parseTenantItem } from "./item-parsing.ts";
import {
  announceFailuresKey,
  announceFailuresPk,
  dueBound,
  failuresPk,
  failuresSk,
  shardOf,
  stepKey,
  tenantKey,
  tenantPk,
  tenantUnfinishedSk,
  unfinishedPk,
  unfinishedSk,
} from "./keys.ts";
import type {
  AnnouncementFailure,
  AnnouncementFailureInput,
  ClaimOptions,
  ClaimResult,
  CompleteOptions,
  DesiredChange,
  RegisterOptions,
  JsonObject,
  ListUnfinishedOptions,
  OutcomeStoreOptions,
  OwedAnnouncement,
  StepError,
  StepName,
  StepRecord,
  StepResult,
  TenantItem,
  TenantOutcomes,
  UnfinishedPage,
} from "./types.ts";

/** Longest failure message an announcement record keeps. */
const MAX_ANNOUNCE_MESSAGE_CHARS = 500;
/** Attribute names every write of an announcement's failure state uses. */
const ANNOUNCE_FAILURE_NAMES = { "#af": "announceFailure", "#fpk": "failuresPk", "#fsk": "failuresSk" } as const;

/**
 * The outcome store: every provisioning step's state in one DynamoDB table, changed only by
 * conditional writes so two workers never both own a step and no transition is lost. The record
 * model and the sparse `unfinished` index are described in `types.ts`.
 *
 * Works the same on DynamoDB and dynalite (no transactions, no TTL, no Scan).
 *
 * @example
 * ```ts
 * const store = new OutcomeStore({ tableName: process.env.OUTCOME_TABLE! });
 * await store.registerTenant("t-1", request, "webhook", ["sls-consumer-group", "im-group"]);
 * const claim = await store.claimStep("t-1", "im-group", { owner: ctx.awsRequestId, leaseMs: 60_000 });
 * if (claim.claimed) await store.completeStep(claim.record, { status: "SUCCEEDED", resource: { groupId } });
 * ```
 */
export class OutcomeStore {
  readonly tableName: string;
  readonly shards: number;
  private readonly client: DocumentClient;
  private readonly clock: Clock;

  constructor(options: OutcomeStoreOptions) {
    const shards = options.shards ?? DEFAULT_UNFINISHED_SHARDS;
    parseOrThrow(storeOptionsInput, { tableName: options.tableName, shards }, "OutcomeStore");
    this.tableName = options.tableName;
    this.shards = shards;
    this.client = options.client ?? createDocumentClient();
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Records a tenant and its steps if they are not recorded yet: the tenant item with the request
   * snapshot (generation 1), and one PENDING item per step. Idempotent: an existing item is left
   * exactly as it is (a SUCCEEDED step is never reset). Returns the current records of `steps`,
   * in that order.
   *
   * @example
   * ```ts
   * const steps = await store.registerTenant("t-1", { adminId: "u1" }, "signup-event", [...STEP_NAMES]);
   * ```
   */
  async registerTenant(
    tenantId: string,
    snapshot: JsonObject,
    source: string,
    steps: readonly StepName[],
    options: RegisterOptions = {},
  ): Promise<StepRecord[]> {
    parseOrThrow(registrationInput, { tenantId, snapshot, source, steps }, "registerTenant");
    // Read first: a tenant seen before (a duplicate delivery, a re-drive) costs one Query and no
    // write; only what is missing is written, each with a condition that never overwrites.
    const existing = await this.getTenant(tenantId);
    // The tenant item first: a step item is only ever written once the request it re-drives
    // from is stored, so the backfill never finds a step it cannot run.
    const tenant = existing.tenant ?? (await this.putNewTenant(tenantId, snapshot, source, options));
    return this.addMissingSteps(tenantId, tenant?.generation ?? 1, existing.steps, steps);
  }

  /**
   * Writes a new tenant item (generation 1) unless the tenant exists; returns it, or undefined
   * when another request recorded the tenant first (re-read it). A PRESENT tenant enters the
   * unfinished index (due now) until generation 1 is settled and announced, like any new
   * generation: a run that dies after its last step but before announcing leaves no step there,
   * so the tenant item is what brings the backfill back to announce. A tombstone (ABSENT) has
   * nothing to announce and stays out. With `lease`, the item carries the creation lease
   * (`TenantItem.leaseOwner`): the creating run writes the steps once each and announces without
   * a claim ({@link putStepOutcome}, {@link finishOwnAnnouncement}).
   *
   * @example
   * ```ts
   * const tenant = await store.putNewTenant("t-1", request, "webhook", { desiredAt: request.requestedAt });
   * ```
   */
  async putNewTenant(tenantId: string, snapshot: JsonObject, source: string, options: RegisterOptions = {}): Promise<TenantItem | undefined> {
    parseOrThrow(registrationInput, { tenantId, snapshot, source, lease: options.lease }, "putNewTenant");
    const now = this.nowIso();
    const desired = options.desired ?? "PRESENT";
    const item = {
      ...tenantKey(tenantId),
      tenantId,
      // Stored as a JSON string: opaque, and it round-trips exactly.
      snapshot: JSON.stringify(snapshot),
      source,
      generation: 1,
      desired,
      ...(options.desiredAt ? { desiredAt: options.desiredAt } : {}),
      createdAt: now,
      updatedAt: now,
      ...(desired === "PRESENT"
        ? { unfinishedPk: unfinishedPk(shardOf(tenantId, this.shards)), unfinishedSk: tenantUnfinishedSk(now, tenantId) }
        : {}),
      ...(desired === "PRESENT" && options.lease ? { leaseOwner: options.lease.owner, leaseExpiresAt: options.lease.expiresAt, createdUnderLease: true } : {}),
    };
    return (await this.putIfAbsent(item)) ? parseTenantItem(item) : undefined;
  }

  /**
   * Adds a PENDING item for each of `steps` not in `existing` (a new tenant, or a step added to
   * the registry later), at the tenant's `generation`. Returns the records of `steps`, in order;
   * a lost race re-reads what the winner wrote.
   *
   * @example
   * ```ts
   * const records = await store.addMissingSteps("t-1", 1, [], ["sls-consumer-group", "im-group"]);
   * ```
   */
  async addMissingSteps(tenantId: string, generation: number, existing: readonly StepRecord[], steps: readonly StepName[]): Promise<StepRecord[]> {
    parseOrThrow(tenantStepsInput, { tenantId, steps }, "addMissingSteps");
    const now = this.nowIso();
    const unique = [...new Set(steps)];
    const missing = unique.filter((step) => !existing.some((record) => record.step === step));
    const written = await Promise.all(
      missing.map(async (step) => {
        const item = {
          ...stepKey(tenantId, step),
          tenantId,
          step,
          status: "PENDING",
          attempts: 0,
          resource: {},
          observedGeneration: generation,
          version: 1,
          createdAt: now,
          updatedAt: now,
          nextAttemptAt: now,
          unfinishedPk: unfinishedPk(shardOf(tenantId, this.shards)),
          unfinishedSk: unfinishedSk(now, tenantId, step),
        };
        return (await this.putIfAbsent(item)) ? parseStepItem(item) : undefined;
      }),
    );
    // A concurrent registration won a race: read what it wrote instead of guessing.
    const current = written.every((record) => record !== undefined)
      ? [...existing, ...written.filter((record): record is StepRecord => record !== undefined)]
      : (await this.getTenant(tenantId)).steps;
    return unique.flatMap((step) => current.filter((record) => record.step === step));
  }

  /**
   * Takes a step for `owner` until `leaseMs` from now, if it is PENDING, FAILED_RETRYABLE, or
   * IN_PROGRESS under a lapsed lease (a crashed worker's claim), or if it has no item yet: the
   * claim then creates it (one conditional Update instead of a Put and an Update; two claimers
   * of an absent step still meet on the one item, and only one condition holds). Counts one
   * attempt. A lost race is an answer, not an error: `{ claimed: false, reason }` with the step
   * as it is now.
   *
   * @example
   * ```ts
   * const claim = await store.claimStep("t-1", "sls-consumer-group", { owner: "req-7", leaseMs: 60_000 });
   * if (!claim.claimed) return claim.reason; // "finished" | "leased" | "missing"
   * ```
   */
  async claimStep(tenantId: string, step: StepName, options: ClaimOptions): Promise<ClaimResult> {
    parseOrThrow(claimStepInput, { tenantId, step, owner: options.owner, leaseMs: options.leaseMs, generation: options.generation }, "claimStep");
    const generation = options.generation ?? 1;
    let current: StepRecord | undefined;
    for (let attempt = 0; attempt <= CLAIM_RACE_RETRIES; attempt++) {
      const nowMs = this.clock.now();
      const now = new Date(nowMs).toISOString();
      const leaseExpiresAt = new Date(nowMs + options.leaseMs).toISOString();
      try {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: stepKey(tenantId, step),
            UpdateExpression: CLAIM_UPDATE,
            ConditionExpression: generation > 1 ? CLAIMABLE_AT_LATER_GENERATION : CLAIMABLE_AT_FIRST_GENERATION,
            ExpressionAttributeNames: CLAIM_NAMES,
            ExpressionAttributeValues: {
              ":inProgress": "IN_PROGRESS",
              ":pending": "PENDING",
              ":retryable": "FAILED_RETRYABLE",
              ":succeeded": "SUCCEEDED",
              ":permanent": "FAILED_PERMANENT",
              ":conflict": "CONFLICT",
              ":deleted": "DELETED",
              ":gen": generation,
              ":owner": options.owner,
              ":lease": leaseExpiresAt,
              ":now": now,
              ":one": 1,
              ":zero": 0,
              ":tenantId": tenantId,
              ":step": step,
              ":noResource": {},
              ":pk": stepKey(tenantId, step).pk,
              ":upk": unfinishedPk(shardOf(tenantId, this.shards)),
              ":usk": unfinishedSk(leaseExpiresAt, tenantId, step),
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return { claimed: true, record: parseStepItem(out.Attributes ?? {}) };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      // dynalite does not return the item with a failed condition, so read it (consistently).
      current = await this.readStep(tenantId, step);
      if (!current) return { claimed: false, reason: "missing", record: undefined };
      if (current.observedGeneration > generation) return { claimed: false, reason: "superseded", record: current };
      if (isFinished(current) && current.observedGeneration >= generation) {
        return { claimed: false, reason: "finished", record: current };
      }
      if (current.status === "IN_PROGRESS" && (current.leaseExpiresAt ?? "") > now) {
        return { claimed: false, reason: "leased", record: current };
      }
      // Claimable again already (the winner finished retryably, or its lease lapsed): try again.
    }
    // Still losing after a few rounds: others keep taking it, which is what "leased" means.
    return current
      ? { claimed: false, reason: "leased", record: current }
      : { claimed: false, reason: "missing", record: undefined };
  }

  /**
   * Records how a claimed step ended and releases the claim. Applies only while the claim is
   * still this one (same `leaseOwner` and `version`); otherwise throws {@link LeaseLostError}
   * with the current record and changes nothing. A lapsed lease that nobody took over still
   * completes: the version proves no one else touched the step.
   *
   * @example
   * ```ts
   * await store.completeStep(claim.record, { status: "FAILED_RETRYABLE", error, nextAttemptAt });
   * ```
   */
  async completeStep(claimed: StepRecord, result: StepResult, options: CompleteOptions = {}): Promise<StepRecord> {
    const owner = checkCompletion(claimed, result, "completeStep");
    const { set, remove } = this.completionFields(claimed, result, options, this.nowIso());
    const names: Record<string, string> = { "#leaseOwner": "leaseOwner", "#version": "version", "#status": "status" };
    const values: Record<string, unknown> = { ":owner": owner, ":claimedVersion": claimed.version, ":inProgress": "IN_PROGRESS", ":one": 1 };
    const assignments = ["#version = #version + :one"];
    for (const [i, [attribute, value]] of Object.entries(set).entries()) {
      names[`#s${i}`] = attribute;
      values[`:s${i}`] = value;
      assignments.push(`#s${i} = :s${i}`);
    }
    const removals = ["#leaseOwner"];
    for (const [i, attribute] of ["leaseExpiresAt", ...remove].entries()) {
      names[`#r${i}`] = attribute;
      removals.push(`#r${i}`);
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: stepKey(claimed.tenantId, claimed.step),
          UpdateExpression: `SET ${assignments.join(", ")} REMOVE ${removals.join(", ")}`,
          ConditionExpression: "#leaseOwner = :owner AND #version = :claimedVersion AND #status = :inProgress",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return parseStepItem(out.Attributes ?? {});
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const current = await this.readStep(claimed.tenantId, claimed.step);
    throw new LeaseLostError({ ...claimed, leaseOwner: owner }, current);
  }

  /**
   * Records the first attempt of a step that has no item yet, made under the tenant's creation
   * lease (`TenantItem.leaseOwner`): the item is written once, with its outcome, instead of a
   * claim and a completion. `started` is the attempt as the run began it (IN_PROGRESS, this run's
   * `leaseOwner`, `attempts` 1, the generation), never stored itself. Applies only while the
   * item is absent; if another run created it meanwhile (it claimed the step once the lease
   * lapsed), throws {@link LeaseLostError} with that run's record and changes nothing.
   *
   * @example
   * ```ts
   * await store.putStepOutcome(started, { status: "SUCCEEDED", resource: { groupId } }, { planHash });
   * ```
   */
  async putStepOutcome(started: StepRecord, result: StepResult, options: CompleteOptions = {}): Promise<StepRecord> {
    const owner = checkCompletion(started, result, "putStepOutcome");
    const now = this.nowIso();
    const { set } = this.completionFields(started, result, options, now);
    const item: Record<string, unknown> = {
      ...stepKey(started.tenantId, started.step),
      tenantId: started.tenantId,
      step: started.step,
      attempts: started.attempts,
      firstAttemptAt: started.firstAttemptAt ?? now,
      lastAttemptAt: started.lastAttemptAt ?? now,
      observedGeneration: started.observedGeneration,
      resource: started.resource,
      version: 1,
      createdAt: now,
      ...set,
    };
    if (await this.putIfAbsent(item)) return parseStepItem(item);
    throw new LeaseLostError({ ...started, leaseOwner: owner }, await this.readStep(started.tenantId, started.step));
  }

  /**
   * The attributes a claimed step's completion sets, and those it removes (it leaves the lease
   * to the caller): status, result, error, the failures index while failed, the unfinished index
   * while retryable.
   */
  private completionFields(claimed: StepRecord, result: StepResult, options: CompleteOptions, now: string): { set: Record<string, unknown>; remove: string[] } {
    const set: Record<string, unknown> = { status: result.status, updatedAt: now };
    const remove: string[] = [];
    if (options.planHash !== undefined) set["planHash"] = options.planHash;
    if (result.status !== "SUCCEEDED" && result.status !== "DELETED") set["lastError"] = storedError(result.error);
    if (result.status === "DELETED") set["deletedAt"] = now;
    // Provisioned again after an offboarding: the old removal time no longer describes it.
    else if (claimed.deletedAt !== undefined) remove.push("deletedAt");
    if (result.status === "FAILED_PERMANENT" || result.status === "CONFLICT") {
      // Listed by the sparse failures index until the step runs again (a claim removes it).
      set["failuresPk"] = failuresPk(shardOf(claimed.tenantId, this.shards));
      set["failuresSk"] = failuresSk(now, claimed.tenantId, claimed.step);
    } else {
      remove.push("failuresPk", "failuresSk");
    }
    // The version condition guarantees `claimed.resource` is the stored one.
    if (result.status === "SUCCEEDED" || result.status === "CONFLICT" || result.status === "DELETED") {
      set["resource"] = { ...claimed.resource, ...(result.resource ?? {}) };
    }
    if (result.status === "FAILED_RETRYABLE") {
      const nextAttemptAt = result.nextAttemptAt ?? now;
      set["nextAttemptAt"] = nextAttemptAt;
      set["unfinishedPk"] = unfinishedPk(shardOf(claimed.tenantId, this.shards));
      set["unfinishedSk"] = unfinishedSk(nextAttemptAt, claimed.tenantId, claimed.step);
    } else {
      // Finished: leave the sparse index.
      remove.push("nextAttemptAt", "unfinishedPk", "unfinishedSk");
    }
    return { set, remove };
  }

  /**
   * Records resource ids on a step the caller holds claimed, before a provider effect that makes
   * them the tenant's (e.g. a fallback logstore about to get the consumer group): a later run
   * plans from them instead of choosing again. Applies only while the claim is this one (lease
   * owner, version, IN_PROGRESS), else throws {@link LeaseLostError}; returns the record to
   * complete with (its version moved on).
   *
   * @example
   * ```ts
   * claimed = await store.pinResource(claimed, { logstore: "events-7" });
   * ```
   */
  async pinResource(claimed: StepRecord, resource: Record<string, string>): Promise<StepRecord> {
    parseOrThrow(pinResourceInput, { record: claimed, resource }, "pinResource");
    const owner = claimed.leaseOwner ?? "";
    const item = await this.updateIf({
      Key: stepKey(claimed.tenantId, claimed.step),
      UpdateExpression: "SET #resource = :resource, #version = #version + :one, #updatedAt = :now",
      ConditionExpression: "#leaseOwner = :owner AND #version = :version AND #status = :inProgress",
      ExpressionAttributeNames: { "#resource": "resource", "#version": "version", "#updatedAt": "updatedAt", "#leaseOwner": "leaseOwner", "#status": "status" },
      ExpressionAttributeValues: {
        ":resource": { ...claimed.resource, ...resource },
        ":one": 1,
        ":now": this.nowIso(),
        ":owner": owner,
        ":version": claimed.version,
        ":inProgress": "IN_PROGRESS",
      },
    });
    if (item) return parseStepItem(item);
    throw new LeaseLostError({ ...claimed, leaseOwner: owner }, await this.readStep(claimed.tenantId, claimed.step));
  }

  /**
   * A tenant's item and all its step records, from one strongly consistent Query on `pk`.
   *
   * @example
   * ```ts
   * const { tenant, steps } = await store.getTenant("t-1");
   * ```
   */
  async getTenant(tenantId: string): Promise<TenantOutcomes> {
    parseOrThrow(tenantIdSchema, tenantId, "getTenant", "tenantId");
    let tenant: TenantItem | undefined;
    const steps: StepRecord[] = [];
    for await (const item of queryItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": "pk" },
      ExpressionAttributeValues: { ":pk": tenantPk(tenantId) },
      ConsistentRead: true,
    })) {
      const sk: unknown = item["sk"];
      if (sk === TENANT_SK) tenant = parseTenantItem(item);
      else if (typeof sk === "string" && sk.startsWith(STEP_SK_PREFIX)) steps.push(parseStepItem(item));
    }
    return { tenant, steps };
  }

  /**
   * One page of unfinished steps (PENDING, IN_PROGRESS, FAILED_RETRYABLE) from the sparse index,
   * shard by shard, each shard in due order. With `dueBefore`, only steps due by then (a step
   * IN_PROGRESS is due when its lease lapses). Pass `cursor` back to continue; no Scan. The index is
   * eventually consistent: treat an item as a hint and claim it before acting.
   *
   * @example
   * ```ts
   * let cursor: string | undefined;
   * const dueBefore = new Date().toISOString();
   * do {
   *   const page = await store.listUnfinished({ limit: 50, cursor, dueBefore });
   *   for (const step of page.items) await redrive(step);
   *   cursor = page.cursor;
   * } while (cursor);
   * ```
   */
  async listUnfinished(options: ListUnfinishedOptions): Promise<UnfinishedPage> {
    parseOrThrow(listUnfinishedInput, { limit: options.limit, dueBefore: options.dueBefore }, "listUnfinished");
    const position =
      options.cursor === undefined ? { shard: 0, after: undefined } : decodeCursor(options.cursor, this.shards);
    let shard = position.shard;
    let after: UnfinishedIndexKey | undefined = position.after;
    const items: StepRecord[] = [];
    const tenants: string[] = [];
    const tenantRecords: TenantItem[] = [];
    while (shard < this.shards && items.length + tenants.length < options.limit) {
      const values: Record<string, string> = { ":upk": unfinishedPk(shard) };
      let condition = "#upk = :upk";
      if (options.dueBefore !== undefined) {
        condition += " AND #usk < :bound";
        values[":bound"] = dueBound(options.dueBefore);
      }
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: UNFINISHED_INDEX_NAME,
          KeyConditionExpression: condition,
          ExpressionAttributeNames:
            options.dueBefore === undefined
              ? { "#upk": "unfinishedPk" }
              : { "#upk": "unfinishedPk", "#usk": "unfinishedSk" },
          ExpressionAttributeValues: values,
          Limit: options.limit - items.length - tenants.length,
          ExclusiveStartKey: after,
        }),
      );
      for (const item of out.Items ?? []) {
        if (item["sk"] === TENANT_SK) {
          const tenantId: unknown = item["tenantId"];
          if (typeof tenantId === "string") tenants.push(tenantId);
          // As listed (all attributes are projected): a hint, like the steps. A malformed item is
          // still listed by id, and whoever reads it afresh reports it.
          const record = tenantRecordOrUndefined(item);
          if (record) tenantRecords.push(record);
        } else {
          // A malformed step is listed by its tenant: re-read afresh, that tenant alone fails
          // (the backfill counts it), where a throw here would stop the walk for every tenant.
          const step = stepRecordOrUndefined(item);
          const tenantId: unknown = item["tenantId"];
          if (step) items.push(step);
          else if (typeof tenantId === "string") tenants.push(tenantId);
        }
      }
      after = indexKeyOf(out.LastEvaluatedKey);
      if (!after) shard++;
    }
    return shard < this.shards ? { items, tenants, tenantRecords, cursor: encodeCursor({ shard, after }) } : { items, tenants, tenantRecords };
  }

  /**
   * Moves a tenant to a new generation: a changed spec, a changed desire, or an operator
   * re-drive. Conditional on the generation the caller read (`expectedGeneration`), so two
   * concurrent changes never both apply; returns the new item, or `undefined` when the tenant
   * moved on meanwhile (re-read and decide again). The tenant item enters the unfinished index
   * (due now) until the new generation is settled and announced: should the caller die before
   * its steps are marked stale, the backfill still finds the tenant.
   *
   * @example
   * ```ts
   * const next = await store.changeDesired("t-1", 1, { snapshot, source: "webhook", desired: "PRESENT" });
   * if (!next) return retryFromRead();
   * ```
   */
  async changeDesired(tenantId: string, expectedGeneration: number, change: DesiredChange): Promise<TenantItem | undefined> {
    parseOrThrow(changeDesiredInput, { tenantId, expectedGeneration, redriveSteps: change.redriveSteps }, "changeDesired");
    const now = this.nowIso();
    const set = [
      "#generation = :next",
      "#desired = :desired",
      "#source = :source",
      "#updatedAt = :now",
      "#upk = :upk",
      "#usk = :usk",
    ];
    const remove: string[] = [];
    const names: Record<string, string> = {
      "#pk": "pk",
      "#generation": "generation",
      "#desired": "desired",
      "#source": "source",
      "#updatedAt": "updatedAt",
      "#upk": "unfinishedPk",
      "#usk": "unfinishedSk",
      "#redrive": "redriveSteps",
    };
    const values: Record<string, unknown> = {
      ":next": expectedGeneration + 1,
      ":expected": expectedGeneration,
      ":desired": change.desired,
      ":source": change.source,
      ":now": now,
      ":upk": unfinishedPk(shardOf(tenantId, this.shards)),
      ":usk": tenantUnfinishedSk(now, tenantId),
    };
    if (change.snapshot !== undefined) {
      set.push("#snapshot = :snapshot");
      names["#snapshot"] = "snapshot";
      values[":snapshot"] = JSON.stringify(change.snapshot);
    }
    if (change.desiredAt !== undefined) {
      set.push("#desiredAt = :desiredAt");
      names["#desiredAt"] = "desiredAt";
      values[":desiredAt"] = change.desiredAt;
    }
    if (change.redriveSteps !== undefined) {
      set.push("#redrive = :redrive");
      values[":redrive"] = [...change.redriveSteps];
    } else {
      remove.push("#redrive");
    }
    const conditions = [`attribute_exists(#pk) AND ${generationIs(":expected", expectedGeneration)}`];
    if (change.owe) owe(tenantId, expectedGeneration, change.owe, { set, remove, names, values, conditions });
    if (!change.owe?.announcement) {
      // The owed map is always there after a generation change: a run owing late adds to it.
      set.push("#owed = if_not_exists(#owed, :noOwed)");
      names["#owed"] = "owedAnnouncements";
      values[":noOwed"] = {};
    }
    const item = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
      ConditionExpression: conditions.join(" AND "),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return item ? parseTenantItem(item) : undefined;
  }

  /**
   * Keeps `announcement` (of the generation just before the tenant's current one) owed, for a
   * run that settled that generation but lost its claim because the newer generation was
   * declared before the declaring request saw it settled. True for exactly one caller; false
   * when it is owed or claimed already, the tenant moved further on, or the item holds
   * {@link MAX_OWED_ANNOUNCEMENTS} owed ones.
   *
   * @example
   * ```ts
   * if (await store.oweAnnouncement("t-1", { generation: 2, outcome: "TenantProvisioned", occurredAt, steps })) await claim();
   * ```
   */
  async oweAnnouncement(tenantId: string, announcement: OwedAnnouncement): Promise<boolean> {
    const generation = announcement.generation;
    parseOrThrow(announcementInput, { tenantId, generation }, "oweAnnouncement");
    // The map is there: every generation change leaves one (changeDesired).
    const added = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #owed.#g = :json, #updatedAt = :now",
      ConditionExpression:
        "#generation = :next AND (attribute_not_exists(#announced) OR #announced < :gen) AND attribute_not_exists(#owed.#g) AND size(#owed) < :max",
      ExpressionAttributeNames: { "#generation": "generation", "#announced": "announcedGeneration", "#owed": "owedAnnouncements", "#g": String(generation), "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: { ":next": generation + 1, ":gen": generation, ":now": this.nowIso(), ":json": JSON.stringify(announcement), ":max": MAX_OWED_ANNOUNCEMENTS },
    });
    return added !== undefined;
  }

  /**
   * Puts finished steps observed at an older generation back into the unfinished index (due
   * now), so the backfill finds them even if no caller runs the new generation. A step IN_PROGRESS
   * is already there; a step at `generation` or newer is left alone. Idempotent.
   *
   * @example
   * ```ts
   * await store.markStepsStale("t-1", ["im-group", "sls-consumer-group"], 2);
   * ```
   */
  async markStepsStale(tenantId: string, steps: readonly StepName[], generation: number): Promise<void> {
    parseOrThrow(tenantStepsInput, { tenantId, steps }, "markStepsStale");
    const now = this.nowIso();
    await Promise.all(
      steps.map(async (step) => {
        await this.updateIf({
          Key: stepKey(tenantId, step),
          UpdateExpression: "SET #next = :now, #upk = :upk, #usk = :usk",
          ConditionExpression: "attribute_exists(#pk) AND #status <> :inProgress AND (#og < :gen OR attribute_not_exists(#og))",
          ExpressionAttributeNames: {
            "#pk": "pk",
            "#status": "status",
            "#og": "observedGeneration",
            "#next": "nextAttemptAt",
            "#upk": "unfinishedPk",
            "#usk": "unfinishedSk",
          },
          ExpressionAttributeValues: {
            ":now": now,
            ":inProgress": "IN_PROGRESS",
            ":gen": generation,
            ":upk": unfinishedPk(shardOf(tenantId, this.shards)),
            ":usk": unfinishedSk(now, tenantId, step),
          },
        });
      }),
    );
  }

  /**
   * Moves a finished step to a newer generation without running it: its plan did not change, so
   * its status still holds (a SUCCEEDED group with the same settings; a failure no one asked to
   * re-drive). Conditional on the record being exactly as read (`version`); `undefined` when it
   * moved meanwhile.
   *
   * @example
   * ```ts
   * const moved = await store.fastForwardStep(record, 3);
   * ```
   */
  async fastForwardStep(record: StepRecord, generation: number): Promise<StepRecord | undefined> {
    parseOrThrow(fastForwardInput, { record, generation }, "fastForwardStep");
    const item = await this.updateIf({
      Key: stepKey(record.tenantId, record.step),
      UpdateExpression: "SET #og = :gen, #version = #version + :one, #updatedAt = :now REMOVE #next, #upk, #usk",
      ConditionExpression: "#version = :version AND #status = :status",
      ExpressionAttributeNames: {
        "#og": "observedGeneration",
        "#version": "version",
        "#updatedAt": "updatedAt",
        "#status": "status",
        "#next": "nextAttemptAt",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
      },
      ExpressionAttributeValues: { ":gen": generation, ":one": 1, ":now": this.nowIso(), ":version": record.version, ":status": record.status },
    });
    return item ? parseStepItem(item) : undefined;
  }

  /**
   * Claims the announcement of a tenant's terminal outcome for `generation`: true for exactly one
   * caller per generation, however many run at once. The tenant item stays in the unfinished
   * index, due after `retryAfterMs`, until {@link finishAnnouncement}: if the claimer dies before
   * publishing, the backfill announces again. False while the tenant's creation lease holds (its
   * run announces itself: {@link finishOwnAnnouncement}), unless `leaseOwner` holds it (its
   * publish failed: the lease becomes a claim). Claims go oldest first: the current generation
   * only while nothing older is owed (`TenantItem.owedAnnouncements`); an owed one with
   * `owedCount` only while exactly that many are owed (the caller saw every older one published).
   *
   * @example
   * ```ts
   * if (await store.claimAnnouncement("t-1", 2, "TenantProvisioned", 60_000)) await publish(...);
   * ```
   */
  async claimAnnouncement(
    tenantId: string,
    generation: number,
    outcome: string,
    retryAfterMs: number,
    leaseOwner?: string,
    owedCount?: number,
  ): Promise<boolean> {
    parseOrThrow(claimAnnouncementInput, { tenantId, generation, retryAfterMs }, "claimAnnouncement");
    const nowMs = this.clock.now();
    const due = new Date(nowMs + retryAfterMs).toISOString();
    // The current generation once nothing older is owed, or an owed one (with `owedCount`: only
    // while exactly that many are owed, so an owed generation is never claimed over an older one
    // the caller did not see; 0: the current generation only).
    // One level of grouping, not three: the AND of the first alternative distributed over its ORs
    // (condition-expression.ts says why nesting is avoided).
    const which = `(${anyOf(
      ...allOfEach([generationTerms(":gen", generation), ["attribute_not_exists(#owed)", "size(#owed) = :zero"]]),
      ["attribute_exists(#owed.#g)", ...(owedCount === undefined ? [] : ["size(#owed) = :owedCount"])],
    )})`;
    const claimed = await this.updateIf({
      Key: tenantKey(tenantId),
      // A lapsed creation lease goes with the claim: its run is gone.
      UpdateExpression: "SET #announced = :gen, #outcome = :outcome, #updatedAt = :now, #upk = :upk, #usk = :usk REMOVE #leaseOwner, #leaseExpiresAt",
      // Never while a creation lease holds, except by its owner: its run announces without a claim.
      ConditionExpression: onExistingItem(
        which,
        "(attribute_not_exists(#announced) OR #announced < :gen)",
        `(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now${leaseOwner === undefined ? "" : " OR #leaseOwner = :leaseOwner"})`,
      ),
      ExpressionAttributeNames: {
        "#owed": "owedAnnouncements",
        "#g": String(generation),
        "#pk": "pk",
        "#leaseOwner": "leaseOwner",
        "#leaseExpiresAt": "leaseExpiresAt",
        "#generation": "generation",
        "#announced": "announcedGeneration",
        "#outcome": "announcedOutcome",
        "#updatedAt": "updatedAt",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
      },
      ExpressionAttributeValues: {
        ":pk": tenantPk(tenantId),
        ":gen": generation,
        ":outcome": outcome,
        ":now": new Date(nowMs).toISOString(),
        ":upk": unfinishedPk(shardOf(tenantId, this.shards)),
        ":usk": tenantUnfinishedSk(due, tenantId),
        ":zero": 0,
        ...(leaseOwner === undefined ? {} : { ":leaseOwner": leaseOwner }),
        ...(owedCount === undefined ? {} : { ":owedCount": owedCount }),
      },
    });
    return claimed !== undefined;
  }

  /**
   * Takes over an announcement of `generation` (the current one, or an owed one) whose claimer
   * did not finish it by its retry time (`dueAt`, the tenant item's due time as read): true for
   * exactly one caller, which publishes again; the item is then due `retryAfterMs` later. False
   * when another caller took it over or finished it meanwhile, or it is neither current nor owed.
   *
   * @example
   * ```ts
   * if (await store.reclaimAnnouncement("t-1", 2, tenant.indexDueAt!, 60_000)) await publish(...);
   * ```
   */
  async reclaimAnnouncement(tenantId: string, generation: number, dueAt: string, retryAfterMs: number): Promise<boolean> {
    parseOrThrow(reclaimAnnouncementInput, { tenantId, generation, dueAt, retryAfterMs }, "reclaimAnnouncement");
    const nowMs = this.clock.now();
    const reclaimed = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #updatedAt = :now, #usk = :usk",
      ConditionExpression: `attribute_exists(#pk) AND ${currentOrOwed(generation)} AND #announced = :gen AND #usk = :was`,
      ExpressionAttributeNames: { "#pk": "pk", ...CURRENT_OR_OWED_NAMES(generation), "#announced": "announcedGeneration", "#updatedAt": "updatedAt", "#usk": "unfinishedSk" },
      ExpressionAttributeValues: {
        ":gen": generation,
        ":now": new Date(nowMs).toISOString(),
        ":was": tenantUnfinishedSk(dueAt, tenantId),
        ":usk": tenantUnfinishedSk(new Date(nowMs + retryAfterMs).toISOString(), tenantId),
      },
    });
    return reclaimed !== undefined;
  }

  /**
   * Takes the tenant item out of the unfinished index once `generation`'s outcome is published;
   * an owed generation is owed no more, and the item stays due (now) for what comes after it.
   * A no-op when the tenant moved on and `generation` is not owed (that one was superseded unsettled).
   * `{ owed: true }`: the caller published it as owed (`owedAnnouncements` held it, so the tenant
   * is at a newer generation, and generations only grow): the write for the current generation,
   * which could not apply, is not sent.
   *
   * @example
   * ```ts
   * await store.finishAnnouncement("t-1", 2);
   * ```
   */
  async finishAnnouncement(tenantId: string, generation: number, options: { owed?: boolean } = {}): Promise<boolean> {
    parseOrThrow(announcementInput, { tenantId, generation }, "finishAnnouncement");
    if (options.owed === true) return this.finishOwedAnnouncement(tenantId, generation);
    return (await this.finishCurrentAnnouncement(tenantId, generation)) || (await this.finishOwedAnnouncement(tenantId, generation));
  }

  /** {@link finishAnnouncement} of the tenant's current generation. */
  private async finishCurrentAnnouncement(tenantId: string, generation: number): Promise<boolean> {
    const finished = await this.updateIf({
      Key: tenantKey(tenantId),
      // Published: failed attempts before it (and an older generation's give-up) are history.
      UpdateExpression: "REMOVE #upk, #usk, #af, #fpk, #fsk",
      ConditionExpression: `attribute_exists(#pk) AND ${generationIs(":gen", generation)} AND #announced = :gen`,
      ExpressionAttributeNames: {
        "#pk": "pk",
        "#generation": "generation",
        "#announced": "announcedGeneration",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
        ...ANNOUNCE_FAILURE_NAMES,
      },
      ExpressionAttributeValues: { ":gen": generation },
    });
    return finished !== undefined;
  }

  /**
   * {@link finishAnnouncement} of an owed older generation: it is no longer owed, and the tenant
   * item is due now (the next owed one, or the current generation, is announced next).
   */
  private async finishOwedAnnouncement(tenantId: string, generation: number): Promise<boolean> {
    const now = this.nowIso();
    const finished = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #upk = :upk, #usk = :usk, #updatedAt = :now REMOVE #owed.#g, #af, #fpk, #fsk",
      ConditionExpression: "attribute_exists(#owed.#g) AND #announced = :gen",
      ExpressionAttributeNames: {
        "#owed": "owedAnnouncements",
        "#g": String(generation),
        "#announced": "announcedGeneration",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
        "#updatedAt": "updatedAt",
        ...ANNOUNCE_FAILURE_NAMES,
      },
      ExpressionAttributeValues: { ":gen": generation, ":now": now, ":upk": unfinishedPk(shardOf(tenantId, this.shards)), ":usk": tenantUnfinishedSk(now, tenantId) },
    });
    return finished !== undefined;
  }

  /**
   * Records that the holder of the tenant's creation lease published `generation`'s `outcome`,
   * and ends the lease: one write where another run needs a claim before publishing and a
   * finish after it. While the lease holds no other run may claim the announcement
   * ({@link claimAnnouncement}), so the holder publishes first and records after. False (nothing
   * written) when `owner` no longer holds the lease or the tenant moved to a newer generation
   * (if that one keeps this one owed, the holder claims and finishes it as owed instead).
   *
   * @example
   * ```ts
   * await announcer.announce(event);
   * await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "req-7");
   * ```
   */
  async finishOwnAnnouncement(tenantId: string, generation: number, outcome: string, owner: string): Promise<boolean> {
    parseOrThrow(ownAnnouncementInput, { tenantId, generation, owner }, "finishOwnAnnouncement");
    const finished = await this.updateIf({
      Key: tenantKey(tenantId),
      // As finishAnnouncement: failed attempts before it (and an older generation's give-up) are
      // history. A creating run's tenant has none; a leased one of a later generation may.
      UpdateExpression: "SET #announced = :gen, #outcome = :outcome, #updatedAt = :now REMOVE #leaseOwner, #leaseExpiresAt, #upk, #usk, #af, #fpk, #fsk",
      // "#leaseOwner = :owner AND <generation is :gen> AND (attribute_not_exists(#announced) OR
      // #announced < :gen)", written flat: a third of what dynalite spent parsing the grouped form.
      ConditionExpression: anyOf(...allOfEach([generationTerms(":gen", generation), ["attribute_not_exists(#announced)", "#announced < :gen"], ["#leaseOwner = :owner"]])),
      ExpressionAttributeNames: {
        ...ANNOUNCE_FAILURE_NAMES,
        "#generation": "generation",
        "#announced": "announcedGeneration",
        "#outcome": "announcedOutcome",
        "#updatedAt": "updatedAt",
        "#leaseOwner": "leaseOwner",
        "#leaseExpiresAt": "leaseExpiresAt",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
      },
      ExpressionAttributeValues: { ":gen": generation, ":outcome": outcome, ":now": this.nowIso(), ":owner": owner },
    });
    return finished !== undefined;
  }

  /**
   * Takes a lease on a tenant whose `generation` is not announced yet, for `owner` until
   * `expiresAt`: the same lease a creating run holds (`TenantItem.leaseOwner`), so while it holds
   * no other run claims the announcement ({@link claimAnnouncement}) and the holder publishes and
   * records it in one write ({@link finishOwnAnnouncement}); steps are still claimed one by one.
   * For the backfill, which works from a page that lists the tenant and every step: the tenant
   * item comes back with the write (strongly consistent), in place of a Query and a claim of the
   * announcement. `undefined` (nothing written) when the tenant is at another generation, its
   * announcement is claimed already, an older one is owed, or another run's lease holds.
   *
   * @example
   * ```ts
   * const tenant = await store.leaseTenant("t-1", 2, "req-7/t-1", new Date(Date.now() + 60_000).toISOString());
   * ```
   */
  async leaseTenant(tenantId: string, generation: number, owner: string, expiresAt: string): Promise<TenantItem | undefined> {
    parseOrThrow(tenantLeaseInput, { tenantId, generation, owner, expiresAt }, "leaseTenant");
    const item = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #leaseOwner = :owner, #leaseExpiresAt = :expiresAt",
      // The backfill's costliest condition for dynalite to parse (onExistingItem says why this form).
      ConditionExpression: onExistingItem(
        generationIs(":gen", generation),
        "(attribute_not_exists(#announced) OR #announced < :gen)",
        // Nothing older owed: those go out first, oldest first, and a lease announces only its own.
        "(attribute_not_exists(#owed) OR size(#owed) = :zero)",
        "(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now)",
      ),
      ExpressionAttributeNames: {
        "#pk": "pk",
        "#generation": "generation",
        "#announced": "announcedGeneration",
        "#owed": "owedAnnouncements",
        "#leaseOwner": "leaseOwner",
        "#leaseExpiresAt": "leaseExpiresAt",
      },
      ExpressionAttributeValues: { ":pk": tenantPk(tenantId), ":gen": generation, ":owner": owner, ":expiresAt": expiresAt, ":now": this.nowIso(), ":zero": 0 },
    });
    return item ? parseTenantItem(item) : undefined;
  }

  /**
   * Ends `owner`'s creation lease on the tenant without announcing (its run stops with work left,
   * or its publish failed): other runs may then claim the missing steps and the announcement at
   * once instead of when the lease lapses. False when `owner` does not hold it.
   *
   * @example
   * ```ts
   * await store.releaseCreationLease("t-1", "req-7");
   * ```
   */
  async releaseCreationLease(tenantId: string, owner: string): Promise<boolean> {
    parseOrThrow(leaseOwnerInput, { tenantId, owner }, "releaseCreationLease");
    const released = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "REMOVE #leaseOwner, #leaseExpiresAt",
      ConditionExpression: "#leaseOwner = :owner",
      ExpressionAttributeNames: { "#leaseOwner": "leaseOwner", "#leaseExpiresAt": "leaseExpiresAt" },
      ExpressionAttributeValues: { ":owner": owner },
    });
    return released !== undefined;
  }

  /**
   * Records a failed publish of `generation`'s claimed announcement (current or owed): due again
   * at `failure.retryAt` (out of the failures index, where an older generation's give-up may
   * still be listed), or, without it, given up: the tenant item enters the failures index (its
   * own partition, {@link listFailedAnnouncements}) until {@link redriveAnnouncement} or a newer
   * generation's announcement, and leaves the unfinished index (an owed generation given up is
   * owed no more, and the item stays due for what comes after it). Conditional on the stored attempt count being
   * `failure.attempts - 1` and the announcement still unpublished: false when another caller
   * recorded or published it first. `{ owed: true }`, as for {@link finishAnnouncement}: a give-up
   * sends only the owed generation's write.
   *
   * @example
   * ```ts
   * await store.recordAnnouncementFailure("t-1", 2, { attempts: 1, code: "ThrottlingException", message: "Rate exceeded", retryAt });
   * ```
   */
  async recordAnnouncementFailure(tenantId: string, generation: number, failure: AnnouncementFailureInput, options: { owed?: boolean } = {}): Promise<boolean> {
    parseOrThrow(announcementFailureInput, { tenantId, generation, failure }, "recordAnnouncementFailure");
    const now = this.nowIso();
    const gaveUp = failure.retryAt === undefined;
    const stored: AnnouncementFailure = {
      generation,
      attempts: failure.attempts,
      code: failure.code.slice(0, 200),
      message: failure.message.slice(0, MAX_ANNOUNCE_MESSAGE_CHARS),
      failedAt: now,
      gaveUp,
      ...(failure.retryAt === undefined ? {} : { nextAttemptAt: failure.retryAt }),
    };
    const shard = shardOf(tenantId, this.shards);
    const given = announceFailuresKey(shard, now, tenantId);
    // The count as read: of two runs failing the same attempt, one records it.
    const counted = `#announced = :gen AND attribute_exists(#usk) AND ${
      failure.attempts === 1 ? "(attribute_not_exists(#af) OR #af.#afGen <> :gen)" : "#af.#afGen = :gen AND #af.#afAttempts = :before"
    }`;
    const names = {
      "#pk": "pk",
      "#announced": "announcedGeneration",
      "#updatedAt": "updatedAt",
      "#usk": "unfinishedSk",
      "#afGen": "generation",
      ...(failure.attempts === 1 ? {} : { "#afAttempts": "attempts" }),
      ...ANNOUNCE_FAILURE_NAMES,
    };
    const values = { ":gen": generation, ":af": stored, ":now": now, ...(failure.attempts === 1 ? {} : { ":before": failure.attempts - 1 }) };
    if (!gaveUp) {
      // Retried: an older generation's give-up (its listing in the failures index) is history.
      const item = await this.updateIf({
        Key: tenantKey(tenantId),
        UpdateExpression: "SET #af = :af, #updatedAt = :now, #usk = :usk REMOVE #fpk, #fsk",
        ConditionExpression: `attribute_exists(#pk) AND ${currentOrOwed(generation)} AND ${counted}`,
        ExpressionAttributeNames: { ...names, ...CURRENT_OR_OWED_NAMES(generation) },
        ExpressionAttributeValues: { ...values, ":usk": tenantUnfinishedSk(failure.retryAt ?? now, tenantId) },
      });
      return item !== undefined;
    }
    const givenUp = { ":fpk": given.failuresPk, ":fsk": given.failuresSk };
    const current = options.owed === true ? undefined : await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #af = :af, #updatedAt = :now, #fpk = :fpk, #fsk = :fsk REMOVE #upk, #usk",
      ConditionExpression: `attribute_exists(#pk) AND ${generationIs(":gen", generation)} AND ${counted}`,
      ExpressionAttributeNames: { ...names, "#generation": "generation", "#upk": "unfinishedPk" },
      ExpressionAttributeValues: { ...values, ...givenUp },
    });
    if (current !== undefined) return true;
    // An owed generation given up is owed no more; the tenant stays due for what comes after it.
    const owed = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #af = :af, #updatedAt = :now, #fpk = :fpk, #fsk = :fsk, #usk = :usk REMOVE #owed.#g",
      ConditionExpression: `attribute_exists(#pk) AND attribute_exists(#owed.#g) AND ${counted}`,
      ExpressionAttributeNames: { ...names, "#owed": "owedAnnouncements", "#g": String(generation) },
      ExpressionAttributeValues: { ...values, ...givenUp, ":usk": tenantUnfinishedSk(now, tenantId) },
    });
    return owed !== undefined;
  }

  /**
   * An operator re-drive of an announcement given up at the tenant's current `generation`: the
   * failure is forgotten and the tenant item is due in the unfinished index now, so the next
   * reconcile of the tenant (the caller's, or the backfill's) publishes the identical event.
   * Returns the tenant item, or undefined when nothing was given up at that generation.
   *
   * @example
   * ```ts
   * const tenant = await store.redriveAnnouncement("t-1", 2);
   * ```
   */
  async redriveAnnouncement(tenantId: string, generation: number): Promise<TenantItem | undefined> {
    parseOrThrow(announcementInput, { tenantId, generation }, "redriveAnnouncement");
    const now = this.nowIso();
    const item = await this.updateIf({
      Key: tenantKey(tenantId),
      UpdateExpression: "SET #upk = :upk, #usk = :usk, #updatedAt = :now REMOVE #af, #fpk, #fsk",
      ConditionExpression: `attribute_exists(#pk) AND ${generationIs(":gen", generation)} AND #announced = :gen AND #af.#afGen = :gen AND #af.#gaveUp = :true`,
      ExpressionAttributeNames: {
        "#pk": "pk",
        "#generation": "generation",
        "#announced": "announcedGeneration",
        "#updatedAt": "updatedAt",
        "#upk": "unfinishedPk",
        "#usk": "unfinishedSk",
        "#afGen": "generation",
        "#gaveUp": "gaveUp",
        ...ANNOUNCE_FAILURE_NAMES,
      },
      ExpressionAttributeValues: {
        ":gen": generation,
        ":true": true,
        ":now": now,
        ":upk": unfinishedPk(shardOf(tenantId, this.shards)),
        ":usk": tenantUnfinishedSk(now, tenantId),
      },
    });
    return item ? parseTenantItem(item) : undefined;
  }

  /**
   * Tenants whose outcome announcement was given up (from the failures index, their own
   * partition; no Scan), oldest first per shard, at most `limit`.
   *
   * @example
   * ```ts
   * for (const t of await store.listFailedAnnouncements({ limit: 100 })) console.log(t.tenantId, t.announceFailure?.code);
   * ```
   */
  async listFailedAnnouncements(options: { limit: number }): Promise<TenantItem[]> {
    parseOrThrow(listInput, { limit: options.limit }, "listFailedAnnouncements");
    return this.queryFailuresIndex(announceFailuresPk, parseTenantItem, options.limit);
  }

  /**
   * Finished failures (FAILED_PERMANENT, CONFLICT) from the sparse failures index, oldest first
   * per shard, at most `limit`. No Scan: the index holds only failed steps.
   *
   * @example
   * ```ts
   * for (const f of await store.listFailures({ limit: 100 })) console.log(f.tenantId, f.lastError?.code);
   * ```
   */
  async listFailures(options: { limit: number }): Promise<StepRecord[]> {
    parseOrThrow(listInput, { limit: options.limit }, "listFailures");
    return this.queryFailuresIndex(failuresPk, parseStepItem, options.limit);
  }

  /** Up to `limit` items of one kind from the failures index (`partition` per shard), shard by shard. */
  private async queryFailuresIndex<T>(partition: (shard: number) => string, parse: (item: Record<string, unknown>) => T, limit: number): Promise<T[]> {
    const items: T[] = [];
    for (let shard = 0; shard < this.shards && items.length < limit; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: FAILURES_INDEX_NAME,
            KeyConditionExpression: "#fpk = :fpk",
            ExpressionAttributeNames: { "#fpk": "failuresPk" },
            ExpressionAttributeValues: { ":fpk": partition(shard) },
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of out.Items ?? []) items.push(parse(item));
        startKey = items.length < limit ? out.LastEvaluatedKey : undefined;
      } while (startKey);
    }
    return items;
  }

  /**
   * An Update whose condition may fail: the new item (ALL_NEW), or undefined when the condition
   * did not hold (someone else changed the item first: an answer, not an error).
   */
  private async updateIf(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName" | "ReturnValues">): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.client.send(new UpdateCommand({ ...input, TableName: this.tableName, ReturnValues: "ALL_NEW" }));
      return out.Attributes ?? {};
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return undefined;
    }
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Puts `item` unless its key exists; true when this call wrote it. */
  private async putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": "pk" },
        }),
      );
      return true;
    } catch (error) {
      // Already there: registration never resets what exists.
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  private async readStep(tenantId: string, step: StepName): Promise<StepRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: stepKey(tenantId, step), ConsistentRead: true }),
    );
    return out.Item ? parseStepItem(out.Item) : undefined;
  }
}

/** The parts of a {@link OutcomeStore.changeDesired} write, added to by {@link owe}. */
interface UpdateParts {
  set: string[];
  remove: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
  conditions: string[];
}

/**
 * Makes a generation change keep the settled, unpublished announcement of the generation it
 * supersedes (`change.owe`), conditional on the announcement state being as the caller read
 * it: claimed or published meanwhile, the caller decides again. An announcement claimed and
 * not yet published keeps its due time (its claimer may still publish it: the backfill takes it
 * over only once overdue); at {@link MAX_OWED_ANNOUNCEMENTS} the oldest owed one is dropped.
 */
function owe(tenantId: string, expectedGeneration: number, change: NonNullable<DesiredChange["owe"]>, parts: UpdateParts): void {
  const { announcement, asRead } = change;
  if ((announcement !== undefined && announcement.generation !== expectedGeneration) || asRead.generation !== expectedGeneration) {
    throw new ValidationError([{ field: "owe.announcement.generation", rule: `must be the expected generation ${expectedGeneration}` }]);
  }
  const { set, remove, names, values, conditions } = parts;
  names["#announced"] = "announcedGeneration";
  if (asRead.announcedGeneration === undefined) conditions.push("attribute_not_exists(#announced)");
  else {
    conditions.push("#announced = :readAnnounced");
    values[":readAnnounced"] = asRead.announcedGeneration;
  }
  if (asRead.indexDueAt === undefined) conditions.push("attribute_not_exists(#usk)");
  else {
    conditions.push("#usk = :readUsk");
    values[":readUsk"] = tenantUnfinishedSk(asRead.indexDueAt, tenantId);
    // Claimed, not yet published (this generation's, or the oldest owed one's): due when its
    // claim is (the set keeps the due time), or another run would take it over at once.
    if (isBeingPublished(asRead)) values[":usk"] = values[":readUsk"];
  }
  if (announcement === undefined) return;
  names["#owed"] = "owedAnnouncements";
  const json = JSON.stringify(announcement);
  const owed = asRead.owedAnnouncements;
  if (owed === undefined) {
    conditions.push("attribute_not_exists(#owed)");
    set.push("#owed = :owedMap");
    values[":owedMap"] = { [String(expectedGeneration)]: json };
    return;
  }
  conditions.push("size(#owed) = :owedCount");
  values[":owedCount"] = owed.length;
  set.push("#owed.#owedGen = :owedJson");
  names["#owedGen"] = String(expectedGeneration);
  values[":owedJson"] = json;
  const oldest = owed[0];
  if (owed.length >= MAX_OWED_ANNOUNCEMENTS && oldest) {
    remove.push("#owed.#dropGen");
    names["#dropGen"] = String(oldest.generation);
  }
}

/** Checks a completion's input (a claimed record and a result); returns the lease owner. */
function checkCompletion(claimed: StepRecord, result: StepResult, operation: string): string {
  parseOrThrow(completionInput, { record: claimed, result }, operation);
  return claimed.leaseOwner ?? "";
}

/**
 * When a step is claimable: absent (created by the claim), unfinished, a crashed worker's lapsed
 * lease, or finished at an older generation; never a step some worker already took to a newer
 * generation. That is
 *   attribute_not_exists(#pk) OR ((attribute_not_exists(#og) OR #og <= :gen) AND
 *   (#status IN (:pending, :retryable) OR (#status = :inProgress AND #leaseExpiresAt <= :now) OR
 *   (#status IN (<finished>) AND older)))
 * written flat (condition-expression.ts says why). A finished step's `older` (#og < :gen) already
 * implies #og <= :gen; a record without observedGeneration is about generation 1 (written before
 * generations), so for a later generation it counts as older too. The absent item is
 * {@link NO_ITEM} and comes last, and each alternative ends in a comparison: dynalite's parser
 * reads an OR's last alternative and an AND's last term twice (two thirds of the parsing before).
 */
function claimableCondition(laterGeneration: boolean): string {
  const notNewer = ["attribute_not_exists(#og)", "#og <= :gen"];
  return anyOf(
    ...allOfEach([notNewer, ["#status IN (:pending, :retryable)"]]),
    ...allOfEach([notNewer, ["#leaseExpiresAt <= :now"], ["#status = :inProgress"]]),
    ...allOfEach([laterGeneration ? ["attribute_not_exists(#og)", "#og < :gen"] : ["#og < :gen"], ["#status IN (:succeeded, :permanent, :conflict, :deleted)"]]),
    [NO_ITEM],
  );
}
const CLAIMABLE_AT_FIRST_GENERATION = claimableCondition(false);
const CLAIMABLE_AT_LATER_GENERATION = claimableCondition(true);

/** What a claim writes; the same on every claim, so built once. */
const CLAIM_UPDATE =
  "SET #status = :inProgress, #leaseOwner = :owner, #leaseExpiresAt = :lease, " +
  "#attempts = if_not_exists(#attempts, :zero) + :one, #firstAttemptAt = if_not_exists(#firstAttemptAt, :now), " +
  "#lastAttemptAt = :now, #nextAttemptAt = :lease, #version = if_not_exists(#version, :zero) + :one, " +
  "#updatedAt = :now, #unfinishedPk = :upk, #unfinishedSk = :usk, #og = :gen, " +
  // What a new item needs besides the claim; an existing item keeps its own.
  "#tenantId = :tenantId, #step = :step, #resource = if_not_exists(#resource, :noResource), " +
  "#createdAt = if_not_exists(#createdAt, :now) " +
  "REMOVE #failuresPk, #failuresSk";
/** The attribute names {@link CLAIM_UPDATE} and the claimable condition use. */
const CLAIM_NAMES = {
  "#pk": "pk",
  "#tenantId": "tenantId",
  "#step": "step",
  "#resource": "resource",
  "#createdAt": "createdAt",
  "#status": "status",
  "#leaseOwner": "leaseOwner",
  "#leaseExpiresAt": "leaseExpiresAt",
  "#attempts": "attempts",
  "#firstAttemptAt": "firstAttemptAt",
  "#lastAttemptAt": "lastAttemptAt",
  "#nextAttemptAt": "nextAttemptAt",
  "#version": "version",
  "#updatedAt": "updatedAt",
  "#unfinishedPk": "unfinishedPk",
  "#unfinishedSk": "unfinishedSk",
  "#og": "observedGeneration",
  "#failuresPk": "failuresPk",
  "#failuresSk": "failuresSk",
} as const;

/**
 * The condition "`generation` is the tenant item's current one, or an owed older one" (names
 * from {@link CURRENT_OR_OWED_NAMES}, the generation as `:gen`).
 */
function currentOrOwed(generation: number): string {
  return `(${[...generationTerms(":gen", generation), "attribute_exists(#owed.#g)"].join(" OR ")})`;
}
/** The attribute names {@link currentOrOwed} uses. */
const CURRENT_OR_OWED_NAMES = (generation: number) => ({ "#generation": "generation", "#owed": "owedAnnouncements", "#g": String(generation) });

/** A step item as an index lists it, or undefined when it does not parse (reported by whoever reads it afresh). */
function stepRecordOrUndefined(item: Record<string, unknown>): StepRecord | undefined {
  try {
    return parseStepItem(item);
  } catch (error) {
    if (error instanceof MalformedOutcomeItemError) return undefined;
    throw error;
  }
}

/** A tenant item as an index lists it, or undefined when it does not parse (reported by whoever reads it afresh). */
function tenantRecordOrUndefined(item: Record<string, unknown>): TenantItem | undefined {
  try {
    return parseTenantItem(item);
  } catch (error) {
    if (error instanceof MalformedOutcomeItemError) return undefined;
    throw error;
  }
}

/**
 * The condition "the tenant item is at `generation`" (`#generation` named by the caller); an
 * item written before generations existed has none and is at generation 1.
 */
function generationIs(placeholder: string, generation: number): string {
  const terms = generationTerms(placeholder, generation);
  return terms.length === 1 ? terms[0] : `(${terms.join(" OR ")})`;
}

/** The alternatives of {@link generationIs}, for conditions written without nesting. */
function generationTerms(placeholder: string, generation: number): [string, ...string[]] {
  return generation === 1 ? [`#generation = ${placeholder}`, "attribute_not_exists(#generation)"] : [`#generation = ${placeholder}`];
}

function isFinished(record: StepRecord): boolean {
  return isFinishedStatus(record.status);
}

/** The error as stored: only the typed fields, message bounded, no undefined attributes. */
function storedError(error: StepError): StepError {
  const stored: StepError = {
    provider: error.provider,
    code: error.code,
    message: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS),
    httpStatus: error.httpStatus,
    errorClass: error.errorClass,
  };
  if (typeof error.requestId === "string") stored.requestId = error.requestId;
  return stored;
}

/** Narrows a Query's `LastEvaluatedKey` on the unfinished index to its four string attributes. */
function indexKeyOf(key: Record<string, unknown> | undefined): UnfinishedIndexKey | undefined {
  if (!key) return undefined;
  const { pk, sk, unfinishedPk: upk, unfinishedSk: usk } = key;
  if (typeof pk !== "string" || typeof sk !== "string" || typeof upk !== "string" || typeof usk !== "string") {
    throw new Error("unfinished index returned a LastEvaluatedKey without its four string keys");
  }
  return { pk, sk, unfinishedPk: upk, unfinishedSk: usk };
}
