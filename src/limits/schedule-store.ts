/**
 * The fleet's call schedules in DynamoDB. A command's schedule is the lattice of slots
 * `index × interval` (epoch µs), split into `lanes` interleaved lanes: lane k owns the indexes
 * ≡ k (mod lanes), and one item per lane holds its next free index. So every slot handed out is
 * a distinct lattice point, whichever lanes processes lease from, while a lease from one lane
 * gets slots spread `lanes × interval` apart (a slow process can use them as its calls come).
 *
 * A process reserves `count` slots of a lane with ONE conditional UpdateItem:
 * - append: `nextIndex += count × lanes` when the lane runs ahead of now (busy fleet). An
 *   atomic add, so concurrent processes never conflict: each gets its own slots.
 * - restart: `nextIndex = first + count × lanes` when the lane lies in the past (idle fleet),
 *   `first` being the lane's first index at or after now.
 *
 * No read, no transaction (dynalite has none): only UpdateItem, which is all the IAM role needs.
 */
import { UpdateCommand, type DocumentClient } from "../aws/dynamodb/index.ts";
import { isConditionalCheckFailed } from "../aws/conditional-check.ts";
import { ProvisionerError } from "../errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { scheduleKey } from "./keys.ts";

/** The table could not be used (unreachable, throttled, timed out, misconfigured). */
export class ScheduleStoreError extends ProvisionerError {
  override name = "ScheduleStoreError";
  /** The underlying error's name (e.g. `ThrottlingException`, `TimeoutError`). */
  readonly reason: string;
  constructor(reason: string, cause: unknown) {
    super(`the limiter's schedule item could not be updated (${reason})`, { cause });
    this.reason = reason;
  }
}

/** One reservation request, in slot indexes of the command's lattice. */
export interface ReserveRequest {
  provider: string;
  /** The schedule: a command, or the commands leased together joined by `+` (keys.ts). */
  command: string;
  /** Slot spacing in µs (part of the schedule's identity: another pace is another schedule). */
  intervalUs: number;
  /** How many lanes the lattice is split into, and the lane to reserve from (0-based). */
  lanes: number;
  lane: number;
  /** Slots wanted (they come `lanes` indexes apart). */
  count: number;
  /** No slot before this index (now plus the store's round trip). */
  notBeforeIndex: number;
  /** Do not take slots starting later than `notBeforeIndex + horizonSlots`. */
  horizonSlots: number;
  /** Try `append` first (the last answer showed a busy lane); else `restart` first. */
  expectBusy: boolean;
}

/** Options of {@link CallScheduleStore}. */
export interface CallScheduleStoreOptions {
  client: DocumentClient;
  tableName: string;
  /** Per-request limit; a slower answer counts as an outage. Default 1000 ms. */
  timeoutMs?: number;
  /** Items expire this long after their last reservation. Default one hour. */
  ttlSeconds?: number;
  clock?: Clock;
}

/**
 * The lane's first index at or after `index` (lane `lane` of `lanes` owns the indexes ≡ lane).
 *
 * @example
 * ```ts
 * laneIndexAtOrAfter(1000, 4, 1); // 1001
 * laneIndexAtOrAfter(1001, 4, 1); // 1001
 * ```
 */
export function laneIndexAtOrAfter(index: number, lanes: number, lane: number): number {
  return index + ((((lane - index) % lanes) + lanes) % lanes);
}

/**
 * Reserves slots of a command's schedule lanes in the table.
 *
 * @example
 * ```ts
 * const store = new CallScheduleStore({ client: documentClient, tableName: "outcomes" });
 * const now = Math.ceil((Date.now() * 1000) / 5264);
 * const span = await store.reserve({ provider: "tencent-im", command: "create_group", intervalUs: 5264,
 *   lanes: 8, lane: 3, count: 10, notBeforeIndex: now, horizonSlots: 190, expectBusy: false });
 * // span?.firstIndex: the first of 10 slots, 8 indexes apart; undefined when the lane is full
 * ```
 */
export class CallScheduleStore {
  readonly #client: DocumentClient;
  readonly #tableName: string;
  readonly #timeoutMs: number;
  readonly #ttlSeconds: number;
  readonly #clock: Clock;
  /** DynamoDB requests sent, for cost reports. */
  requests = 0;

  constructor(options: CallScheduleStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#ttlSeconds = options.ttlSeconds ?? 3600;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Reserves `count` slots of one lane. Resolves with the first slot's index and whether the lane
   * was busy (appended to), or undefined when the lane is already handed out beyond the horizon
   * (the caller waits and asks again).
   * Throws {@link ScheduleStoreError} when the table cannot be used.
   */
  async reserve(request: ReserveRequest): Promise<{ firstIndex: number; busy: boolean } | undefined> {
    // Two tries: a third would only pay when another process flipped the lane between them, and
    // with a lane booked to the horizon it is one more failed request.
    const order: Array<"append" | "restart"> = request.expectBusy ? ["append", "restart"] : ["restart", "append"];
    for (const path of order) {
      const granted = path === "append" ? await this.#append(request) : await this.#restart(request);
      if (granted !== undefined) return { ...granted, busy: path === "append" };
    }
    return undefined;
  }

  async #append(r: ReserveRequest): Promise<{ firstIndex: number } | undefined> {
    const step = r.count * r.lanes;
    const answer = await this.#update(r, {
      UpdateExpression: "SET nextIndex = nextIndex + :step, expiresAt = :expiresAt",
      ConditionExpression: "nextIndex BETWEEN :now AND :horizon",
      ExpressionAttributeValues: { ":step": step, ":now": r.notBeforeIndex, ":horizon": r.notBeforeIndex + r.horizonSlots, ":expiresAt": this.#expiresAt() },
      ReturnValues: "UPDATED_NEW",
    });
    if (answer === undefined) return undefined;
    const next = Number(answer["nextIndex"]);
    if (!Number.isSafeInteger(next)) throw new ScheduleStoreError("InvalidItem", new Error("nextIndex is not an integer"));
    return { firstIndex: next - step };
  }

  async #restart(r: ReserveRequest): Promise<{ firstIndex: number } | undefined> {
    const first = laneIndexAtOrAfter(r.notBeforeIndex, r.lanes, r.lane);
    const answer = await this.#update(r, {
      UpdateExpression: "SET nextIndex = :next, expiresAt = :expiresAt",
      // Everything handed out so far lies before `now`, so before `first`: nothing overlaps.
      ConditionExpression: "attribute_not_exists(nextIndex) OR nextIndex < :now",
      ExpressionAttributeValues: { ":next": first + r.count * r.lanes, ":now": r.notBeforeIndex, ":expiresAt": this.#expiresAt() },
      ReturnValues: "NONE",
    });
    return answer === undefined ? undefined : { firstIndex: first };
  }

  #expiresAt(): number {
    return Math.floor(this.#clock.now() / 1000) + this.#ttlSeconds;
  }

  /** One conditional UpdateItem: the new attributes, or undefined when the condition failed. */
  async #update(
    r: ReserveRequest,
    input: Pick<ConstructorParameters<typeof UpdateCommand>[0], "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeValues" | "ReturnValues">,
  ): Promise<Record<string, unknown> | undefined> {
    this.requests++;
    try {
      const out = await this.#client.send(
        new UpdateCommand({ TableName: this.#tableName, Key: scheduleKey(r.provider, r.command, r.intervalUs, r.lane), ...input }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      return out.Attributes ?? {};
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw new ScheduleStoreError(error instanceof Error ? error.name : "UnknownError", error);
    }
  }
}
