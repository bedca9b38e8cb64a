/** Call-rate limits shared by the fleet (src/limits). */
export { fallbackRate, fleetRate, slotToleranceMs, worstWindowCount } from "./budget.ts";
export { FleetRateLimiter, type CommandBudget, type FleetLimiterStats, type FleetRateLimiterOptions } from "./fleet-limiter.ts";
export { createImFleetLimiter, imCommandBudgets, type ImFleetLimiterOptions } from "./im-limiter.ts";
export { LIMIT_PK_PREFIX, SCHEDULE_SK_PREFIX, scheduleKey } from "./keys.ts";
export { createLocalRateLimiter } from "./local-limiter.ts";
export { CallScheduleStore, laneIndexAtOrAfter, ScheduleStoreError, type CallScheduleStoreOptions, type ReserveRequest } from "./schedule-store.ts";
export type { CallRateLimiter, LimiterEvents, LimiterFallbackInfo } from "./types.ts";
