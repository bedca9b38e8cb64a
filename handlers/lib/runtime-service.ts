import { loadConfig } from "../../src/config/config.ts";
import { createService, type Service } from "../../src/service.ts";
import { logger, metricsSink } from "./runtime.ts";

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
  service ??= createService(loadConfig(process.env), { logger, metrics: metricsSink });
  return service;
}
