import type { WebhookSecrets } from "../credentials/types.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { WebhookVerificationError } from "./errors.ts";
import { decodeWebhookSecret, verifyWebhook, type VerifiedWebhook, type WebhookHeaders } from "./verify.ts";

/** Where the signing secrets come from: the webhook secret's cache (see `SecretCache`). */
export interface WebhookSecretSource {
  /** The cached list while young enough, else a read. */
  get(): Promise<WebhookSecrets>;
  /** A read, reusing one completed within `reuseWithinMs` (0: only one under way). */
  refresh(options?: { reuseWithinMs?: number }): Promise<WebhookSecrets>;
}

/** At most one read of the secret per this long after a bad signature or a failed read, per process. */
export const WEBHOOK_KEY_REREAD_INTERVAL_MS = 1_000;

/** Why the keys were read again, for the `onReread` hook. */
export type RereadReason = "bad-signature" | "older-key";

/** Options of {@link WebhookSigningKeys}. */
export interface WebhookSigningKeysOptions {
  clock?: Clock;
  /** Told about every read attempt this class starts, and whether it failed (for logs and tests). */
  onReread?: (reason: RereadReason, outcome: "ok" | "failed") => void;
}

/**
 * Verifies webhooks against the current signing keys, and decides when the keys are read again:
 *
 * - a signature that matches no cached key re-reads the list (the sender may have rotated before
 *   our cache did), at most once per {@link WEBHOOK_KEY_REREAD_INTERVAL_MS} per process, so a flood
 *   of bad signatures costs at most one Secrets Manager read a second;
 * - a signature that matches only an older key re-reads the list before it is accepted (no reuse of
 *   an earlier read), so a key removed from the secret stops verifying at once;
 * - while Secrets Manager cannot be read, the last list read is used (a bad signature is a 401, not
 *   a 500) and no read is tried again for {@link WEBHOOK_KEY_REREAD_INTERVAL_MS}. Only a process that
 *   has never read the list fails the request (the error of the read).
 *
 * @example
 * ```ts
 * const keys = new WebhookSigningKeys(service.credentials.webhook);
 * const verified = await keys.verify(rawBody, headers);
 * ```
 */
export class WebhookSigningKeys {
  readonly #source: WebhookSecretSource;
  readonly #clock: Clock;
  readonly #onReread: WebhookSigningKeysOptions["onReread"];
  #lastKnown: readonly Buffer[] | undefined;
  #lastKnownFrom: WebhookSecrets | undefined;
  /** No re-read on a bad signature before this (clock ms): one a second at most. */
  #nextBadSignatureRead = Number.NEGATIVE_INFINITY;
  /** No read at all before this: a read failed just now, Secrets Manager is likely unavailable. */
  #nextReadAfterFailure = Number.NEGATIVE_INFINITY;

  constructor(source: WebhookSecretSource, options: WebhookSigningKeysOptions = {}) {
    this.#source = source;
    this.#clock = options.clock ?? systemClock;
    this.#onReread = options.onReread;
  }

  /**
   * Verifies `rawBody` and its Standard Webhooks headers; throws {@link WebhookVerificationError}
   * naming the header and the rule. `now` is the clock the timestamp window is checked against.
   */
  async verify(rawBody: Buffer, headers: WebhookHeaders, now: Clock = systemClock): Promise<VerifiedWebhook> {
    const check = (keys: readonly Buffer[]) => verifyWebhook(rawBody, headers, keys, now);
    let verified: VerifiedWebhook;
    try {
      verified = check(await this.#current());
    } catch (error) {
      if (!(error instanceof WebhookVerificationError && error.reason === "bad-signature")) throw error;
      const now = this.#clock.now();
      if (now < this.#nextBadSignatureRead || now < this.#nextReadAfterFailure) throw error;
      this.#nextBadSignatureRead = now + WEBHOOK_KEY_REREAD_INTERVAL_MS;
      const fresh = await this.#read("bad-signature");
      if (!fresh) throw error;
      return check(fresh);
    }
    if (verified.keyIndex > 0 && this.#clock.now() >= this.#nextReadAfterFailure) {
      const fresh = await this.#read("older-key");
      if (fresh) verified = check(fresh);
    }
    return verified;
  }

  /** The cached keys; the last known ones while a read fails (or right after one failed). */
  async #current(): Promise<readonly Buffer[]> {
    if (this.#lastKnown && this.#clock.now() < this.#nextReadAfterFailure) return this.#lastKnown;
    try {
      return this.#remember(await this.#source.get());
    } catch (error) {
      if (!this.#lastKnown) throw error;
      this.#nextReadAfterFailure = this.#clock.now() + WEBHOOK_KEY_REREAD_INTERVAL_MS;
      return this.#lastKnown;
    }
  }

  /**
   * A read that reuses no earlier one (only one under way): the pacing is this class's own.
   * Undefined when it failed (the caller keeps what it has).
   */
  async #read(reason: RereadReason): Promise<readonly Buffer[] | undefined> {
    try {
      const keys = this.#remember(await this.#source.refresh({ reuseWithinMs: 0 }));
      this.#onReread?.(reason, "ok");
      return keys;
    } catch {
      this.#nextReadAfterFailure = this.#clock.now() + WEBHOOK_KEY_REREAD_INTERVAL_MS;
      this.#onReread?.(reason, "failed");
      return undefined;
    }
  }

  /** Decodes a list once per read, and keeps it as the last known. */
  #remember(secrets: WebhookSecrets): readonly Buffer[] {
    if (secrets !== this.#lastKnownFrom || !this.#lastKnown) {
      this.#lastKnown = secrets.secrets.map(decodeWebhookSecret);
      this.#lastKnownFrom = secrets;
    }
    return this.#lastKnown;
  }
}
