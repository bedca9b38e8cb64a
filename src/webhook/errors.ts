import { ProvisionerError } from "../errors.ts";

/** Why a webhook was refused before its body was even parsed. */
export type WebhookRejection =
  | "missing-header"
  | "bad-id"
  | "bad-timestamp"
  | "stale"
  | "future"
  | "bad-signature"
  | "replayed";

/**
 * A webhook failed verification (answered with 401, or 409 for a replay). The message names
 * the header and the rule; it never contains a secret or a computed signature.
 *
 * @example
 * ```ts
 * if (err instanceof WebhookVerificationError && err.reason === "stale") { ... }
 * ```
 */
export class WebhookVerificationError extends ProvisionerError {
  override name = "WebhookVerificationError";
  readonly reason: WebhookRejection;
  constructor(reason: WebhookRejection, message: string) {
    super(message);
    this.reason = reason;
  }
}
