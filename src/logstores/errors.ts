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

/**
 * Every registered logstore is full and SLS refused to create another: the project holds its
 * quota of logstores (CreateLogStore answered 400 `ProjectQuotaExceed`; 200 per project unless
 * raised). Permanent: the step is FAILED_PERMANENT until an operator raises the quota (or frees
 * logstores) and re-drives the tenant; the tenant holds no slot and has no consumer group.
 *
 * @example
 * ```ts
 * if (error instanceof LogstoreQuotaReachedError) alertOperator(error.project);
 * ```
 */
export class LogstoreQuotaReachedError extends ProviderError {
  override name = "LogstoreQuotaReachedError";
  /** The SLS project whose logstore quota is reached. */
  readonly project: string;
  constructor(project: string, registered: number, refusal: { httpStatus: number; requestId?: string | undefined; cause?: unknown }) {
    super(
      `all ${registered} registered logstores are full and SLS project ${project} refused another (ProjectQuotaExceed: its logstore quota, 200 unless raised, is reached): ` +
        "raise the project's logstore quota or delete unused logstores, then re-drive with `npm run cli -- retry TENANT`",
      {
        provider: "sls",
        code: "LogstoreQuotaReached",
        httpStatus: refusal.httpStatus,
        requestId: refusal.requestId,
        errorClass: "permanent",
        ambiguous: false,
        operation: "CreateLogStore",
        cause: refusal.cause,
      },
    );
    this.project = project;
  }
}
