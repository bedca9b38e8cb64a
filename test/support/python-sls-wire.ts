/**
 * The requests the official Python SDK (aliyun-log-python-sdk) puts on the wire, rebuilt step
 * by step from its source so the sandbox can be driven with them without a Python runtime.
 * Independent of src/providers/sls on purpose: a shared mistake would otherwise go unseen.
 *
 * Source (github:aliyun/aliyun-log-python-sdk at 3e3a611, read with `fetch`):
 * - aliyun/log/logclient.py `LogClient._send`: Content-Length (`'0'` and `x-log-bodyrawsize: 0`
 *   without a body), `x-log-apiversion`, `Host`, `x-acs-security-token`, then `sign_request`,
 *   then `User-Agent` in `_getHttpResponse`; the query goes through `requests` (`params=`).
 * - aliyun/log/logclient.py `create/update/delete/list_consumer_group`: the per-call headers.
 * - aliyun/log/logclient.py `create_logstore` (line 1624 at 3e3a611): its defaults, headers
 *   (`x-log-bodyrawsize: '0'` although it has a body) and body keys in their order.
 * - aliyun/log/auth.py `AuthV1.sign_request`: `x-log-signaturemethod: hmac-sha1`, `Date`,
 *   `Content-MD5`, StringToSign, and `x-log-date` = Date set AFTER the signature.
 * - aliyun/log/auth.py `AuthV4._do_sign_request` / `build_canonical_request` / `_v4_uri_encode`
 *   (`urlquote(value, safe='~')`: `~` stays literal, keys are not encoded).
 * - aliyun/log/util.py `canonicalized_log_headers` (x-log-* but not x-log-meta-*, x-acs-*),
 *   `canonicalized_resource` (sorted by key, raw values).
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";

/** `python-requests` user agent as the SDK sends it (its value is not signed). */
const USER_AGENT = "log-python-sdk-v-0.9.x, python-requests";

export interface PythonSdkCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
}

export type PythonAuth = { version: "v1" } | { version: "v4"; region: string };

