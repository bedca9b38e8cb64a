/**
 * The error hierarchy every module of the service shares. Errors are values a caller can
 * switch on: `instanceof` picks the family, `errorClass` says what to do about it.
 *
 * ```
 * ProvisionerError
 * ├── ValidationError      bad input; names each field and rule; never retried
 * ├── ConfigurationError   bad environment or secret shape; names the variable / secret id and field
 * ├── TransportError       (src/http) the request never got an answer: timeout, reset, refused
 * └── ProviderError        a provider answered with an error (SlsError, TencentImError)
 * ```
 */

/** What a caller should do about a provider failure. */
export type ErrorClass =
  /** Try again with backoff (5xx, IM 10002, network errors). */
  | "transient"
  /** Rate limited: try again after a longer backoff. */
  | "throttled"
  /** Credentials rejected: re-read them once, then treat as permanent. */
  | "credentials"
  /** Will fail the same way every time: record it, do not retry. */
  | "permanent"
  /** The resource already exists: converge by reading it back. */
  | "exists"
  /** A resource with our id exists but is not ours: report, never overwrite. */
  | "conflict";

/** The two providers the service provisions at. */
export type ProviderName = "sls" | "tencent-im";

/** Base of every error the service raises on purpose. */
export class ProvisionerError extends Error {
  override name = "ProvisionerError";
}

/** One broken rule of one input field. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `members.3.userId`. */
  field: string;
  /** The rule it broke, e.g. `max 30 UTF-8 bytes`. */
  rule: string;
}

/**
 * Issues as one line, `field: rule; field: rule` (`(root)` for the value itself): the text of a
 * {@link ValidationError} or {@link ConfigurationError}, and of the CLI's refusals.
 *
 * @example
 * ```ts
 * describeIssues([{ field: "tenantId", rule: "1-36 characters" }]); // "tenantId: 1-36 characters"
 * ```
 */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.field || "(root)"}: ${i.rule}`).join("; ");
}

/**
 * Input broke one or more rules. Raised before any provider call or store write.
 *
 * @example
 * ```ts
 * throw new ValidationError([{ field: "name", rule: "at most 30 UTF-8 bytes" }]);
 * ```
 */
export class ValidationError extends ProvisionerError {
  override name = "ValidationError";
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], context?: string) {
    super(
      `${context ? `${context}: ` : ""}invalid input: ${describeIssues(issues)}`,
    );
    this.issues = issues;
  }
}

/**
 * Configuration (environment variables or a secret's shape) is wrong. The message names the
 * variable or secret id and the field, never a value.
 */
export class ConfigurationError extends ProvisionerError {
  override name = "ConfigurationError";
  readonly issues: readonly ValidationIssue[];
  constructor(source: string, issues: readonly ValidationIssue[]) {
    super(`${source}: ${describeIssues(issues)}`);
    this.issues = issues;
  }

  /** A passing fault of the source (e.g. Secrets Manager throttled) rather than a wrong value. */
  get retryable(): boolean {
    return false;
  }
}

/** Fields every provider error carries. */
export interface ProviderErrorDetails {
  provider: ProviderName;
  /** The provider's error code (`ConsumerGroupAlreadyExist`, `10021`, or `Transport.Timeout`). */
  code: string;
  /** HTTP status of the answer; 0 when no answer arrived. */
  httpStatus: number;
  /** The provider's request id when it sent one (`x-log-requestid`; IM has none). */
  requestId?: string | undefined;
  errorClass: ErrorClass;
  /**
   * True when the request may have taken effect although it failed (timeout after sending,
   * connection reset, 5xx, IM 10002 on create). Convergence reads the resource back.
   */
  ambiguous: boolean;
  /** The API that failed, e.g. `CreateConsumerGroup`, `create_group`. */
  operation: string;
  cause?: unknown;
}

/**
 * A provider (or the way to it) failed. Switch on `errorClass`; log `code` and `requestId`.
 *
 * @example
 * ```ts
 * if (err instanceof ProviderError && err.retryable) scheduleRetry();
 * ```
 */
export class ProviderError extends ProvisionerError {
  override name = "ProviderError";
  readonly provider: ProviderName;
  readonly code: string;
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  readonly errorClass: ErrorClass;
  readonly ambiguous: boolean;
  readonly operation: string;

  constructor(message: string, details: ProviderErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = details.provider;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.errorClass = details.errorClass;
    this.ambiguous = details.ambiguous;
    this.operation = details.operation;
  }

  /** Worth another attempt after a backoff (transient or throttled). */
  get retryable(): boolean {
    return this.errorClass === "transient" || this.errorClass === "throttled";
  }

  /** A plain object for logs and outcome records: no secrets, no stack. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      provider: this.provider,
      operation: this.operation,
      code: this.code,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      errorClass: this.errorClass,
      retryable: this.retryable,
      ambiguous: this.ambiguous,
      message: this.message,
    };
  }
}

/** A provider call is about to be retried in-process (for metrics and logs). */
export interface ProviderRetryInfo {
  provider: ProviderName;
  operation: string;
  /** The failed attempt's error code (`InternalServerError`, `10002`, `Transport.Timeout`). */
  code: string;
  /** The attempt that failed, 1 for the first. */
  attempt: number;
  delayMs: number;
}

/** Turns withRetry's `onRetry` into a {@link ProviderRetryInfo} for a client's hook. */
export function providerRetryHook(
  provider: ProviderName,
  operation: string,
  hook: ((info: ProviderRetryInfo) => void) | undefined,
): ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined {
  if (!hook) return undefined;
  return ({ attempt, delayMs, error }) =>
    hook({ provider, operation, code: error instanceof ProviderError ? error.code : "Unknown", attempt, delayMs });
}
