/** The SLS v4 signature (`SLS4-HMAC-SHA256`, opt-in; required for `-acdr-ut-` regions). */
import { createHmac } from "node:crypto";
import type { SlsCredentials } from "../../credentials/types.ts";
import { buildV4StringToSign, lowercaseHeaders, sha256Hex, v4Scope } from "./canonical.ts";
import { SLS_V4_SCHEME } from "./constants.ts";
import type { SlsRequestToSign } from "./signing-v1.ts";

/** Options of {@link signV4}. */
export interface SignV4Options {
  /** When the request is made; becomes `x-log-date`. */
  now: Date;
  /** The SLS region, e.g. `cn-shanghai`. */
  region: string;
}

/**
 * `YYYYMMDDTHHMMSSZ` in UTC, the `x-log-date` format.
 *
 * @example
 * ```ts
 * v4DateTime(new Date(Date.UTC(2018, 4, 4, 8, 2, 22))); // "20180504T080222Z"
 * ```
 */
export function v4DateTime(when: Date): string {
  return when.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * The v4 signature (hex) of a StringToSign: HMAC-SHA256 chain over `"aliyun_v4"+secret` →
 * date → region → "sls" → "aliyun_v4_request", then over the StringToSign.
 *
 * @example
 * ```ts
 * v4Signature("secret", "20180504", "cn-shanghai", stringToSign);
 * ```
 */
export function v4Signature(accessKeySecret: string, date: string, region: string, stringToSign: string): string {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
  const signingKey = hmac(hmac(hmac(hmac(`aliyun_v4${accessKeySecret}`, date), region), "sls"), "aliyun_v4_request");
  return createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");
}

/**
 * Signs a request with v4: sets `x-log-date`, `x-log-content-sha256`, `x-acs-security-token`
 * (only with an STS token) and `authorization`, and returns the complete header set to send
 * (names lowercased). Add `User-Agent` and `Content-Length` afterwards or before: v4 does not
 * sign them.
 *
 * @example
 * ```ts
 * const headers = signV4(request, { accessKeyId: "id", accessKeySecret: "secret" }, { now: new Date(), region: "cn-shanghai" });
 * ```
 */
export function signV4(request: SlsRequestToSign, credentials: SlsCredentials, options: SignV4Options): Record<string, string> {
  const headers = lowercaseHeaders(request.headers);
  delete headers["authorization"];
  const dateTime = v4DateTime(options.now);
  headers["x-log-date"] = dateTime;
  headers["x-log-content-sha256"] = sha256Hex(request.body ?? new Uint8Array());
  if (credentials.securityToken) headers["x-acs-security-token"] = credentials.securityToken;
  const stringToSign = buildV4StringToSign(
    { method: request.method, path: request.path, query: request.query, headers },
    options.region,
  );
  const signature = v4Signature(credentials.accessKeySecret, dateTime.slice(0, 8), options.region, stringToSign);
  headers["authorization"] =
    `${SLS_V4_SCHEME} Credential=${credentials.accessKeyId}/${v4Scope(dateTime, options.region)},Signature=${signature}`;
  return headers;
}
