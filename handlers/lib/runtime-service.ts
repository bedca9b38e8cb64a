import { loadConfig } from "../../src/config/config.ts";
import {
  backfillParts,
  createCoreService,
  signupParts,
  webhookParts,
  type BackfillParts,
  type CoreService,
  type SignupParts,
  type WebhookParts,
} from "../../src/service.ts";
import { logger, metricsSink } from "./runtime.ts";

let core: CoreService | undefined;

/**
 * The process's core service, built on first use from the environment. Handlers call it at module
 * load, so a bad configuration fails the cold start with a message naming each variable. Each
 * function adds only its own parts (the functions below), so its bundle carries no other's.
 *
 * @example
 * ```ts
 * export const handler = createOffboardHandler(runtimeService());
 * ```
 */
export function runtimeService(): CoreService {
  core ??= createCoreService(loadConfig(process.env), { logger, metrics: metricsSink });
  return core;
}

/**
 * The signup function's service: the core and the rejection store.
 *
 * @example
 * ```ts
 * export const handler = createSignupHandler(runtimeSignupService());
 * ```
 */
export function runtimeSignupService(): CoreService & SignupParts {
  const service = runtimeService();
  return { ...service, ...signupParts(service) };
}

/**
 * The webhook function's service: the core, the replay guard and the signing keys.
 *
 * @example
 * ```ts
 * export const handler = createWebhookHandler(runtimeWebhookService());
 * ```
 */
export function runtimeWebhookService(): CoreService & WebhookParts {
  const service = runtimeService();
  return { ...service, ...webhookParts(service, { logger }) };
}

/**
 * The backfill function's service: the core and its walk's position store.
 *
 * @example
 * ```ts
 * export const handler = createBackfillHandler(runtimeBackfillService());
 * ```
 */
export function runtimeBackfillService(): CoreService & BackfillParts {
  const service = runtimeService();
  return { ...service, ...backfillParts(service) };
}
