/** The logstore registry: which SLS logstores exist for tenants' consumer groups, and their slots. */
export { logstoresAtSls } from "./at-sls.ts";
export { LogstoreQuotaReachedError, LogstoresExhaustedError } from "./errors.ts";
export { growingRegistry, nextLogstoreName, type LogstoreGrowthOptions, type LogstorePlacement } from "./growth.ts";
export { LogstoreRegistry } from "./registry.ts";
export type { LogstoreEntry, LogstoreRegistryOptions, LogstoreToAdd, TakeOutcome } from "./types.ts";
