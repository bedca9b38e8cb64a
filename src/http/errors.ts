import { ProvisionerError } from "../errors.ts";

/** How a request failed to get an answer. */
export type TransportFailure =
  /** The per-attempt timeout or the deadline passed before the whole answer arrived. */
  | "timeout"
  /** The connection was reset or closed mid-request. */
  | "reset"
  /** The connection could not be made (refused, DNS). Never ambiguous: nothing was sent. */
  | "connect"
  /** The deadline had already passed: the request was not sent. */
  | "deadline";

/**
 * The request got no (complete) answer. `sent` says whether any byte may have reached the
 * server, which makes the outcome ambiguous for non-idempotent calls.
 *
 * @example
 * ```ts
 * if (err instanceof TransportError && err.failure === "timeout") { ... }
 * ```
 */
export class TransportError extends ProvisionerError {
  override name = "TransportError";
  readonly failure: TransportFailure;
  readonly sent: boolean;
  constructor(failure: TransportFailure, message: string, sent: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.failure = failure;
    this.sent = sent;
  }
}

/** A rate limiter could not grant a token before the deadline. */
export class RateLimitDeadlineError extends ProvisionerError {
  override name = "RateLimitDeadlineError";
}
