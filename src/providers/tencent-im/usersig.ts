/**
 * TLSSigAPIv2 UserSig: what every IM REST call carries in its query string to prove it comes
 * from the app admin. Byte-compatible with the official SDKs (see `vectors/im-usersig.json`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";

/** Inputs of one UserSig. */
export interface UserSigParams {
  sdkAppId: number;
  identifier: string;
  /** The app's secret key; its UTF-8 bytes are the HMAC key (it is NOT hex-decoded). */
  secretKey: string;
  /** Lifetime in seconds from `time`. */
  expireSeconds: number;
  /** Issue time in epoch seconds. */
  timeSeconds: number;
  /** Optional opaque bytes bound into the signature (privilege maps). */
  userbuf?: Uint8Array | undefined;
}

/** The JSON document inside a UserSig, as the official SDKs lay it out. */
export interface UserSigDocument {
  "TLS.ver": "2.0";
  "TLS.identifier": string;
  "TLS.sdkappid": number;
  "TLS.time": number;
  "TLS.expire": number;
  "TLS.userbuf"?: string;
  "TLS.sig": string;
}

/** Why a UserSig was refused. */
export type UserSigFailure =
  /** Not base64url-variant, not zlib, not JSON, or a field missing or of the wrong type. */
  | "malformed"
  /** `TLS.sdkappid` is not the expected app. */
  | "sdkappid-mismatch"
  /** `TLS.identifier` is not the expected account. */
  | "identifier-mismatch"
  /** `TLS.sig` is not the HMAC of the content under the given key. */
  | "signature-mismatch"
  /** `now` is past `TLS.time + TLS.expire`. */
  | "expired";

/** The outcome of {@link verifyUserSig}. */
export type UserSigVerification =
  | { ok: true; document: UserSigDocument; /** Epoch seconds after which it is expired. */ expiresAt: number }
  | { ok: false; reason: UserSigFailure };

/** What {@link verifyUserSig} checks the UserSig against. */
export interface UserSigExpectation {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
  /** Current time in epoch seconds. */
  nowSeconds: number;
}

/**
 * The exact text that is HMAC-signed. Field order and the trailing "\n" are part of it.
 *
 * @example
 * ```ts
 * userSigContent({ sdkAppId: 1400000000, identifier: "admin", secretKey: "k", expireSeconds: 86400, timeSeconds: 1700000000 });
 * // "TLS.identifier:admin\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:86400\n"
 * ```
 */
export function userSigContent(params: Omit<UserSigParams, "secretKey">): string {
  let content =
    `TLS.identifier:${params.identifier}\n` +
    `TLS.sdkappid:${params.sdkAppId}\n` +
    `TLS.time:${params.timeSeconds}\n` +
    `TLS.expire:${params.expireSeconds}\n`;
  if (params.userbuf !== undefined) content += `TLS.userbuf:${Buffer.from(params.userbuf).toString("base64")}\n`;
  return content;
}

/**
 * `TLS.sig`: base64 of HMAC-SHA256 over {@link userSigContent}, keyed by the secret key's UTF-8 bytes.
 *
 * @example
 * ```ts
 * const sig = userSigSignature({ sdkAppId: 1400000000, identifier: "admin", secretKey: key, expireSeconds: 86400, timeSeconds: t });
 * ```
 */
export function userSigSignature(params: UserSigParams): string {
  return createHmac("sha256", Buffer.from(params.secretKey, "utf8")).update(userSigContent(params), "utf8").digest("base64");
}

/**
 * The JSON document a UserSig wraps, keys in the order of the official Node SDK.
 *
 * @example
 * ```ts
 * userSigDocument(params)["TLS.sig"]; // same as userSigSignature(params)
 * ```
 */
export function userSigDocument(params: UserSigParams): UserSigDocument {
  // Key order of the official Node SDK (cosmetic: servers parse the JSON).
  return {
    "TLS.ver": "2.0",
    "TLS.identifier": params.identifier,
    "TLS.sdkappid": params.sdkAppId,
    "TLS.time": params.timeSeconds,
    "TLS.expire": params.expireSeconds,
    ...(params.userbuf === undefined ? {} : { "TLS.userbuf": Buffer.from(params.userbuf).toString("base64") }),
    "TLS.sig": userSigSignature(params),
  };
}

