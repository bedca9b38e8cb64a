/**
 * The logger's threshold from the environment, resolved as Powertools for AWS Lambda 2.35.0
 * resolves it for `new Logger({ logLevel })`.
 */

/** The levels and their order (Powertools' numbers). */
export const LOG_LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;

export type LogLevelName = keyof typeof LOG_LEVELS;

function isLevel(name: string | undefined): name is LogLevelName {
  return name !== undefined && Object.hasOwn(LOG_LEVELS, name);
}

/**
 * The level to log at, and the warning to log once when Lambda's advanced logging controls
 * raise it above the one asked for. In order:
 * 1. `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls; `FATAL` is `CRITICAL`);
 * 2. `requested` (the service passes `LOG_LEVEL`), upper-cased;
 * 3. `POWERTOOLS_LOG_LEVEL`, else `LOG_LEVEL` (trimmed, as written);
 * 4. `INFO`.
 *
 * @example
 * ```ts
 * resolveLogLevel({ AWS_LAMBDA_LOG_LEVEL: "WARN" }, "INFO"); // { level: "WARN", warning: "Current log level (INFO) does not match …" }
 * resolveLogLevel({}, "debug"); // { level: "DEBUG" }
 * ```
 */
export function resolveLogLevel(env: NodeJS.ProcessEnv, requested: string | undefined): { level: LogLevelName; warning?: string } {
  const lambdaLevel = env["AWS_LAMBDA_LOG_LEVEL"]?.trim();
  const controlled = lambdaLevel === "FATAL" ? "CRITICAL" : lambdaLevel;
  const asked = requested?.toUpperCase();
  if (isLevel(controlled)) {
    if (isLevel(asked) && LOG_LEVELS[controlled] > LOG_LEVELS[asked]) {
      return {
        level: controlled,
        warning: `Current log level (${asked}) does not match AWS Lambda Advanced Logging Controls minimum log level (${controlled}). This can lead to data loss, consider adjusting them.`,
      };
    }
    return { level: controlled };
  }
  if (isLevel(asked)) return { level: asked };
  const fromEnv = env["POWERTOOLS_LOG_LEVEL"]?.trim() || env["LOG_LEVEL"]?.trim();
  return { level: isLevel(fromEnv) ? fromEnv : "INFO" };
}
