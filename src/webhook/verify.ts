import { createHmac, timingSafeEqual } from "node:crypto";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { WebhookVerificationError } from "./errors.ts";

/** Standard Webhooks allows ±5 minutes between the sender's timestamp and ours. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** Longest webhook-id accepted (Standard Webhooks ids are short; this bounds what is stored). */
export const MAX_WEBHOOK_ID_BYTES = 256;

/** The three Standard Webhooks headers, already read (any case) from the request. */
export interface WebhookHeaders {
  "webhook-id"?: string | undefined;
  "webhook-timestamp"?: string | undefined;
  "webhook-signature"?: string | undefined;
}

/** What a verified webhook carries besides its body. */
export interface VerifiedWebhook {
  id: string;
  /** Sender's timestamp, epoch seconds. */
  timestamp: number;
  /** Index in the key list of the key that matched (0 = the newest secret). */
  keyIndex: number;
}

/**
 * Decodes a `whsec_<base64>` secret to its key bytes.
 *
 * @example
 * ```ts
 * const key = decodeWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
 * ```
 */
export function decodeWebhookSecret(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
}

/**
 * Verifies a Standard Webhooks signature (HMAC-SHA256 `v1`) over the raw body bytes, against
 * every current secret (rotation), with ±5 minutes of clock tolerance.
 *
 * Written here rather than calling `standardwebhooks`' `verify` (which the tests use as the
 * reference signer): that one turns the body into a string before signing it, which changes
 * non-UTF-8 bytes, reads `Date.now()` with no way to inject a clock, and hashes in pure JS.
 *
 * @example
 * ```ts
 * const { id } = verifyWebhook(rawBody, headers, secrets.map(decodeWebhookSecret));
 * ```
 */
export function verifyWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  keys: readonly Buffer[],
  clock: Clock = systemClock,
): VerifiedWebhook {
  const id = headers["webhook-id"];
  const timestampHeader = headers["webhook-timestamp"];
  const signatureHeader = headers["webhook-signature"];
  for (const [name, value] of [
    ["webhook-id", id],
    ["webhook-timestamp", timestampHeader],
    ["webhook-signature", signatureHeader],
  ] as const) {
    if (!value) throw new WebhookVerificationError("missing-header", name, "required");
  }
  if (!/^[\x21-\x7e]+$/.test(id ?? "") || Buffer.byteLength(id ?? "") > MAX_WEBHOOK_ID_BYTES) {
    throw new WebhookVerificationError("bad-id", "webhook-id", `at most ${MAX_WEBHOOK_ID_BYTES} printable ASCII characters`);
  }
  if (!/^\d{1,12}$/.test(timestampHeader ?? "")) {
    throw new WebhookVerificationError("bad-timestamp", "webhook-timestamp", "must be integer seconds since the epoch");
  }
  const timestamp = Number(timestampHeader);
  const now = Math.floor(clock.now() / 1000);
  if (now - timestamp > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError("stale", "webhook-timestamp", "older than 5 minutes");
  }
  if (timestamp - now > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError("future", "webhook-timestamp", "more than 5 minutes in the future");
  }

  const offered = (signatureHeader ?? "")
    .split(" ")
    .map((s) => s.split(","))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === "v1")
    .map(([, sig]) => Buffer.from(sig, "base64"));
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), rawBody]);
  for (const [keyIndex, key] of keys.entries()) {
    const expected = createHmac("sha256", key).update(signed).digest();
    if (offered.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected))) {
      return { id: id ?? "", timestamp, keyIndex };
    }
  }
  throw new WebhookVerificationError("bad-signature", "webhook-signature", "no v1 signature matches a current secret");
}
