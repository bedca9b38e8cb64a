/**
 * Strict request authentication of the SLS sandbox: required headers, date skew, body digest
 * and the v1 / v4 signature, all recomputed from the request exactly as received.
 */
import { timingSafeEqual } from "node:crypto";
import {
  buildV1StringToSign,
  buildV4StringToSign,
  contentMd5Hex,
  sha256Hex,
  v1Date,
} from "../../providers/sls/canonical.ts";
import { SLS_API_VERSION } from "../../providers/sls/constants.ts";
import { v1Signature } from "../../providers/sls/signing-v1.ts";
import { v4Signature } from "../../providers/sls/signing-v4.ts";
import { SlsRejection } from "./rejection.ts";
import type { SlsSandboxAccount } from "./types.ts";

/** One request as it arrived. */
export interface ReceivedRequest {
  method: string;
  /** Decoded path. */
  path: string;
  /** Decoded query values. */
  query: Record<string, string>;
  /** Lowercased names, as node:http gives them. */
  headers: Record<string, string>;
  body: Buffer;
}

/** What the verifier checks against. */
export interface VerifierContext {
  accounts: ReadonlyMap<string, SlsSandboxAccount>;
  region: string;
  maxSkewMs: number;
  now: number;
}

/** `Fri, 04 May 2018 08:02:22 GMT` */
const RFC1123_GMT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** `20180504T080222Z` */
const V4_DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const V1_AUTHORIZATION = /^LOG ([^:\s]+):(\S+)$/;
const V4_AUTHORIZATION = /^SLS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/sls\/aliyun_v4_request,Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's headers, body digest and signature; returns the account that signed it,
 * or throws the {@link SlsRejection} SLS would answer with.
 *
 * @example
 * ```ts
 * const account = verifySlsRequest(received, { accounts, region: "cn-shanghai", maxSkewMs: 900_000, now: Date.now() });
 * ```
 */
export function verifySlsRequest(request: ReceivedRequest, context: VerifierContext): SlsSandboxAccount {
  const h = request.headers;
  const authorization = h["authorization"];
  if (authorization === undefined) throw new SlsRejection(401, "Unauthorized", "missing Authorization header");
  checkCommonHeaders(request);
  if (authorization.startsWith("LOG ")) return verifyV1(request, authorization, context);
  if (authorization.startsWith("SLS4-HMAC-SHA256 ")) return verifyV4(request, authorization, context);
  throw new SlsRejection(401, "Unauthorized", "unknown Authorization scheme");
}

/** `x-log-compresstype` values SLS documents. */
const COMPRESS_TYPES: ReadonlySet<string> = new Set(["lz4", "deflate", "zstd"]);

function checkCommonHeaders(request: ReceivedRequest): void {
  const h = request.headers;
  const apiVersion = h["x-log-apiversion"];
  if (apiVersion === undefined) throw new SlsRejection(400, "MissingAPIVersion", "x-log-apiversion is required");
  if (apiVersion !== SLS_API_VERSION) throw new SlsRejection(400, "InvalidAPIVersion", `x-log-apiversion must be ${SLS_API_VERSION}`);
  const rawSize = h["x-log-bodyrawsize"];
  if (rawSize !== undefined && !/^\d+$/.test(rawSize)) {
    throw new SlsRejection(400, "InvalidBodyRawSize", "x-log-bodyrawsize must be a decimal integer");
  }
  const compressType = h["x-log-compresstype"];
  if (compressType !== undefined) {
    if (!COMPRESS_TYPES.has(compressType)) throw new SlsRejection(400, "InvalidCompressType", `x-log-compresstype ${compressType} is unsupported`);
    // Only "in the compression scenario" (the error-code page); @alicloud/log sends JSON bodies without it.
    if (rawSize === undefined) throw new SlsRejection(400, "MissingBodyRawSize", "x-log-bodyrawsize is required with x-log-compresstype");
  }
  // A body always has a length here: node's parser reads one only when Content-Length or
  // `Transfer-Encoding: chunked` (what the Tea SDK sends with every body) frames it.
  if (request.body.length > 0) {
    const type = h["content-type"];
    if (type === undefined) throw new SlsRejection(400, "MissingContentType", "Content-Type is required with a body");
    if (type !== "application/json") throw new SlsRejection(415, "InvalidContentType", `Content-Type ${type} is unsupported`);
  }
}

function checkSkew(requestTime: number, context: VerifierContext): void {
  if (Math.abs(context.now - requestTime) > context.maxSkewMs) {
    throw new SlsRejection(400, "RequestTimeExpired", "the request time is too far from the server time");
  }
}

