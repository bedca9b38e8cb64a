/**
 * The logstore registry: the SLS logstores tenants' consumer groups go in, kept in the outcome
 * table (one item per logstore under one partition key) instead of an environment variable.
 *
 * Each item counts its slots (`assigned`, against `capacity`) and keeps the ledger of the tenants
 * holding one (`tenants`, a string set). Taking a slot is one conditional UpdateItem that adds
 * the tenant to both at once (count below capacity, not known full, tenant not in it yet), so
 * the count can never pass the capacity however many processes assign at once, and the ledger
 * says where a tenant's slot is even when its step record does not yet (a run that died between
 * the assignment and its record).
 */
import * as z from "zod/mini";
import { GetCommand, PutCommand, UpdateCommand, type DocumentClient, type UpdateCommandInput } from "../aws/dynamodb/index.ts";
import { isConditionalCheckFailed } from "../aws/conditional-check.ts";
import { queryItems } from "../aws/query-items.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { allOfEach, anyOf, ITEM_EXISTS } from "../outcomes/condition-expression.ts";
import { MalformedOutcomeItemError } from "../outcomes/errors.ts";
import { LOGSTORE_PK, logstoreKey } from "../outcomes/table-map.ts";
import { MAX_CONSUMER_GROUPS_PER_LOGSTORE } from "../providers/sls/constants.ts";
import { slsLogstoreNameSchema } from "../providers/sls/names.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { LogstoresExhaustedError } from "./errors.ts";
import type { LogstoreEntry, LogstoreRegistryOptions, LogstoreToAdd, TakeOutcome } from "./types.ts";

/** How long a process reuses the list it read. */
const DEFAULT_CACHE_MS = 10_000;
/**
 * Largest capacity accepted (SLS's limit is 30; a raised quota is the operator's to set). The
 * logstore's item keeps the ledger of its tenants (a string set): at 1,000 ids of up to 36
 * characters it stays near 40 KB, far under DynamoDB's 400 KB item limit, which 10,000 would
 * have reached (test/integration/logstores/registry.test.ts).
 */
export const MAX_LOGSTORE_CAPACITY = 1_000;

/** When a take applies: the logstore is registered, not known full, has room, and the tenant is not on it yet. */
const TAKE_CONDITION = anyOf(
  ...allOfEach([["attribute_not_exists(#full)", "#full = :false"], ["NOT contains(#tenants, :tenantId)"], ["#assigned < #capacity"], [ITEM_EXISTS]]),
);

const CAPACITY_RULE = `an integer 1-${MAX_LOGSTORE_CAPACITY}`;
const EXISTING_GROUPS_RULE = "an integer, at least the number of tenants";

/** What `add` accepts: SLS's logstore name rule, a capacity SLS can hold, counts that add up. */
// Built on first use (z.lazy): only `logstores add` (the CLI) checks it, never a handler.
const logstoresToAddSchema = z.lazy(() =>
  z.array(
    z
      .object({
        name: slsLogstoreNameSchema,
        capacity: z.optional(
          z.number().check(z.int({ message: CAPACITY_RULE }), z.gte(1, { message: CAPACITY_RULE }), z.lte(MAX_LOGSTORE_CAPACITY, { message: CAPACITY_RULE })),
        ),
        tenants: z.optional(z.array(z.string())),
        existingGroups: z.optional(z.number().check(z.int({ message: EXISTING_GROUPS_RULE }))),
      })
      .check(
        z.refine((l) => l.existingGroups === undefined || l.existingGroups >= (l.tenants?.length ?? 0), {
          message: EXISTING_GROUPS_RULE,
          path: ["existingGroups"],
        }),
      ),
  ),
);

/**
 * The registry of logstores and their slots.
 *
 * @example
 * ```ts
 * const registry = new LogstoreRegistry({ client: documentClient, tableName: "outcomes" });
 * await registry.add([{ name: "tenant-events-0" }]);
 * const logstore = await registry.assign("acme-1"); // "tenant-events-0"
 * ```
 */
