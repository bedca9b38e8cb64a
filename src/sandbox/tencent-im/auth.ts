/**
 * The sandbox's check of the REST envelope, as strict as IM: POST only, every query parameter
 * present and well-formed, and a UserSig made by this app's key for the app admin, not expired,
 * not invalidated.
 */
import { IM_COMMANDS } from "../../providers/tencent-im/constants.ts";
import { verifyUserSig, type UserSigVerification } from "../../providers/tencent-im/usersig.ts";
import { IM_SANDBOX_CODES as CODES, ImRejection } from "./rejection.ts";
import type { ImSandboxApp } from "./types.ts";

/** An app plus what the sandbox learned about its UserSigs. */
export interface AuthApp extends ImSandboxApp {
  /** UserSigs with `TLS.time` at or before this (epoch s) were invalidated (70052). */
  invalidatedThrough: number;
}

const RANDOM_MAX = 4_294_967_295;

/** A UserSig whose structure and signature this app's key verified, kept with that key. */
interface VerifiedUserSig {
  secretKey: string;
  result: Extract<UserSigVerification, { ok: true }>;
}

/**
 * UserSigs already verified, per app. A client sends the same cached UserSig on every call, and
 * inflating and re-signing it was the sandbox's largest cost per request; a hit still checks
 * identifier, expiry and invalidation on every request, so it answers exactly as a full check.
 */
const verifiedByApp = new WeakMap<AuthApp, Map<string, VerifiedUserSig>>();
const VERIFIED_PER_APP = 64;

/** {@link verifyUserSig}, remembering the UserSigs whose signature holds. */
function verifyRemembered(usersig: string, app: AuthApp, identifier: string, nowSeconds: number): UserSigVerification {
  let verified = verifiedByApp.get(app);
  const hit = verified?.get(usersig);
  if (hit !== undefined && hit.secretKey === app.secretKey) {
    if (hit.result.document["TLS.identifier"] !== identifier) return { ok: false, reason: "identifier-mismatch" };
    return nowSeconds > hit.result.expiresAt ? { ok: false, reason: "expired" } : hit.result;
  }
  const result = verifyUserSig(usersig, { sdkAppId: app.sdkAppId, identifier, secretKey: app.secretKey, nowSeconds });
  // Only a signature that holds is remembered; "expired" is re-decided per request like a hit.
  if (result.ok) {
    if (verified === undefined) verifiedByApp.set(app, (verified = new Map()));
    if (verified.size >= VERIFIED_PER_APP) verified.clear();
    verified.set(usersig, { secretKey: app.secretKey, result });
  }
  return result;
}

/**
 * The account service (account_import, multiaccount_import) answers a non-admin identifier with
 * its own code, 70403; the group service with 60010.
 */
const ACCOUNT_SERVICE: string = IM_COMMANDS.account_import;

/**
 * Checks method, query and UserSig; returns the app and the accepted UserSig, or throws an
 * {@link ImRejection} with the code IM would answer.
 *
 * @example
 * ```ts
 * const { app } = authenticate("POST", url.searchParams, apps, Math.floor(Date.now() / 1000), "group_open_http_svc");
 * ```
 */
export function authenticate(
  method: string,
  query: URLSearchParams,
  apps: ReadonlyMap<number, AuthApp>,
  nowSeconds: number,
  service: string,
): { app: AuthApp; usersig: string } {
  if (method !== "POST") throw new ImRejection(CODES.httpParse, "HTTP method must be POST");
  if (query.get("contenttype") !== "json") throw new ImRejection(CODES.httpParse, "contenttype must be json");
  const random = query.get("random");
  if (random === null || !/^\d{1,10}$/.test(random) || Number(random) > RANDOM_MAX) {
    throw new ImRejection(CODES.httpParse, "random must be an integer in 0..4294967295");
  }
  const sdkAppIdText = query.get("sdkappid");
  if (sdkAppIdText === null || !/^\d{1,12}$/.test(sdkAppIdText)) throw new ImRejection(CODES.httpParse, "sdkappid is required");
  const identifier = query.get("identifier");
  if (identifier === null || identifier === "") throw new ImRejection(CODES.httpParse, "identifier is required");
  const usersig = query.get("usersig");
  if (usersig === null || usersig === "") throw new ImRejection(CODES.userSigInvalid, "usersig is required");

  const app = apps.get(Number(sdkAppIdText));
  if (app === undefined) throw new ImRejection(CODES.sdkAppIdNotFound, "SDKAppID not found");
  const result = verifyRemembered(usersig, app, identifier, nowSeconds);
  if (!result.ok) {
    switch (result.reason) {
      case "malformed":
        throw new ImRejection(CODES.userSigInvalid, "invalid UserSig");
      case "sdkappid-mismatch":
        throw new ImRejection(CODES.sdkAppIdMismatch, "UserSig sdkappid does not match the request");
      case "identifier-mismatch":
        throw new ImRejection(CODES.identifierMismatch, "UserSig identifier does not match the request");
      case "signature-mismatch":
        throw new ImRejection(CODES.userSigVerifyFailed, "UserSig verification failed");
      case "expired":
        throw new ImRejection(CODES.userSigExpired, "UserSig expired");
    }
  }
  if (result.document["TLS.time"] <= app.invalidatedThrough) throw new ImRejection(CODES.userSigInvalidated, "UserSig invalidated");
  if (identifier !== app.adminIdentifier) {
    const code = service === ACCOUNT_SERVICE ? CODES.accountAdminRequired : CODES.adminRequired;
    throw new ImRejection(code, "REST API requires the app admin");
  }
  return { app, usersig };
}
