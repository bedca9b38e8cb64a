/**
 * The canonical forms SLS signs, shared by the signers (client side) and the sandbox's verifier
 * (server side). Every builder reads the headers AS SENT, so a verifier that feeds it the
 * received headers checks exactly what arrived.
 */
import { createHash } from "node:crypto";
import { SLS_V4_SCHEME } from "./constants.ts";

/** One request as the signers see it. Header names may be in any case. */
export interface SlsCanonicalRequest {
  method: string;
  /** The path, unencoded (`/logstores/my-logstore/consumergroups`). */
  path: string;
  /** Query parameters, decoded values; an empty value is a parameter too. */
  query: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string>>;
}

/**
 * Header names lowercased. SLS header names are case-insensitive; a later duplicate wins.
 *
 * @example
 * ```ts
 * lowercaseHeaders({ "Content-Type": "application/json" }); // { "content-type": "application/json" }
 * ```
 */
export function lowercaseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * UPPERCASE hex MD5 of the exact body bytes: the v1 `Content-MD5`.
 *
 * @example
 * ```ts
 * contentMd5Hex(Buffer.from("{}")); // "99914B932BD37A50B983C5E7C90AE93B"
 * ```
 */
export function contentMd5Hex(body: Uint8Array): string {
  return createHash("md5").update(body).digest("hex").toUpperCase();
}

/**
 * Lowercase hex SHA-256 of the body bytes: the v4 `x-log-content-sha256`.
 *
 * @example
 * ```ts
 * sha256Hex(new Uint8Array()); // "e3b0c442...b855"
 * ```
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** True for the headers both signature versions sign besides the fixed ones. */
function isLogOrAcsHeader(lowercaseName: string): boolean {
  return lowercaseName.startsWith("x-log-") || lowercaseName.startsWith("x-acs-");
}

/** Bytewise order (not locale order), as the SDKs' sorts do on ASCII names. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `x-log-date` is not signed in v1: the Python SDK adds it (= Date) after signing, on every
 * request, so that a proxy that drops `Date` leaves the server a date to check.
 */
const V1_UNSIGNED_LOG_HEADERS: ReadonlySet<string> = new Set(["x-log-date"]);

/**
 * v1 CanonicalizedLOGHeaders: every `x-log-*` and `x-acs-*` header but `x-log-date`,
 * lowercased, sorted, `name:value`, joined by "\n" without a trailing one.
 *
 * @example
 * ```ts
 * canonicalizedLogHeaders({ "x-log-bodyrawsize": "0", "x-log-apiversion": "0.6.0" });
 * // "x-log-apiversion:0.6.0\nx-log-bodyrawsize:0"
 * ```
 */
export function canonicalizedLogHeaders(headers: Readonly<Record<string, string>>): string {
  const lower = lowercaseHeaders(headers);
  return Object.keys(lower)
    .filter((name) => isLogOrAcsHeader(name) && !V1_UNSIGNED_LOG_HEADERS.has(name))
    .sort(byCodeUnit)
    .map((name) => `${name}:${lower[name] ?? ""}`)
    .join("\n");
}

/**
 * v1 CanonicalizedResource: the path, then `?k=v&k=v` sorted BY KEY with raw values (`k=` when
 * empty). Sorting the joined `k=v` strings instead (as `@alicloud/log` does) puts `a_b=1`
 * before `a=1`, which the server rejects.
 *
 * @example
 * ```ts
 * canonicalizedResource("/logstores", { size: "10", offset: "0" }); // "/logstores?offset=0&size=10"
 * ```
 */
export function canonicalizedResource(path: string, query: Readonly<Record<string, string>>): string {
  const keys = Object.keys(query).sort(byCodeUnit);
  if (keys.length === 0) return path;
  return `${path}?${keys.map((k) => `${k}=${query[k] ?? ""}`).join("&")}`;
}

/**
 * The v1 DATE: the `Date` header, or, when a request carries none, its `x-log-date` (what is left
 * when a proxy dropped `Date` from a Python SDK request); "" when it has neither.
 *
 * @example
 * ```ts
 * v1Date({ "x-log-date": "Fri, 04 May 2018 08:02:22 GMT" }); // "Fri, 04 May 2018 08:02:22 GMT"
 * ```
 */
export function v1Date(headers: Readonly<Record<string, string>>): string {
  const h = lowercaseHeaders(headers);
  return h["date"] ?? h["x-log-date"] ?? "";
}

