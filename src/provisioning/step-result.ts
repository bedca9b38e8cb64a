import { ConfigurationError, ProviderError, ProvisionerError, ValidationError, type ProviderName } from "../errors.ts";
import { RateLimitDeadlineError, TransportError } from "../http/errors.ts";
import type { StepError, StepResult } from "../outcomes/types.ts";

/** The code of a step the service refused itself (the request broke a rule): its message names the field and rule, never a value. */
export const VALIDATION_CODE = "Validation";

/** Backoff before the backfill retries a FAILED_RETRYABLE step: 30 s doubling per attempt, capped at 1 h. */
export function nextAttemptDelayMs(attempts: number, throttled: boolean): number {
  const base = throttled ? 120_000 : 30_000;
  return Math.min(3_600_000, base * 2 ** Math.max(0, attempts - 1));
}

/** Configuration problems (a missing secret, a wrong shape) wait for an operator: retry slowly. */
const CONFIGURATION_RETRY_MS = 15 * 60_000;

/**
 * Credentials still rejected after a fresh read of the secret: a key rotation is under way (the
 * provider changed the key before Secrets Manager, or the reverse). Rotations finish in minutes:
 * retry after 5 minutes, doubling per attempt up to the hour, without an operator.
 *
 * @example
 * ```ts
 * rotationRetryDelayMs(2); // 600_000
 * ```
 */
export function rotationRetryDelayMs(attempts: number): number {
  return Math.min(3_600_000, 5 * 60_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Turns whatever a step threw into the record it ends with. Provider errors keep their
 * provider, code, HTTP status and request id; errors of unknown origin record only their name,
 * since their message may carry anything.
 *
 * @example
 * ```ts
 * const result = stepResultFromError(err, "sls", { attempts: 2, now: Date.now() });
 * ```
 */
export function stepResultFromError(error: unknown, provider: ProviderName, context: { attempts: number; now: number }): StepResult {
  const at = (delayMs: number) => new Date(context.now + delayMs).toISOString();
  if (error instanceof ProviderError) {
    const recorded: StepError = {
      provider: error.provider,
      code: error.code,
      message: error.message,
      httpStatus: error.httpStatus,
      requestId: error.requestId,
      errorClass: error.errorClass,
    };
    switch (error.errorClass) {
      case "transient":
      case "throttled":
        return {
          status: "FAILED_RETRYABLE",
          error: recorded,
          nextAttemptAt: at(nextAttemptDelayMs(context.attempts, error.errorClass === "throttled")),
        };
      case "conflict":
        return { status: "CONFLICT", error: recorded };
      case "credentials":
        return { status: "FAILED_RETRYABLE", error: recorded, nextAttemptAt: at(rotationRetryDelayMs(context.attempts)) };
      case "permanent":
      case "exists":
        return { status: "FAILED_PERMANENT", error: recorded };
    }
  }
  const internal = (code: string, errorClass: StepError["errorClass"], message: string): StepError => ({
    provider,
    code,
    message,
    httpStatus: 0,
    errorClass,
  });
  if (error instanceof ValidationError) {
    return { status: "FAILED_PERMANENT", error: internal(VALIDATION_CODE, "permanent", error.message) };
  }
  if (error instanceof ConfigurationError) {
    const retryable = error.retryable;
    return {
      status: "FAILED_RETRYABLE",
      error: internal("Configuration", retryable ? "transient" : "permanent", error.message),
      nextAttemptAt: at(retryable ? nextAttemptDelayMs(context.attempts, false) : CONFIGURATION_RETRY_MS),
    };
  }
  if (error instanceof RateLimitDeadlineError || error instanceof TransportError) {
    return {
      status: "FAILED_RETRYABLE",
      error: internal(error instanceof TransportError ? `Transport.${error.failure}` : "RateLimited", "throttled", error.message),
      nextAttemptAt: at(nextAttemptDelayMs(context.attempts, true)),
    };
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof ProvisionerError ? error.message : `unexpected ${name}`;
  return {
    status: "FAILED_RETRYABLE",
    error: internal("Internal", "transient", message),
    nextAttemptAt: at(nextAttemptDelayMs(context.attempts, false)),
  };
}
