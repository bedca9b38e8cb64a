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

/** The core's log sink (see `ProvisionLogger`) written to a Powertools logger. */
export function toProvisionLogger(logger: Logger): {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
} {
  return {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
}
