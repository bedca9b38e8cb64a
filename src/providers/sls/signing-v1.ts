/** The SLS v1 signature (`Authorization: LOG id:base64(HMAC(secret, StringToSign))`). */
import { createHmac } from "node:crypto";
import type { SlsCredentials } from "../../credentials/types.ts";
import { buildV1StringToSign, contentMd5Hex, lowercaseHeaders } from "./canonical.ts";
import { SLS_V1_SCHEME, type SlsV1Algorithm } from "./constants.ts";

/** One request to sign. Header names may be in any case; they come back lowercased. */
export interface SlsRequestToSign {
  method: string;
  /** Unencoded path. */
  path: string;
  query: Readonly<Record<string, string>>;
  /** Headers to send (Host, Content-Type, x-log-*...), without Authorization. */
  headers: Readonly<Record<string, string>>;
  /** Exact body bytes; absent or empty means no body (no Content-MD5). */
  body?: Uint8Array | undefined;
}

/** Options of {@link signV1}. */
export interface SignV1Options {
  /** When the request is made; becomes the `Date` header (RFC 1123, GMT). */
  now: Date;
  /** Default `hmac-sha1`, what every official SDK sends. */
  algorithm?: SlsV1Algorithm;
}

/**
 * RFC 1123 date in GMT, as the `Date` header wants it.
 *
 * @example
 * ```ts
 * rfc1123Date(new Date(Date.UTC(2018, 4, 4, 8, 2, 22))); // "Fri, 04 May 2018 08:02:22 GMT"
 * ```
 */
export function rfc1123Date(when: Date): string {
  return when.toUTCString();
}

/**
 * The v1 signature value (the part after `LOG id:`) of a StringToSign.
 *
 * @example
 * ```ts
 * v1Signature("secret", stringToSign, "hmac-sha1"); // "+cxOZMcX...="
 * ```
 */
export function v1Signature(accessKeySecret: string, stringToSign: string, algorithm: SlsV1Algorithm): string {
  const hash = algorithm === "hmac-sha256" ? "sha256" : "sha1";
  return createHmac(hash, accessKeySecret).update(stringToSign, "utf8").digest("base64");
}

/**
 * Signs a request with v1: sets `date`, `x-log-signaturemethod`, `content-md5` (only with a
 * body), `x-acs-security-token` (only with an STS token) and `authorization`, and returns the
 * complete header set to send (names lowercased). Pure: same input, same output.
 *
 * @example
 * ```ts
 * const headers = signV1(
 *   { method: "GET", path: "/logstores/s/consumergroups", query: {}, headers: { host, "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0" } },
 *   { accessKeyId: "id", accessKeySecret: "secret" },
 *   { now: new Date() },
 * );
 * ```
 */
export function signV1(request: SlsRequestToSign, credentials: SlsCredentials, options: SignV1Options): Record<string, string> {
  const algorithm = options.algorithm ?? "hmac-sha1";
  const headers = lowercaseHeaders(request.headers);
  delete headers["authorization"];
  delete headers["content-md5"];
  headers["date"] = rfc1123Date(options.now);
  headers["x-log-signaturemethod"] = algorithm;
  if (request.body !== undefined && request.body.length > 0) headers["content-md5"] = contentMd5Hex(request.body);
  if (credentials.securityToken) headers["x-acs-security-token"] = credentials.securityToken;
  const stringToSign = buildV1StringToSign({ method: request.method, path: request.path, query: request.query, headers });
  headers["authorization"] =
    `${SLS_V1_SCHEME} ${credentials.accessKeyId}:${v1Signature(credentials.accessKeySecret, stringToSign, algorithm)}`;
  return headers;
}
