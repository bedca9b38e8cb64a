/** The logstore registry: which SLS logstores exist for tenants' consumer groups, and their slots. */
export { logstoresAtSls } from "./at-sls.ts";
export { LogstoresExhaustedError } from "./errors.ts";
export { LogstoreRegistry } from "./registry.ts";
export type { LogstoreEntry, LogstoreRegistryOptions, LogstoreToAdd, TakeOutcome } from "./types.ts";