/**
 * The v1 StringToSign:
 * `VERB\nCONTENT-MD5\nCONTENT-TYPE\nDATE\nCanonicalizedLOGHeaders\nCanonicalizedResource`.
 * Content-MD5, Content-Type and Date are read from the headers as sent ("" when absent; an empty
 * `Content-MD5:` is the same as none), DATE as {@link v1Date} says.
 *
 * @example
 * ```ts
 * const sts = buildV1StringToSign({ method: "GET", path: "/logstores/s/consumergroups", query: {}, headers });
 * ```
 */
export function buildV1StringToSign(request: SlsCanonicalRequest): string {
  const h = lowercaseHeaders(request.headers);
  const logHeaders = canonicalizedLogHeaders(h);
  return [
    request.method.toUpperCase(),
    h["content-md5"] ?? "",
    h["content-type"] ?? "",
    v1Date(h),
    // With no x-log-* or x-acs-* header there is no line for them at all.
    ...(logHeaders === "" ? [] : [logHeaders]),
    canonicalizedResource(request.path, request.query),
  ].join("\n");
}

/**
 * Percent-encoding of the v4 canonical query, as the Python, Go and Tea SDKs do it: RFC 3986,
 * UTF-8 bytes, space as `%20`; only the unreserved `A-Z a-z 0-9 - _ . ~` stay literal (`~`
 * included), so `!'()*`, which encodeURIComponent leaves alone, are encoded too.
 *
 * @example
 * ```ts
 * v4UrlEncode("a b~*"); // "a%20b~%2A"
 * ```
 */
export function v4UrlEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/**
 * v4 canonical query: encoded keys sorted, `key=value`, or `key` alone when the value is empty.
 *
 * @example
 * ```ts
 * v4CanonicalQuery({ b: "", a: "x y" }); // "a=x%20y&b"
 * ```
 */
export function v4CanonicalQuery(query: Readonly<Record<string, string>>): string {
  const encoded = Object.entries(query).map(([k, v]) => [v4UrlEncode(k), v4UrlEncode(v)] as const);
  encoded.sort((a, b) => byCodeUnit(a[0], b[0]));
  return encoded.map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join("&");
}

/**
 * The v4 signed header names: content-type, host and every x-log-* and x-acs-* header present,
 * lowercased and sorted.
 *
 * @example
 * ```ts
 * v4SignedHeaderNames({ Host: "p.e", "User-Agent": "x", "x-log-date": "..." }); // ["host", "x-log-date"]
 * ```
 */
export function v4SignedHeaderNames(headers: Readonly<Record<string, string>>): string[] {
  return Object.keys(lowercaseHeaders(headers))
    .filter((n) => n === "content-type" || n === "host" || isLogOrAcsHeader(n))
    .sort(byCodeUnit);
}

/**
 * The v4 canonical request. The payload hash is the `x-log-content-sha256` header as sent.
 *
 * @example
 * ```ts
 * const canonical = buildV4CanonicalRequest({ method: "GET", path: "/logstores/s/consumergroups", query: {}, headers });
 * ```
 */
export function buildV4CanonicalRequest(request: SlsCanonicalRequest): string {
  const h = lowercaseHeaders(request.headers);
  const names = v4SignedHeaderNames(h);
  const canonicalHeaders = names.map((n) => `${n}:${(h[n] ?? "").trim()}\n`).join("");
  return [
    request.method.toUpperCase(),
    request.path,
    v4CanonicalQuery(request.query),
    canonicalHeaders,
    names.join(";"),
    h["x-log-content-sha256"] ?? "",
  ].join("\n");
}

/**
 * The v4 credential scope `{YYYYMMDD}/{region}/sls/aliyun_v4_request`.
 *
 * @example
 * ```ts
 * v4Scope("20180504T080222Z", "cn-shanghai"); // "20180504/cn-shanghai/sls/aliyun_v4_request"
 * ```
 */
export function v4Scope(dateTime: string, region: string): string {
  return `${dateTime.slice(0, 8)}/${region}/sls/aliyun_v4_request`;
}

/**
 * The v4 StringToSign: scheme, `x-log-date` as sent, scope, hex sha256 of the canonical request.
 *
 * @example
 * ```ts
 * const sts = buildV4StringToSign({ method, path, query, headers }, "cn-shanghai");
 * ```
 */
export function buildV4StringToSign(request: SlsCanonicalRequest, region: string): string {
  const dateTime = lowercaseHeaders(request.headers)["x-log-date"] ?? "";
  return [SLS_V4_SCHEME, dateTime, v4Scope(dateTime, region), sha256Hex(buildV4CanonicalRequest(request))].join("\n");
}
