/** Errors of the logstore registry. */
import { ProviderError } from "../errors.ts";

/**
 * Every registered logstore is full (by its count, or SLS refused it with ConsumerGroupQuotaExceed):
 * the tenant holds no slot and has no consumer group. Retryable: the step is FAILED_RETRYABLE and
 * the backfill places it once an operator adds a logstore (`npm run cli -- logstores add`).
 *
 * @example
 * ```ts
 * if (error instanceof LogstoresExhaustedError) alertOperator(error.logstores);
 * ```
 */
export class LogstoresExhaustedError extends ProviderError {
  override name = "LogstoresExhaustedError";
  /** How many logstores are registered (all of them full). */
  readonly logstores: number;
  constructor(logstores: number) {
    super(
      logstores === 0
        ? "no logstore is registered: add some with `npm run cli -- logstores add NAME...`"
        : `all ${logstores} registered logstores are full: add one with \`npm run cli -- logstores add NAME\``,
      { provider: "sls", code: "LogstoresExhausted", httpStatus: 0, errorClass: "transient", ambiguous: false, operation: "AssignLogstore" },
    );
    this.logstores = logstores;
  }
}