/**
 * Makes a UserSig: base64(zlib(json(doc))) with the URL-safe substitutions `+`→`*`, `/`→`-`, `=`→`_`.
 *
 * @example
 * ```ts
 * const usersig = generateUserSig({ sdkAppId, identifier: "administrator", secretKey, expireSeconds: 86400, timeSeconds: Math.floor(Date.now() / 1000) });
 * ```
 */
export function generateUserSig(params: UserSigParams): string {
  const json = JSON.stringify(userSigDocument(params));
  return toUserSigBase64(deflateSync(Buffer.from(json, "utf8")));
}

/**
 * Unwraps a UserSig into its JSON document without checking the signature; undefined when it
 * is not a well-formed UserSig.
 *
 * @example
 * ```ts
 * decodeUserSig(usersig)?.["TLS.identifier"]; // "administrator"
 * ```
 */
export function decodeUserSig(usersig: string): UserSigDocument | undefined {
  const standard = usersig.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
  if (standard.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(standard)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateSync(Buffer.from(standard, "base64")).toString("utf8"));
  } catch {
    return undefined;
  }
  return asUserSigDocument(parsed);
}

/**
 * Checks a UserSig the way the IM server does: structure, app, account, signature, expiry.
 * Never throws for a bad UserSig; the failure reason carries no secret.
 *
 * @example
 * ```ts
 * const result = verifyUserSig(usersig, { sdkAppId, identifier: "administrator", secretKey, nowSeconds: Math.floor(Date.now() / 1000) });
 * if (!result.ok) console.log(result.reason); // "expired"
 * ```
 */
export function verifyUserSig(usersig: string, expected: UserSigExpectation): UserSigVerification {
  const doc = decodeUserSig(usersig);
  if (doc === undefined) return { ok: false, reason: "malformed" };
  if (doc["TLS.sdkappid"] !== expected.sdkAppId) return { ok: false, reason: "sdkappid-mismatch" };
  if (doc["TLS.identifier"] !== expected.identifier) return { ok: false, reason: "identifier-mismatch" };
  const userbuf = doc["TLS.userbuf"] === undefined ? undefined : Buffer.from(doc["TLS.userbuf"], "base64");
  const recomputed = Buffer.from(
    userSigSignature({
      sdkAppId: doc["TLS.sdkappid"],
      identifier: doc["TLS.identifier"],
      secretKey: expected.secretKey,
      expireSeconds: doc["TLS.expire"],
      timeSeconds: doc["TLS.time"],
      userbuf,
    }),
    "base64",
  );
  const presented = Buffer.from(doc["TLS.sig"], "base64");
  if (presented.length !== recomputed.length || !timingSafeEqual(presented, recomputed)) {
    return { ok: false, reason: "signature-mismatch" };
  }
  const expiresAt = doc["TLS.time"] + doc["TLS.expire"];
  if (expected.nowSeconds > expiresAt) return { ok: false, reason: "expired" };
  return { ok: true, document: doc, expiresAt };
}

function toUserSigBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

/** Official implementations write numbers; some older ones wrote numeric strings. Accept both. */
function asInteger(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function asUserSigDocument(value: unknown): UserSigDocument | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const identifier = raw["TLS.identifier"];
  const sig = raw["TLS.sig"];
  const userbuf = raw["TLS.userbuf"];
  const sdkAppId = asInteger(raw["TLS.sdkappid"]);
  const time = asInteger(raw["TLS.time"]);
  const expire = asInteger(raw["TLS.expire"]);
  if (raw["TLS.ver"] !== "2.0" || typeof identifier !== "string" || typeof sig !== "string") return undefined;
  if (sdkAppId === undefined || time === undefined || expire === undefined) return undefined;
  if (userbuf !== undefined && typeof userbuf !== "string") return undefined;
  const doc: UserSigDocument = {
    "TLS.ver": "2.0",
    "TLS.identifier": identifier,
    "TLS.sdkappid": sdkAppId,
    "TLS.time": time,
    "TLS.expire": expire,
    "TLS.sig": sig,
  };
  if (userbuf !== undefined) doc["TLS.userbuf"] = userbuf;
  return doc;
}
