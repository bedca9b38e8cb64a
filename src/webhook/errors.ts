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