export class LogstoreRegistry {
  readonly #client: DocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #random: () => number;
  readonly #seed: LogstoreRegistryOptions["seed"];
  #cache: { readAt: number; entries: Map<string, LogstoreEntry> } | undefined;
  #seeding: Promise<void> | undefined;

  constructor(options: LogstoreRegistryOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#clock = options.clock ?? systemClock;
    this.#cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.#random = options.random ?? Math.random;
    this.#seed = options.seed;
  }

  /**
   * Every registered logstore, by name. Served from this process's copy while it is younger than
   * the cache age, unless `fresh`; an empty registry is seeded once (see the `seed` option).
   *
   * @example
   * ```ts
   * for (const l of await registry.list({ fresh: true })) console.log(l.name, l.assigned, l.capacity);
   * ```
   */
  async list(options: { fresh?: boolean } = {}): Promise<LogstoreEntry[]> {
    const now = this.#clock.now();
    if (!options.fresh && this.#cache && now - this.#cache.readAt < this.#cacheMs) return [...this.#cache.entries.values()];
    let entries = await this.#read();
    if (entries.length === 0 && this.#seed) {
      const seed = this.#seed;
      this.#seeding ??= seed().then(async (logstores) => void (await this.add(logstores)));
      try {
        await this.#seeding;
      } finally {
        this.#seeding = undefined;
      }
      entries = await this.#read();
    }
    this.#cache = { readAt: now, entries: new Map(entries.map((e) => [e.name, e])) };
    return entries;
  }

  /**
   * Registers logstores that are not registered yet (an existing one is left exactly as it is).
   * Returns which were added and which existed.
   *
   * @example
   * ```ts
   * await registry.add([{ name: "tenant-events-8", capacity: 30 }]); // { added: ["tenant-events-8"], existing: [] }
   * ```
   */
  async add(logstores: readonly LogstoreToAdd[]): Promise<{ added: string[]; existing: string[] }> {
    parseOrThrow(logstoresToAddSchema, logstores, "logstores add", "logstores");
    const now = this.#nowIso();
    const added: string[] = [];
    const existing: string[] = [];
    await Promise.all(
      logstores.map(async (l) => {
        const tenants = [...new Set(l.tenants ?? [])];
        try {
          await this.#client.send(
            new PutCommand({
              TableName: this.#tableName,
              Item: {
                ...logstoreKey(l.name),
                name: l.name,
                capacity: l.capacity ?? MAX_CONSUMER_GROUPS_PER_LOGSTORE,
                assigned: l.existingGroups ?? tenants.length,
                // DynamoDB holds no empty set: absent until a tenant takes a slot.
                ...(tenants.length > 0 ? { tenants: new Set(tenants) } : {}),
                createdAt: now,
                updatedAt: now,
              },
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: { "#pk": "pk" },
            }),
          );
          added.push(l.name);
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          existing.push(l.name);
        }
      }),
    );
    this.#cache = undefined;
    return { added, existing };
  }

