/**
 * signV1 / signV4 rules the vector tests do not reach (found by mutation testing, README
 * "Mutation testing"): the default v1 algorithm, re-signing headers that still carry a previous
 * attempt's signature headers, and the STS token under v4.
 */
import { describe, expect, it } from "vitest";
import { signV1, v1Signature, type SlsRequestToSign } from "../../../src/providers/sls/signing-v1.ts";
import { signV4 } from "../../../src/providers/sls/signing-v4.ts";

const credentials = { accessKeyId: "id", accessKeySecret: "secret" };
const now = new Date("2026-11-30T12:00:00Z");
const get: SlsRequestToSign = {
  method: "GET",
  path: "/logstores/events/consumergroups",
  query: {},
  headers: { host: "proj.cn-shanghai.log.aliyuncs.com", "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0" },
};

describe("signV1", () => {
  it("signs with hmac-sha1 unless told otherwise, and says so in x-log-signaturemethod", () => {
    const headers = signV1(get, credentials, { now });
    expect(headers["x-log-signaturemethod"]).toBe("hmac-sha1");
    expect(headers).toEqual(signV1(get, credentials, { now, algorithm: "hmac-sha1" }));
    expect(headers).not.toEqual(signV1(get, credentials, { now, algorithm: "hmac-sha256" }));
    const signature = headers["authorization"]?.split(":")[1];
    expect(signature).toHaveLength(28); // base64 of a 20-byte SHA-1 HMAC
    expect(v1Signature("secret", "x", "hmac-sha1")).toHaveLength(28);
  });

  it("re-signing the headers of an earlier attempt drops its Content-MD5 and Authorization (a bodiless retry has neither)", () => {
    const first = signV1({ ...get, method: "POST", body: new TextEncoder().encode('{"a":1}') }, credentials, { now });
    expect(first["content-md5"]).toMatch(/^[0-9A-F]{32}$/);

    const retried = signV1({ ...get, headers: first }, credentials, { now });

    expect(retried["content-md5"]).toBeUndefined();
    expect(retried).toEqual(signV1(get, credentials, { now }));
  });
});

describe("signV4", () => {
  const options = { now, region: "cn-shanghai" };

  it("sends and signs the STS token when the credentials carry one", () => {
    const plain = signV4(get, credentials, options);
    const sts = signV4(get, { ...credentials, securityToken: "sts-token" }, options);

    expect(plain["x-acs-security-token"]).toBeUndefined();
    expect(sts["x-acs-security-token"]).toBe("sts-token");
    // Signed: the token changes the signature.
    expect(sts["authorization"]).not.toBe(plain["authorization"]);
  });

  it("re-signing the headers of an earlier attempt gives the same headers as a fresh signing", () => {
    const first = signV4(get, credentials, options);
    expect(signV4({ ...get, headers: first }, credentials, options)).toEqual(first);
  });
});
