/** The IM client's fleet-wide limiter, built from the configuration. */
import type { DocumentClient } from "../aws/dynamodb/index.ts";
import type { Clock } from "../http/types.ts";
import { IM_RATE_LIMITS } from "../providers/tencent-im/constants.ts";
import { fleetRate } from "./budget.ts";
import { FleetRateLimiter, type CommandBudget } from "./fleet-limiter.ts";
import { CallScheduleStore } from "./schedule-store.ts";
import type { LimiterFallbackInfo } from "./types.ts";

/** Options of {@link createImFleetLimiter}. */
export interface ImFleetLimiterOptions {
  client: DocumentClient;
  tableName: string;
  /** IM_RATE_LIMIT_PER_SECOND: the fleet's pace of a 200/s command. */
  ratePerSecond: number;
  /** IM_FLEET_MAX_PROCESSES. */
  maxProcesses: number;
  clock?: Clock | undefined;
  logger?: { warn(message: string, fields?: Record<string, unknown>): void; info(message: string, fields?: Record<string, unknown>): void } | undefined;
  metrics?: { limiterFallback?(provider: string, command: string): void } | undefined;
}

/**
 * Every IM command's budget: its documented limit, and the same fraction of it for the fleet
 * (190 of 200, 95 of 100).
 *
 * @example
 * ```ts
 * imCommandBudgets(190).create_group; // { limitPerSecond: 200, ratePerSecond: 190 }
 * ```
 */
export function imCommandBudgets(ratePerSecond: number): Record<string, CommandBudget> {
  return Object.fromEntries(
    Object.entries(IM_RATE_LIMITS).map(([command, limit]) => [command, { limitPerSecond: limit, ratePerSecond: fleetRate(limit, ratePerSecond) }]),
  );
}

/**
 * IM commands leased together (fleet-limiter.ts, `groups`): ensureGroup calls account_import and
 * then create_group for every tenant, so their slots come at the same instants and one request
 * leases both. Every other command (get_group_info after a conflict, destroy_group, the 100/s
 * multiaccount_import) has a schedule of its own.
 */
const IM_LEASED_TOGETHER: ReadonlyArray<readonly string[]> = [["account_import", "create_group"]];

/**
 * The limiter every IM call of this process goes through: slots leased from the outcome table,
 * a warning log and a `LimiterFallback` metric when the table is out of reach.
 *
 * @example
 * ```ts
 * const limiter = createImFleetLimiter({ client: documentClient, tableName, ratePerSecond: 190, maxProcesses: 16 });
 * const im = createTencentImClient({ domain, credentials, rateLimiter: limiter });
 * ```
 */
export function createImFleetLimiter(options: ImFleetLimiterOptions): FleetRateLimiter {
  const store = new CallScheduleStore({ client: options.client, tableName: options.tableName, ...(options.clock ? { clock: options.clock } : {}) });
  return new FleetRateLimiter({
    provider: "tencent-im",
    store,
    commands: imCommandBudgets(options.ratePerSecond),
    groups: IM_LEASED_TOGETHER,
    maxProcesses: options.maxProcesses,
    ...(options.clock ? { clock: options.clock } : {}),
    onFallback(info: LimiterFallbackInfo) {
      options.logger?.warn("rate limiter: the table is out of reach, pacing this process locally", { ...info });
      options.metrics?.limiterFallback?.(info.provider, info.command);
    },
    onRecovered(info) {
      options.logger?.info("rate limiter: leasing from the table again", { ...info });
    },
  });
}
