/**
 * The fleet's call schedules in DynamoDB: one item per (provider, command) holding the time up
 * to which slots are handed out (`tatUs`, the "theoretical arrival time" of the generic cell rate
 * algorithm). A process reserves `count` consecutive slots with ONE conditional UpdateItem:
 *
 * - append: `tatUs = tatUs + count × interval` when the schedule runs ahead of now (busy fleet).
 *   An atomic add, so concurrent processes never conflict: each gets its own span.
 * - restart: `tatUs = now + count × interval` when the schedule lies in the past (idle fleet).
 *
 * No read, no transaction (dynalite has none): only UpdateItem, which is all the IAM role needs.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
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

/** One reservation request. */
export interface ReserveRequest {
  provider: string;
  command: string;
  /** Slots wanted. */
  count: number;
  /** Slot spacing in µs (1e6 / fleet rate, rounded up). */
  intervalUs: number;
  /** Earliest time a new span may start, epoch µs (now plus the store's round trip). */
  notBeforeUs: number;
  /** Do not take slots starting later than `notBeforeUs + horizonUs`. */
  horizonUs: number;
  /** Try `append` first (the last answer showed a busy schedule); else `restart` first. */
  expectBusy: boolean;
}

/** Options of {@link CallScheduleStore}. */
export interface CallScheduleStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Per-request limit; a slower answer counts as an outage. Default 1000 ms. */
  timeoutMs?: number;
  /** Items expire this long after their last reservation. Default one hour. */
  ttlSeconds?: number;
  clock?: Clock;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/**
 * Reserves spans of a command's schedule in the table.
 *
 * @example
 * ```ts
 * const store = new CallScheduleStore({ client: documentClient, tableName: "outcomes" });
 * const span = await store.reserve({ provider: "tencent-im", command: "create_group", count: 20,
 *   intervalUs: 5264, notBeforeUs: Date.now() * 1000, horizonUs: 2_000_000, expectBusy: false });
 * // span?.startUs: the first of 20 slots, 5264 µs apart; undefined when the schedule is full
 * ```
 */
export class CallScheduleStore {
  readonly #client: DynamoDBDocumentClient;
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
   * Reserves `count` consecutive slots. Resolves with the first slot's time, or undefined when
   * the schedule is already handed out beyond the horizon (the caller waits and asks again).
   * Throws {@link ScheduleStoreError} when the table cannot be used.
   */
  async reserve(request: ReserveRequest): Promise<{ startUs: number } | undefined> {
    const order: Array<"append" | "restart"> = request.expectBusy ? ["append", "restart", "append"] : ["restart", "append", "restart"];
    // A third try only matters when another process flipped the schedule between our two tries.
    for (const path of order) {
      const granted = path === "append" ? await this.#append(request) : await this.#restart(request);
      if (granted !== undefined) return granted;
    }
    return undefined;
  }

  async #append(r: ReserveRequest): Promise<{ startUs: number } | undefined> {
    const spanUs = r.count * r.intervalUs;
    const answer = await this.#update(r, {
      UpdateExpression: "SET tatUs = tatUs + :span, expiresAt = :expiresAt",
      ConditionExpression: "tatUs BETWEEN :now AND :horizon",
      ExpressionAttributeValues: { ":span": spanUs, ":now": r.notBeforeUs, ":horizon": r.notBeforeUs + r.horizonUs, ":expiresAt": this.#expiresAt() },
      ReturnValues: "UPDATED_NEW",
    });
    if (answer === undefined) return undefined;
    const tat = Number(answer["tatUs"]);
    if (!Number.isFinite(tat)) throw new ScheduleStoreError("InvalidItem", new Error("tatUs is not a number"));
    return { startUs: tat - spanUs };
  }

  async #restart(r: ReserveRequest): Promise<{ startUs: number } | undefined> {
    const answer = await this.#update(r, {
      UpdateExpression: "SET tatUs = :end, expiresAt = :expiresAt",
      ConditionExpression: "attribute_not_exists(tatUs) OR tatUs < :now",
      ExpressionAttributeValues: { ":end": r.notBeforeUs + r.count * r.intervalUs, ":now": r.notBeforeUs, ":expiresAt": this.#expiresAt() },
      ReturnValues: "NONE",
    });
    return answer === undefined ? undefined : { startUs: r.notBeforeUs };
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
        new UpdateCommand({ TableName: this.#tableName, Key: scheduleKey(r.provider, r.command), ...input }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      return out.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new ScheduleStoreError(error instanceof Error ? error.name : "UnknownError", error);
    }
  }
}