  /**
   * Gives `tenantId` a slot in a logstore with room and returns its name: `prefer` first when
   * given, then one picked at random among those this process believes have room (so processes
   * assigning at once spread over the items instead of fighting over one). A logstore found full
   * is skipped for the rest of the call; the list is read afresh once before giving up. Throws
   * {@link LogstoresExhaustedError} when no logstore has room (the tenant then holds no slot).
   *
   * @example
   * ```ts
   * const logstore = await registry.assign("acme-1", { exclude: ["tenant-events-0"] });
   * ```
   */
  async assign(tenantId: string, options: { prefer?: string | undefined; exclude?: Iterable<string> } = {}): Promise<string> {
    const tried = new Set(options.exclude ?? []);
    if (options.prefer !== undefined && !tried.has(options.prefer)) {
      tried.add(options.prefer);
      if ((await this.take(options.prefer, tenantId)) !== "no-room") return options.prefer;
    }
    let registered = 0;
    for (const fresh of [false, true]) {
      const entries = await this.list({ fresh });
      registered = entries.length;
      for (;;) {
        const open = entries.filter((e) => !tried.has(e.name) && !e.full && e.assigned < e.capacity);
        const pick = open[Math.floor(this.#random() * open.length)];
        if (pick === undefined) break;
        tried.add(pick.name);
        if ((await this.take(pick.name, tenantId)) !== "no-room") return pick.name;
      }
    }
    throw new LogstoresExhaustedError(registered);
  }

  /**
   * Takes a slot in `logstore` for `tenantId`: `taken` (counted now), `held` (the tenant had it
   * already: nothing changes), or `no-room` (full by count or known full, or not registered).
   *
   * @example
   * ```ts
   * if ((await registry.take("tenant-events-3", "acme-1")) === "no-room") fallOver();
   * ```
   */
  async take(logstore: string, tenantId: string): Promise<TakeOutcome> {
    const now = this.#nowIso();
    // Nothing returned: the item carries its ledger (up to 1,000 tenant ids, ~40 KB), which an
    // ALL_NEW answer sent back on every take, to be parsed for the one count the cache keeps.
    const taken = await this.#updateIf(logstore, {
      UpdateExpression: "SET #updatedAt = :now ADD #assigned :one, #tenants :tenant",
      // attribute_exists(#pk) AND #assigned < #capacity AND (attribute_not_exists(#full) OR #full = :false)
      // AND NOT contains(#tenants, :tenantId), written flat (src/outcomes/condition-expression.ts):
      // less than half what dynalite spent parsing the grouped form, once per tenant placed.
      ConditionExpression: TAKE_CONDITION,
      ExpressionAttributeNames: { "#pk": "pk", "#assigned": "assigned", "#capacity": "capacity", "#full": "full", "#tenants": "tenants", "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: { ":pk": LOGSTORE_PK, ":now": now, ":one": 1, ":tenant": new Set([tenantId]), ":tenantId": tenantId, ":false": false },
    }, { assigned: 1, updatedAt: now });
    if (taken) return "taken";
    // Full, or ours already (e.g. the SDK retried an UpdateItem that had applied): read which.
    const item = (await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: logstoreKey(logstore), ConsistentRead: true }))).Item;
    if (item === undefined) return "no-room";
    this.#remember(entryOf(item));
    return tenantsOf(item).has(tenantId) ? "held" : "no-room";
  }

  /**
   * Gives back `tenantId`'s slot in `logstore` (after its consumer group was deleted, or before a
   * move when SLS refused the create). Idempotent: false when the tenant held no slot there. A
   * freed slot clears the known-full mark (SLS has room again), unless `full` says SLS just
   * refused a create there: then the same write marks it full.
   *
   * @example
   * ```ts
   * await registry.release("tenant-events-3", "acme-1");
   * await registry.release("tenant-events-4", "acme-2", { full: true }); // ConsumerGroupQuotaExceed
   * ```
   */
  async release(logstore: string, tenantId: string, options: { full?: boolean } = {}): Promise<boolean> {
    const released = await this.#updateIf(logstore, {
      UpdateExpression: `SET #updatedAt = :now${options.full ? ", #full = :true" : ""} ADD #assigned :minusOne DELETE #tenants :tenant${options.full ? "" : " REMOVE #full"}`,
      ConditionExpression: "contains(#tenants, :tenantId)",
      ExpressionAttributeNames: { "#assigned": "assigned", "#full": "full", "#tenants": "tenants", "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: { ":now": this.#nowIso(), ":minusOne": -1, ":tenant": new Set([tenantId]), ":tenantId": tenantId, ...(options.full ? { ":true": true } : {}) },
    });
    if (!released && options.full) await this.markFull(logstore);
    return released;
  }

  /**
   * Marks `logstore` full: SLS refused a create there (ConsumerGroupQuotaExceed) although its
   * count had room, e.g. consumer groups made by hand. No assignment goes there until a slot in
   * it is released.
   *
   * @example
   * ```ts
   * await registry.markFull("tenant-events-3");
   * ```
   */
  async markFull(logstore: string): Promise<void> {
    // False when not registered (a logstore recorded before the registry): nothing to mark.
    await this.#updateIf(logstore, {
      UpdateExpression: "SET #full = :true, #updatedAt = :now",
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#pk": "pk", "#full": "full", "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: { ":true": true, ":now": this.#nowIso() },
    });
  }

  /**
   * The logstore in which `tenantId` holds a slot, read afresh (strongly consistent), or
   * undefined. For a step that may have been assigned by an earlier run that left no record.
   *
   * @example
   * ```ts
   * const logstore = await registry.holderOf("acme-1");
   * ```
   */
  async holderOf(tenantId: string): Promise<string | undefined> {
    for await (const item of this.#items({
      FilterExpression: "contains(#tenants, :tenantId)",
      ProjectionExpression: "#name",
      ExpressionAttributeNames: { "#tenants": "tenants", "#name": "name" },
      ExpressionAttributeValues: { ":tenantId": tenantId },
    })) {
      const name: unknown = item["name"];
      if (typeof name === "string") return name;
    }
    return undefined;
  }

  async #read(): Promise<LogstoreEntry[]> {
    const entries: LogstoreEntry[] = [];
    for await (const item of this.#items({ ProjectionExpression: LIST_PROJECTION, ExpressionAttributeNames: LIST_NAMES })) entries.push(entryOf(item));
    return entries;
  }

  /** Every registry item (strongly consistent, page by page), with the query's extra parts. */
  #items(extra: { FilterExpression?: string; ProjectionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) {
    return queryItems(this.#client, {
      ...extra,
      TableName: this.#tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { ...extra.ExpressionAttributeNames, "#pk": "pk" },
      ExpressionAttributeValues: { ...extra.ExpressionAttributeValues, ":pk": LOGSTORE_PK },
      ConsistentRead: true,
    });
  }

  /**
   * An Update of `logstore`'s item whose condition may fail: true when it applied (the cached
   * copy then takes what it wrote: the item as returned or, given `counted`, with nothing
   * returned, the cached entry moved by it), false when the condition did not hold.
   */
  async #updateIf(logstore: string, input: UpdateInput, counted?: { assigned: number; updatedAt: string }): Promise<boolean> {
    try {
      const out = await this.#client.send(new UpdateCommand({ ...input, TableName: this.#tableName, Key: logstoreKey(logstore), ReturnValues: counted ? "NONE" : "ALL_NEW" }));
      if (!counted) this.#remember(entryOf(out.Attributes ?? {}));
      else {
        // Others take slots too: the count stays a lower bound until the next read or refusal.
        const cached = this.#cache?.entries.get(logstore);
        if (cached) this.#remember({ ...cached, assigned: cached.assigned + counted.assigned, updatedAt: counted.updatedAt });
      }
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  /** Keeps the cached copy current with what a write returned. */
  #remember(entry: LogstoreEntry): void {
    this.#cache?.entries.set(entry.name, entry);
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

/** The parts of an Update the registry's writes choose. */
type UpdateInput = Pick<UpdateCommandInput, "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues">;

/** What a list reads of each item; the ledgers stay behind: a list is names and counts. */
const LIST_NAMES = { "#name": "name", "#capacity": "capacity", "#assigned": "assigned", "#full": "full", "#createdAt": "createdAt", "#updatedAt": "updatedAt" };
const LIST_PROJECTION = Object.keys(LIST_NAMES).join(", ");

/** A registry item as listed; a {@link MalformedOutcomeItemError} naming what is missing, never a value. */
function entryOf(item: Record<string, unknown>): LogstoreEntry {
  const { name, capacity, assigned, full, createdAt, updatedAt } = item;
  if (typeof name !== "string" || typeof capacity !== "number" || typeof assigned !== "number") {
    const problems = [
      ...(typeof name === "string" ? [] : ["name: must be a string"]),
      ...(typeof capacity === "number" ? [] : ["capacity: must be a number"]),
      ...(typeof assigned === "number" ? [] : ["assigned: must be a number"]),
    ];
    throw new MalformedOutcomeItemError(LOGSTORE_PK, typeof name === "string" ? logstoreKey(name).sk : "(no name)", problems);
  }
  return { name, capacity, assigned, full: full === true, createdAt: String(createdAt ?? ""), updatedAt: String(updatedAt ?? "") };
}

function tenantsOf(item: Record<string, unknown>): ReadonlySet<string> {
  const tenants = item["tenants"];
  return tenants instanceof Set ? (tenants as Set<string>) : new Set();
}
