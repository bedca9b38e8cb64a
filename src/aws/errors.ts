import { ProvisionerError } from "../errors.ts";
import { TransportError } from "../http/errors.ts";

/**
 * An AWS call was cut off at the invocation's deadline (or not started because it had passed).
 * Never retried by the SDK: the invocation has no time left for another attempt.
 *
 * @example
 * ```ts
 * if (error instanceof AwsCallDeadlineError) logger.warn("DynamoDB did not answer in time");
 * ```
 */
export class AwsCallDeadlineError extends ProvisionerError {
  override name = "AwsCallDeadlineError";
  readonly retryable = false;
  /** The deadline that passed (epoch ms). */
  readonly deadline: number;
  constructor(deadline: number, host: string) {
    super(`AWS call to ${host} cut off at the invocation deadline ${new Date(deadline).toISOString()}`);
    this.deadline = deadline;
  }
}

/** AWS error names that mean "too fast, try later" (DynamoDB and the common ones). */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
]);

/**
 * Whether an AWS call failed in a way a later attempt may not: cut off at the invocation
 * deadline, no answer from our transport (TransportError), throttled, a 5xx (`$fault: "server"`), an SDK-marked retryable error, a timeout, or a
 * dropped connection. A 4xx such as AccessDenied or a validation error is not transient.
 *
 * @example
 * ```ts
 * if (isTransientAwsError(error)) return reply(503); else throw error;
 * ```
 */
export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof AwsCallDeadlineError) return true;
  // The service's own AWS clients (src/aws/json-rpc.ts): no (complete) answer at all, after their retries.
  if (error instanceof TransportError) return true;
  if (!(error instanceof Error)) return false;
  const e = error as Error & { $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: unknown };
  if (e.$fault === "server" || e.$retryable !== undefined || THROTTLING_NAMES.has(e.name) || e.name === "TimeoutError") return true;
  // No answer from the service at all: the connection failed (ECONNRESET, ECONNREFUSED, EPIPE...).
  return e.$metadata?.httpStatusCode === undefined && typeof e.code === "string" && /^E[A-Z]+$/.test(e.code);
}
