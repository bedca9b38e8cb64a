import { ProvisionerError } from "../errors.ts";

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
