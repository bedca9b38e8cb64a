import { ProvisionerError } from "../errors.ts";

/** Why a webhook was refused before its body was even parsed. */
export type WebhookRejection =
  | "missing-header"
  | "bad-id"
  | "bad-timestamp"
  | "stale"
  | "future"
  | "bad-signature"
  /** The webhook-id was already accepted with a different body (a resend keeps both). */
  | "id-reused";

/**
 * A webhook failed verification (answered with 401, or 409 for a reused id). The message names
 * the header and the rule; it never contains a secret or a computed signature.
 *
 * @example
 * ```ts
 * if (err instanceof WebhookVerificationError && err.reason === "stale") reply(401, err.field, err.rule);
 * ```
 */
export class WebhookVerificationError extends ProvisionerError {
  override name = "WebhookVerificationError";
  readonly reason: WebhookRejection;
  /** The header at fault, e.g. `webhook-timestamp`. */
  readonly field: string;
  /** The rule it broke, e.g. `older than 5 minutes`. */
  readonly rule: string;
  constructor(reason: WebhookRejection, field: string, rule: string) {
    super(`${field}: ${rule}`);
    this.reason = reason;
    this.field = field;
    this.rule = rule;
  }
}

/**
 * The webhook-id could not be recorded (the replay guard's DynamoDB write was cut off at the
 * request deadline, throttled or failed on DynamoDB's side), so the delivery was not accepted:
 * nothing was provisioned or enqueued. Answered 503 with `Retry-After`; the sender's resend with
 * the same id and body is processed as the first delivery.
 *
 * @example
 * ```ts
 * if (err instanceof WebhookIdNotRecordedError) return reply(503, { "retry-after": String(err.retryAfterSeconds) });
 * ```
 */
export class WebhookIdNotRecordedError extends ProvisionerError {
  override name = "WebhookIdNotRecordedError";
  /** When a resend may succeed (DynamoDB's stall or throttling is short-lived). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, cause: unknown) {
    super("the webhook-id could not be recorded in time; the delivery was not accepted (resend it)", { cause });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
