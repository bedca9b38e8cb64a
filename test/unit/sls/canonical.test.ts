import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  buildV1StringToSign,
  canonicalizedLogHeaders,
  canonicalizedResource,
  contentMd5Hex,
  v1Date,
  v4CanonicalQuery,
  v4UrlEncode,
} from "../../../src/providers/sls/canonical.ts";
import { signV1 } from "../../../src/providers/sls/signing-v1.ts";
import { signV4 } from "../../../src/providers/sls/signing-v4.ts";

const credentials = { accessKeyId: "testAkId", accessKeySecret: "testAkSecret" };
const now = new Date(Date.UTC(2018, 4, 4, 8, 2, 22));
const baseHeaders = { host: "my-project.cn-shanghai.log.aliyuncs.com", "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0" };

describe("CanonicalizedResource", () => {
  it("sorts parameters by key, not by the joined k=v string", () => {
    // "a-b=2" < "a=1" bytewise ('-' < '='), but key "a" < key "a-b": the SDK bug shows here.
    expect(canonicalizedResource("/logstores", { "a-b": "2", a: "1" })).toBe("/logstores?a=1&a-b=2");
    const joinedSort = ["a-b=2", "a=1"].sort().join("&");
    expect(`/logstores?${joinedSort}`).not.toBe(canonicalizedResource("/logstores", { "a-b": "2", a: "1" }));
  });

  it("keeps a key that is a prefix of another before it (a, a_b)", () => {
    expect(canonicalizedResource("/p", { a_b: "2", a: "1" })).toBe("/p?a=1&a_b=2");
  });

  it("writes an empty value as k=", () => {
    expect(canonicalizedResource("/logstores", { logstoreName: "", offset: "0" })).toBe("/logstores?logstoreName=&offset=0");
  });

  it("is the bare path without parameters", () => {
    expect(canonicalizedResource("/logstores/s/consumergroups", {})).toBe("/logstores/s/consumergroups");
  });

  it("uses raw, not percent-encoded, values", () => {
    expect(canonicalizedResource("/p", { q: "a b/c" })).toBe("/p?q=a b/c");
  });
});

describe("v1 DATE and x-log-date", () => {
  const date = "Fri, 04 May 2018 08:02:22 GMT";

  it("leaves x-log-date out of CanonicalizedLOGHeaders (the Python SDK adds it after signing)", () => {
    expect(canonicalizedLogHeaders({ "x-log-apiversion": "0.6.0", "x-log-date": date })).toBe("x-log-apiversion:0.6.0");
    const headers = { ...baseHeaders, date };
    const withXLogDate = { ...headers, "X-Log-Date": date };
    expect(buildV1StringToSign({ method: "GET", path: "/p", query: {}, headers: withXLogDate })).toBe(
      buildV1StringToSign({ method: "GET", path: "/p", query: {}, headers }),
    );
  });

  it("takes x-log-date as DATE only when Date is absent", () => {
    expect(v1Date({ "x-log-date": date })).toBe(date);
    expect(v1Date({ Date: "Sat, 05 May 2018 00:00:00 GMT", "x-log-date": date })).toBe("Sat, 05 May 2018 00:00:00 GMT");
    expect(v1Date({})).toBe("");
    const dropped = buildV1StringToSign({ method: "GET", path: "/p", query: {}, headers: { ...baseHeaders, "x-log-date": date } });
    expect(dropped.split("\n")[3]).toBe(date);
  });
});

describe("CanonicalizedLOGHeaders", () => {
  it("lowercases, keeps only x-log-* and x-acs-*, sorts bytewise, no trailing newline", () => {
    expect(
      canonicalizedLogHeaders({
        "X-Log-BodyRawSize": "0",
        "x-acs-security-token": "t",
        "User-Agent": "ua",
        "x-log-apiversion": "0.6.0",
        Host: "h",
      }),
    ).toBe("x-acs-security-token:t\nx-log-apiversion:0.6.0\nx-log-bodyrawsize:0");
  });
});

