import { loadConfig } from "../../src/config/config.ts";
import { createLogger, toProvisionLogger } from "../../src/observability/logger.ts";
import { createProvisionMetrics } from "../../src/observability/metrics.ts";
import { createService, type Service } from "../../src/service.ts";

/** One logger and one metrics buffer per Lambda process. */
export const logger = createLogger();
/** The same logger behind the core's plain `(message, fields)` interface. */
export const log = toProvisionLogger(logger);
export const { metrics, sink: metricsSink } = createProvisionMetrics();

let service: Service | undefined;

/**
 * The process's service, built on first use from the environment. Handlers call it at module
 * load, so a bad configuration fails the cold start with a message naming each variable.
 *
 * @example
 * ```ts
 * export const handler = createSignupHandler(runtimeService());
 * ```
 */
export function runtimeService(): Service {
  service ??= createService(loadConfig(process.env), { logger: log, metrics: metricsSink });
  return service;
}