/** One consumer-group call as `LogClient` would make it. */
export interface PythonSdkCall {
  method: "GET" | "POST" | "PUT" | "DELETE";
  project: string;
  /** `/logstores/{logstore}/consumergroups[/{name}]` */
  resource: string;
  params: Record<string, string>;
  /** The per-call headers the SDK method builds before `_send`. */
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

/** Python's `str.strip()` on the header values it signs in v4. */
function strip(value: string): string {
  return value.trim();
}

/** aliyun/log/util.py `Util._is_extra_sign_header`. */
function isExtraSignHeader(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith("x-acs-") || (lower.startsWith("x-log-") && !lower.startsWith("x-log-meta-"));
}

/** Python's `sorted()` on str keys: code-point order. */
function sortedKeys(record: Record<string, string>): string[] {
  return Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** aliyun/log/util.py `Util.canonicalized_log_headers`: note the trailing "\n" per header. */
function canonicalizedLogHeaders(headers: Record<string, string>): string {
  return sortedKeys(headers)
    .filter(isExtraSignHeader)
    .map((key) => `${key}:${headers[key] ?? ""}\n`)
    .join("");
}

/** aliyun/log/util.py `Util.canonicalized_resource`. */
function canonicalizedResource(resource: string, params: Record<string, string>): string {
  const keys = sortedKeys(params);
  if (keys.length === 0) return resource;
  return `${resource}?${keys.map((k) => `${k}=${params[k] ?? ""}`).join("&")}`;
}

/** `datetime.utcnow().strftime('%a, %d %b %Y %H:%M:%S GMT')` in the C locale. */
function pythonGmt(now: Date): string {
  return now.toUTCString();
}

/** aliyun/log/auth.py `AuthV1.sign_request`. Mutates `headers` as the SDK does. */
function signV1(call: PythonSdkCall, headers: Record<string, string>, credentials: PythonSdkCredentials, now: Date): void {
  if (credentials.securityToken) headers["x-acs-security-token"] = credentials.securityToken;
  headers["x-log-signaturemethod"] = "hmac-sha1";
  headers["Date"] = pythonGmt(now);
  let contentMd5: string | undefined;
  if (call.body && call.body.length > 0) {
    contentMd5 = createHash("md5").update(call.body).digest("hex").toUpperCase();
    headers["Content-MD5"] = contentMd5;
  }
  let content = `${call.method}\n`;
  if (contentMd5 !== undefined) content += contentMd5;
  content += "\n";
  if ("Content-Type" in headers) content += headers["Content-Type"];
  content += "\n";
  content += `${headers["Date"]}\n`;
  content += canonicalizedLogHeaders(headers);
  content += canonicalizedResource(call.resource, call.params);
  const signature = createHmac("sha1", credentials.accessKeySecret).update(content, "utf8").digest("base64");
  headers["Authorization"] = `LOG ${credentials.accessKeyId}:${signature}`;
  // "bypass some proxy doesn't allow "Date" in header issue": added after signing, never signed.
  headers["x-log-date"] = headers["Date"];
}

/** `urllib.parse.quote(value, safe='~')`: RFC 3986 unreserved stay literal, `/` is encoded. */
function v4UriEncode(raw: string): string {
  return Array.from(Buffer.from(raw, "utf8"))
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9_.\-~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** aliyun/log/auth.py `AuthV4._do_sign_request` with `build_canonical_request` and `build_sign_key`. */
function signV4(call: PythonSdkCall, headers: Record<string, string>, credentials: PythonSdkCredentials, now: Date, region: string): void {
  const currentTime = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  if (credentials.securityToken) headers["x-acs-security-token"] = credentials.securityToken;
  const contentSha256 = createHash("sha256").update(call.body ?? Buffer.alloc(0)).digest("hex");
  headers["x-log-content-sha256"] = contentSha256;
  headers["x-log-date"] = currentTime;
  const currentDate = currentTime.slice(0, 8);
  const canonicalHeaders: Record<string, string> = {};
  for (const [originalKey, value] of Object.entries(headers)) {
    const key = originalKey.toLowerCase();
    if (key === "content-type" || key === "host" || isExtraSignHeader(key)) canonicalHeaders[key] = value;
  }
  const signedKeys = sortedKeys(canonicalHeaders);
  const headersToString = signedKeys.map((k) => `${k}:${strip(canonicalHeaders[k] ?? "")}\n`).join("");
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.params)) encoded[key] = v4UriEncode(value);
  const canonicalQuery = sortedKeys(encoded)
    .map((k) => (encoded[k] ? `${k}=${encoded[k]}` : k))
    .join("&");
  const canonicalRequest = [call.method, call.resource, canonicalQuery, headersToString, signedKeys.join(";"), contentSha256].join("\n");
  const scope = `${currentDate}/${region}/sls/aliyun_v4_request`;
  const stringToSign = ["SLS4-HMAC-SHA256", currentTime, scope, createHash("sha256").update(canonicalRequest, "utf8").digest("hex")].join("\n");
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
  const signKey = hmac(hmac(hmac(hmac(`aliyun_v4${credentials.accessKeySecret}`, currentDate), region), "sls"), "aliyun_v4_request");
  const signature = createHmac("sha256", signKey).update(stringToSign, "utf8").digest("hex");
  headers["Authorization"] = `SLS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope},Signature=${signature}`;
}

/** The headers `LogClient._send` sends for `call` (before `requests` adds its own). */
export function pythonSdkHeaders(
  call: PythonSdkCall,
  endpoint: string,
  credentials: PythonSdkCredentials,
  auth: PythonAuth,
  now = new Date(),
): Record<string, string> {
  const headers = { ...call.headers };
  if (call.body && call.body.length > 0) {
    headers["Content-Length"] = String(call.body.length);
  } else {
    headers["Content-Length"] = "0";
    headers["x-log-bodyrawsize"] = "0";
  }
  headers["x-log-apiversion"] = "0.6.0";
  headers["Host"] = `${call.project}.${endpoint}`;
  if (credentials.securityToken) headers["x-acs-security-token"] = credentials.securityToken;
  if (auth.version === "v4") signV4(call, headers, credentials, now, auth.region);
  else signV1(call, headers, credentials, now);
  headers["User-Agent"] = USER_AGENT;
  return headers;
}

/** The query string `requests` writes for `params=` (`urlencode`: `~` literal, space as `+`). */
function requestsQuery(params: Record<string, string>): string {
  const parts = Object.entries(params).map(
    ([k, v]) => `${encodeURIComponent(k).replace(/%20/g, "+")}=${encodeURIComponent(v).replace(/%20/g, "+")}`,
  );
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** One `create_logstore` argument set (the method's defaults where absent). */
export interface PythonCreateLogstoreArgs {
  ttl?: number;
  shardCount?: number;
  enableTracking?: boolean;
  appendMeta?: boolean;
  autoSplit?: boolean;
  maxSplitShard?: number;
  telemetryType?: string;
}

/** Python's `json.dumps` of a flat dict: `", "` and `": "` between items, keys in insertion order. */
function jsonDumps(record: Record<string, string | number | boolean>): Buffer {
  return Buffer.from(`{${Object.entries(record).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")}}`);
}

/** The SDK's four consumer-group calls, with the headers each method builds (logclient.py). */
export const pythonConsumerGroupCalls = {
  create(project: string, logstore: string, name: string, timeout: number, inOrder: boolean): PythonSdkCall {
    // consumer_group_response.py ConsumerGroupEntity.to_request_json.
    const body = jsonDumps({ consumerGroup: name, timeout, order: inOrder });
    const headers = { "x-log-bodyrawsize": "0", "Content-Type": "application/json" };
    return { method: "POST", project, resource: `/logstores/${logstore}/consumergroups`, params: {}, headers, body };
  },
  update(project: string, logstore: string, name: string, timeout: number, inOrder: boolean): PythonSdkCall {
    const body = jsonDumps({ order: inOrder, timeout });
    const headers = { "x-log-bodyrawsize": String(body.length), "Content-Type": "application/json" };
    return { method: "PUT", project, resource: `/logstores/${logstore}/consumergroups/${name}`, params: {}, headers, body };
  },
  delete(project: string, logstore: string, name: string): PythonSdkCall {
    return { method: "DELETE", project, resource: `/logstores/${logstore}/consumergroups/${name}`, params: {}, headers: { "x-log-bodyrawsize": "0" } };
  },
  list(project: string, logstore: string, params: Record<string, string> = {}): PythonSdkCall {
    return { method: "GET", project, resource: `/logstores/${logstore}/consumergroups`, params, headers: {} };
  },
};

/** `LogClient.create_logstore` (logclient.py), without hot_ttl, encrypt_conf, mode, infrequent_access_ttl (all left at their defaults). */
export function pythonCreateLogstore(project: string, logstore: string, args: PythonCreateLogstoreArgs = {}): PythonSdkCall {
  const body = jsonDumps({
    logstoreName: logstore,
    ttl: args.ttl ?? 30,
    shardCount: args.shardCount ?? 2,
    enable_tracking: args.enableTracking ?? false,
    autoSplit: args.autoSplit ?? true,
    maxSplitShard: args.maxSplitShard ?? 64,
    appendMeta: args.appendMeta ?? false,
    telemetryType: args.telemetryType ?? "",
  });
  return { method: "POST", project, resource: "/logstores", params: {}, headers: { "x-log-bodyrawsize": "0", "Content-Type": "application/json" }, body };
}

export interface PythonSdkResponse {
  status: number;
  body: string;
}

/**
 * Sends `call` to `baseUrl` (the sandbox) exactly as the Python SDK would send it to
 * `{project}.{endpoint}`.
 *
 * @example
 * ```ts
 * await sendAsPythonSdk(sandbox.url, "cn-shanghai.log.aliyuncs.com", pythonConsumerGroupCalls.list("p", "s"), creds, { version: "v1" });
 * ```
 */
export function sendAsPythonSdk(
  baseUrl: string,
  endpoint: string,
  call: PythonSdkCall,
  credentials: PythonSdkCredentials,
  auth: PythonAuth,
): Promise<PythonSdkResponse> {
  return sendRaw(baseUrl, call, pythonSdkHeaders(call, endpoint, credentials, auth));
}

/**
 * Sends `call` with exactly `headers` (as `requests` would: query from `params`, body as is), for
 * tests that change a signed request before it leaves.
 *
 * @example
 * ```ts
 * const headers = pythonSdkHeaders(call, endpoint, creds, { version: "v1" });
 * delete headers["x-log-apiversion"];
 * await sendRaw(sandbox.url, call, headers);
 * ```
 */
export function sendRaw(baseUrl: string, call: PythonSdkCall, headers: Record<string, string>): Promise<PythonSdkResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { method: call.method, hostname: url.hostname, port: url.port, path: `${call.resource}${requestsQuery(call.params)}`, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(call.body);
  });
}
