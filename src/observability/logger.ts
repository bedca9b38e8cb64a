import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The service's structured JSON logger (Powertools for AWS Lambda, pinned to 2.35.0).
 * Callers add `tenantId` and correlation ids with `appendKeys`; nothing here ever receives a
 * secret: provider clients hand only codes and request ids to the log.
 *
 * @example
 * ```ts
 * logger.appendKeys({ tenantId: "acme-42" });
 * logger.info("step finished", { step: "im-group", status: "SUCCEEDED" });
 * ```
 */
export function createLogger(serviceName = "tenant-provisioner"): Logger {
  return new Logger({ serviceName, logLevel: (process.env.LOG_LEVEL as "INFO" | undefined) ?? "INFO" });
}
