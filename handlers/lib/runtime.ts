import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createProvisionMetrics } from "../../src/observability/metrics.ts";
import { OutcomeStore } from "../../src/outcomes/store.ts";

/** One logger (passed wherever a logger is wanted) and one metrics sink per Lambda process. */
export const logger = createLogger();
export const { sink: metricsSink } = createProvisionMetrics();

let store: OutcomeStore | undefined;

/**
 * The process's outcome store alone, for the routes that only read it (the status route): no
 * provider client, credential source or queue is built (nor bundled) for them. The full
 * service is in `./runtime-service.ts`, apart, so importing this module does not pull it in.
 *
 * @example
 * ```ts
 * export const handler = createStatusHandler({ store: runtimeStore() });
 * ```
 */
export function runtimeStore(): OutcomeStore {
  store ??= new OutcomeStore({ tableName: loadConfig(process.env).outcomeTableName });
  return store;
}
