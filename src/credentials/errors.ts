import { ConfigurationError } from "../errors.ts";
import type { ValidationIssue } from "../errors.ts";

/** Why a secret could not be loaded. */
export type SecretLoadReason =
  /** The secret id does not exist (or is scheduled for deletion). */
  | "not-found"
  /** The caller may not read the secret (IAM, KMS key policy, bad AWS credentials). */
  | "access-denied"
  /** SecretString is not JSON. */
  | "not-json"
  /** The JSON does not have the expected fields; `issues` names each field and rule. */
  | "invalid-shape"
  /** Network failure, throttling or a Secrets Manager 5xx: worth retrying later. */
  | "unavailable"
  /** The secret holds SecretBinary, not the JSON SecretString the loader expects. */
  | "binary";

/** Extra detail about a failed read; never a secret value. */
export interface SecretLoadErrorDetails {
  /** The AWS error name or network error code, e.g. `ResourceNotFoundException`, `ECONNREFUSED`. */
  code?: string | undefined;
  /** The SDK error, kept for debugging; never a parse error (those can quote the input). */
  cause?: unknown;
}

/**
 * A secret could not be loaded or did not have the expected shape. The message names the secret
 * id, the field and the rule it broke, never the value: zod issue messages and `JSON.parse`
 * errors can quote their input, so neither is passed through.
 *
 * @example
 * ```ts
 * if (err instanceof SecretLoadError && err.retryable) scheduleRetry();
 * ```
 */
export class SecretLoadError extends ConfigurationError {
  override name = "SecretLoadError";
  readonly secretId: string;
  readonly reason: SecretLoadReason;
  readonly code: string | undefined;

  constructor(
    secretId: string,
    reason: SecretLoadReason,
    issues: readonly ValidationIssue[],
    details: SecretLoadErrorDetails = {},
  ) {
    super(`Secrets Manager secret "${secretId}"`, issues);
    this.secretId = secretId;
    this.reason = reason;
    this.code = details.code;
    if (details.cause !== undefined) {
      // Non-enumerable like a native `cause`, so JSON.stringify of the error stays small.
      Object.defineProperty(this, "cause", { value: details.cause, enumerable: false, writable: true, configurable: true });
    }
  }

  /** Only an unavailable Secrets Manager is worth another attempt; the rest needs a human. */
  override get retryable(): boolean {
    return this.reason === "unavailable";
  }

  /** A plain object for logs and outcome records: no secret value, no stack. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      secretId: this.secretId,
      reason: this.reason,
      code: this.code,
      retryable: this.retryable,
      issues: this.issues,
      message: this.message,
    };
  }
}
