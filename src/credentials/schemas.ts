/**
 * zod schemas for the JSON held in the service's Secrets Manager secrets. Every message written
 * here is a rule, never a value: these messages reach error text (see `src/validation/zod-issues.ts`).
 */
import * as z from "zod/mini";
import type { ImCredentials, SlsCredentials, WebhookSecrets } from "./types.ts";
import { WEBHOOK_SECRET_MIN_BYTES, WEBHOOK_SECRET_PREFIX } from "./constants.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A non-empty credential string. A pasted trailing newline breaks signatures silently, so reject it here. */
const credentialString = z.string().check(
  z.minLength(1),
  z.refine((s) => s.trim() === s, "must not start or end with whitespace"),
);

/**
 * True for a Standard Webhooks secret: `whsec_` + canonical base64 of at least 24 bytes.
 *
 * @example
 * ```ts
 * isStandardWebhookSecret("whsec_" + randomBytes(32).toString("base64")); // true
 * ```
 */
export function isStandardWebhookSecret(value: string): boolean {
  if (!value.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = value.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return false;
  return Buffer.from(encoded, "base64").length >= WEBHOOK_SECRET_MIN_BYTES;
}

/**
 * SLS secret: `{ accessKeyId, accessKeySecret, securityToken? }`.
 *
 * @example
 * ```ts
 * const creds = slsCredentialsSchema.parse(JSON.parse(secretString));
 * ```
 */
export const slsCredentialsSchema: z.ZodMiniType<SlsCredentials> = z.object({
  accessKeyId: credentialString,
  accessKeySecret: credentialString,
  securityToken: z.optional(credentialString),
});

/** IM SDKAppID: a JSON number or a numeric string (consoles show it as text), as a number. */
const sdkAppId = z.pipe(
  z.pipe(
    z.union([z.number(), z.string().check(z.refine((s) => /^[0-9]+$/.test(s), "must be a positive integer or a string of digits"))]),
    z.transform(Number),
  ),
  z.int().check(z.positive()), // int() also caps at MAX_SAFE_INTEGER
);

/**
 * Tencent IM secret: `{ sdkAppId, secretKey, adminIdentifier }`; `sdkAppId` may be a numeric string.
 *
 * @example
 * ```ts
 * const creds = imCredentialsSchema.parse({ sdkAppId: "1400000000", secretKey: "k", adminIdentifier: "administrator" });
 * creds.sdkAppId; // 1400000000
 * ```
 */
export const imCredentialsSchema: z.ZodMiniType<ImCredentials> = z.object({
  sdkAppId,
  secretKey: credentialString,
  adminIdentifier: credentialString,
});

/**
 * Webhook secret: `{ secrets: ["whsec_…", …] }`, newest first; more than one during rotation.
 *
 * @example
 * ```ts
 * const { secrets } = webhookSecretsSchema.parse({ secrets: ["whsec_" + key.toString("base64")] });
 * ```
 */
export const webhookSecretsSchema: z.ZodMiniType<WebhookSecrets> = z.object({
  secrets: z
    .array(
      z.string().check(
        z.refine(
          isStandardWebhookSecret,
          `must be "${WEBHOOK_SECRET_PREFIX}" followed by base64 of at least ${WEBHOOK_SECRET_MIN_BYTES} bytes`,
        ),
      ),
    )
    .check(z.minLength(1)),
});