describe("v1 signer", () => {
  it("signs with HMAC-SHA256 when configured, and signs that choice", () => {
    const body = Buffer.from('{"consumerGroup":"g","timeout":60,"order":false}');
    const headers = signV1(
      { method: "POST", path: "/logstores/s/consumergroups", query: {}, headers: { ...baseHeaders, "content-type": "application/json" }, body },
      credentials,
      { now, algorithm: "hmac-sha256" },
    );
    expect(headers["x-log-signaturemethod"]).toBe("hmac-sha256");
    const stringToSign = buildV1StringToSign({ method: "POST", path: "/logstores/s/consumergroups", query: {}, headers });
    expect(stringToSign).toContain("\nx-log-signaturemethod:hmac-sha256\n");
    const expected = createHmac("sha256", credentials.accessKeySecret).update(stringToSign).digest("base64");
    expect(headers["authorization"]).toBe(`LOG testAkId:${expected}`);
    const sha1 = signV1(
      { method: "POST", path: "/logstores/s/consumergroups", query: {}, headers: { ...baseHeaders, "content-type": "application/json" }, body },
      credentials,
      { now },
    );
    expect(sha1["authorization"]).not.toBe(headers["authorization"]);
  });

  it("sends Content-MD5 over the exact body bytes, uppercase, and none without a body", () => {
    const body = Buffer.from("{}");
    const withBody = signV1({ method: "PUT", path: "/p", query: {}, headers: baseHeaders, body }, credentials, { now });
    expect(withBody["content-md5"]).toBe(contentMd5Hex(body));
    expect(withBody["content-md5"]).toMatch(/^[0-9A-F]{32}$/);
    const withoutBody = signV1({ method: "GET", path: "/p", query: {}, headers: baseHeaders }, credentials, { now });
    expect(withoutBody["content-md5"]).toBeUndefined();
    const emptyBody = signV1({ method: "GET", path: "/p", query: {}, headers: baseHeaders, body: new Uint8Array() }, credentials, { now });
    expect(emptyBody["content-md5"]).toBeUndefined();
  });

  it("signs the STS token as x-acs-security-token", () => {
    const plain = signV1({ method: "GET", path: "/p", query: {}, headers: baseHeaders }, credentials, { now });
    const sts = signV1({ method: "GET", path: "/p", query: {}, headers: baseHeaders }, { ...credentials, securityToken: "tok" }, { now });
    expect(sts["x-acs-security-token"]).toBe("tok");
    expect(buildV1StringToSign({ method: "GET", path: "/p", query: {}, headers: sts })).toContain("x-acs-security-token:tok\n");
    expect(sts["authorization"]).not.toBe(plain["authorization"]);
  });

  it("changes the signature when the query changes, including an empty value", () => {
    const a = signV1({ method: "GET", path: "/logstores", query: { logstoreName: "" }, headers: baseHeaders }, credentials, { now });
    const b = signV1({ method: "GET", path: "/logstores", query: {}, headers: baseHeaders }, credentials, { now });
    expect(a["authorization"]).not.toBe(b["authorization"]);
  });
});

describe("v4 canonical query and signer", () => {
  it("sorts keys, encodes RFC 3986 with %20, and writes an empty value as the key alone", () => {
    expect(v4CanonicalQuery({ size: "10", logstoreName: "", q: "a b*" })).toBe("logstoreName&q=a%20b%2A&size=10");
  });

  it("keeps the RFC 3986 unreserved characters literal, ~ included, and encodes the rest (Python quote(v, safe='~'))", () => {
    expect(v4UrlEncode("a~b")).toBe("a~b");
    expect(v4UrlEncode("AZaz09-_.~")).toBe("AZaz09-_.~");
    expect(v4UrlEncode("!'()*/+=&é")).toBe("%21%27%28%29%2A%2F%2B%3D%26%C3%A9");
    expect(v4CanonicalQuery({ x: "a~b" })).toBe("x=a~b");
  });

  it("does not sign User-Agent or Content-Length", () => {
    const request = { method: "GET", path: "/p", query: {}, headers: baseHeaders };
    const a = signV4(request, credentials, { now, region: "cn-shanghai" });
    const b = signV4({ ...request, headers: { ...baseHeaders, "user-agent": "x", "content-length": "0" } }, credentials, {
      now,
      region: "cn-shanghai",
    });
    expect(b["authorization"]).toBe(a["authorization"]);
  });

  it("binds the signature to the region", () => {
    const request = { method: "GET", path: "/p", query: {}, headers: baseHeaders };
    const a = signV4(request, credentials, { now, region: "cn-shanghai" });
    const b = signV4(request, credentials, { now, region: "cn-hangzhou" });
    expect(a["authorization"]).toContain("/cn-shanghai/sls/aliyun_v4_request,");
    expect(b["authorization"]).not.toBe(a["authorization"]);
  });
});