function findAccount(accessKeyId: string, request: ReceivedRequest, context: VerifierContext): SlsSandboxAccount {
  const account = context.accounts.get(accessKeyId);
  if (account === undefined) throw new SlsRejection(401, "InvalidAccessKeyId", "the AccessKeyId does not exist");
  const token = request.headers["x-acs-security-token"];
  if ((account.securityToken ?? undefined) !== token) {
    throw new SlsRejection(401, "Unauthorized", token === undefined ? "a security token is required" : "the security token is invalid");
  }
  if (token !== undefined && account.securityTokenExpiresAt !== undefined && context.now >= account.securityTokenExpiresAt) {
    throw new SlsRejection(401, "SecurityTokenExpired", "the security token has expired");
  }
  return account;
}

/** Compares two signatures without an early exit. */
function sameSignature(received: string, expected: string): boolean {
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function verifyV1(request: ReceivedRequest, authorization: string, context: VerifierContext): SlsSandboxAccount {
  const h = request.headers;
  const date = v1Date(h);
  if (date === "") throw new SlsRejection(400, "MissingDate", "Date is required");
  const parsed = Date.parse(date);
  if (!RFC1123_GMT.test(date) || Number.isNaN(parsed)) throw new SlsRejection(400, "InvalidDateFormat", "Date must be RFC 1123 GMT");
  checkSkew(parsed, context);
  const method = h["x-log-signaturemethod"];
  if (method === undefined) throw new SlsRejection(400, "MissingSignatureMethod", "x-log-signaturemethod is required");
  if (method !== "hmac-sha1" && method !== "hmac-sha256") {
    throw new SlsRejection(400, "InvalidSignatureMethod", "x-log-signaturemethod must be hmac-sha1 or hmac-sha256");
  }
  // An empty `Content-MD5:` (the Tea SDK sends one on GET and DELETE) is the same as none.
  const md5 = h["content-md5"] || undefined;
  if (request.body.length > 0 && md5 === undefined) throw new SlsRejection(400, "MissingContentMD5", "Content-MD5 is required with a body");
  if (md5 !== undefined && md5 !== contentMd5Hex(request.body)) {
    throw new SlsRejection(400, "InvalidContentMD5", "Content-MD5 does not match the body");
  }
  const match = V1_AUTHORIZATION.exec(authorization);
  if (!match) throw new SlsRejection(401, "Unauthorized", "malformed Authorization header");
  const [, accessKeyId = "", signature = ""] = match;
  const account = findAccount(accessKeyId, request, context);
  const expected = v1Signature(account.accessKeySecret, buildV1StringToSign(request), method);
  if (!sameSignature(signature, expected)) throw new SlsRejection(401, "SignatureNotMatch", "the request signature does not match");
  return account;
}

function verifyV4(request: ReceivedRequest, authorization: string, context: VerifierContext): SlsSandboxAccount {
  const h = request.headers;
  const dateTime = h["x-log-date"];
  if (dateTime === undefined) throw new SlsRejection(400, "MissingDate", "x-log-date is required");
  const parts = V4_DATE_TIME.exec(dateTime);
  if (!parts) throw new SlsRejection(400, "InvalidDateFormat", "x-log-date must be YYYYMMDDTHHMMSSZ");
  const [, y, mo, d, hh, mi, ss] = parts.map(Number) as [number, number, number, number, number, number, number];
  checkSkew(Date.UTC(y, mo - 1, d, hh, mi, ss), context);
  const contentSha256 = h["x-log-content-sha256"];
  if (contentSha256 === undefined) throw new SlsRejection(400, "MissingContentSha256", "x-log-content-sha256 is required");
  if (contentSha256 !== sha256Hex(request.body)) {
    throw new SlsRejection(400, "InvalidContentSha256", "x-log-content-sha256 does not match the body");
  }
  if (h["host"] === undefined) throw new SlsRejection(400, "MissingHost", "Host is required");
  const match = V4_AUTHORIZATION.exec(authorization);
  if (!match) throw new SlsRejection(401, "Unauthorized", "malformed Authorization header");
  const [, accessKeyId = "", scopeDate = "", region = "", signature = ""] = match;
  const account = findAccount(accessKeyId, request, context);
  if (scopeDate !== dateTime.slice(0, 8)) throw new SlsRejection(401, "SignatureNotMatch", "the credential scope date differs from x-log-date");
  if (region !== context.region) throw new SlsRejection(401, "SignatureNotMatch", "the credential scope region is not this region");
  const expected = v4Signature(account.accessKeySecret, scopeDate, region, buildV4StringToSign(request, region));
  if (!sameSignature(signature, expected)) throw new SlsRejection(401, "SignatureNotMatch", "the request signature does not match");
  return account;
}
