/** The sandbox is strict: raw requests over node:http, signed (or mis-signed) by hand. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as z from "zod";
import type { SlsCredentials } from "../../../src/credentials/types.ts";
import { signV1 } from "../../../src/providers/sls/signing-v1.ts";
import { signV4 } from "../../../src/providers/sls/signing-v4.ts";
import { startSlsSandbox } from "../../../src/sandbox/sls/server.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { ENDPOINT, errorCodeOf, GOOD, LOGSTORE, PROJECT, rawRequest, startSandbox, STS, type RawResponse } from "./harness.ts";

const HOST = `${PROJECT}.${ENDPOINT}`;
const GROUPS_PATH = `/logstores/${LOGSTORE}/consumergroups`;
const CREATE_BODY = Buffer.from('{"consumerGroup":"raw-group","timeout":60,"order":false}');

let sandbox: SlsSandbox;

beforeEach(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  await sandbox.close();
});

interface SignedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** A v1-signed request; `headerChanges` are applied before signing (undefined removes a header). */
function v1Request(
  method: string,
  requestPath: string,
  body: Buffer | undefined,
  credentials: SlsCredentials = GOOD,
  now = new Date(),
  headerChanges: Record<string, string | undefined> = {},
): SignedRequest {
  const unsigned: Record<string, string> = { host: HOST, "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0" };
  if (body) unsigned["content-type"] = "application/json";
  for (const [name, value] of Object.entries(headerChanges)) {
    if (value === undefined) delete unsigned[name];
    else unsigned[name] = value;
  }
  const headers = signV1({ method, path: requestPath, query: {}, headers: unsigned, body }, credentials, { now });
  if (body) headers["content-length"] = String(body.length);
  return { method, path: requestPath, headers, body };
}

function send(request: SignedRequest): Promise<RawResponse> {
  return rawRequest(sandbox.url, request);
}

describe("authentication", () => {
  it("accepts a correctly signed request and answers with a request id", async () => {
    const response = await send(v1Request("POST", GROUPS_PATH, CREATE_BODY));
    expect(response.status).toBe(200);
    expect(response.headers["x-log-requestid"]).toMatch(/^[0-9A-F]{24}$/);
    expect(sandbox.state().groups[PROJECT]?.[LOGSTORE]).toEqual([{ name: "raw-group", timeout: 60, order: false }]);
  });

  it("rejects a signature made with the wrong secret: 401 SignatureNotMatch", async () => {
    const response = await send(v1Request("GET", GROUPS_PATH, undefined, { ...GOOD, accessKeySecret: "not-the-secret" }));
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe("SignatureNotMatch");
    expect(response.headers["x-log-requestid"]).toMatch(/^[0-9A-F]{24}$/);
    expect(JSON.parse(response.text)).toEqual({ errorCode: "SignatureNotMatch", errorMessage: expect.any(String) });
  });

  it("rejects an unknown key id: 401 InvalidAccessKeyId", async () => {
    const response = await send(v1Request("GET", GROUPS_PATH, undefined, { accessKeyId: "nobody", accessKeySecret: "x" }));
    expect([response.status, errorCodeOf(response)]).toEqual([401, "InvalidAccessKeyId"]);
  });

  it("rejects a wrong or missing STS token: 401 Unauthorized", async () => {
    const wrong = await send(v1Request("GET", GROUPS_PATH, undefined, { ...STS, securityToken: "forged" }));
    expect([wrong.status, errorCodeOf(wrong)]).toEqual([401, "Unauthorized"]);
    const missing = await send(v1Request("GET", GROUPS_PATH, undefined, { ...STS, securityToken: undefined }));
    expect([missing.status, errorCodeOf(missing)]).toEqual([401, "Unauthorized"]);
    expect(JSON.parse(wrong.text).errorMessage).not.toContain("forged");
  });

  it("rejects a Date more than 15 minutes off either way: 400 RequestTimeExpired", async () => {
    const stale = await send(v1Request("GET", GROUPS_PATH, undefined, GOOD, new Date(Date.now() - 16 * 60_000)));
    expect([stale.status, errorCodeOf(stale)]).toEqual([400, "RequestTimeExpired"]);
    const future = await send(v1Request("GET", GROUPS_PATH, undefined, GOOD, new Date(Date.now() + 16 * 60_000)));
    expect([future.status, errorCodeOf(future)]).toEqual([400, "RequestTimeExpired"]);
    const slightlyOff = await send(v1Request("GET", GROUPS_PATH, undefined, GOOD, new Date(Date.now() - 14 * 60_000)));
    expect(slightlyOff.status).toBe(200);
  });

  it("rejects a body that differs from the signed one: 400 InvalidContentMD5, and nothing is created", async () => {
    const signed = v1Request("POST", GROUPS_PATH, CREATE_BODY);
    const tampered = Buffer.from(CREATE_BODY.toString().replace('"order":false', '"order":true '));
    expect(tampered.length).toBe(CREATE_BODY.length);
    const response = await send({ ...signed, body: tampered });
    expect([response.status, errorCodeOf(response)]).toEqual([400, "InvalidContentMD5"]);
    expect(sandbox.state().createsApplied).toBe(0);
  });

  it("rejects a signed header changed after signing: 401 SignatureNotMatch", async () => {
    const signed = v1Request("GET", GROUPS_PATH, undefined);
    const response = await send({ ...signed, headers: { ...signed.headers, "x-log-bodyrawsize": "1" } });
    expect([response.status, errorCodeOf(response)]).toEqual([401, "SignatureNotMatch"]);
  });

  it.each([
    ["x-log-apiversion", "MissingAPIVersion"],
    ["date", "MissingDate"],
    ["x-log-signaturemethod", "MissingSignatureMethod"],
    ["content-md5", "MissingContentMD5"],
    ["content-type", "MissingContentType"],
    ["authorization", "Unauthorized"],
  ])("rejects a request without %s: %s", async (header, code) => {
    const signed = v1Request("POST", GROUPS_PATH, CREATE_BODY);
    const headers = { ...signed.headers };
    delete headers[header];
    const response = await send({ ...signed, headers });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(errorCodeOf(response)).toBe(code);
    expect(sandbox.state().createsApplied).toBe(0);
  });

  it("reads a chunked body (Transfer-Encoding: chunked, no Content-Length, as the Tea SDK sends every body)", async () => {
    const signed = v1Request("POST", GROUPS_PATH, CREATE_BODY);
    const headers: Record<string, string> = { ...signed.headers, "transfer-encoding": "chunked" };
    delete headers["content-length"];
    const response = await send({ ...signed, headers });
    expect(response.status).toBe(200);
    expect(sandbox.state().groups[PROJECT]?.[LOGSTORE]).toEqual([{ name: "raw-group", timeout: 60, order: false }]);
  });

  it("accepts a JSON body without x-log-bodyrawsize (as @alicloud/log sends it): it is needed only with x-log-compresstype", async () => {
    const plain = v1Request("POST", GROUPS_PATH, CREATE_BODY, GOOD, new Date(), { "x-log-bodyrawsize": undefined });
    expect((await send(plain)).status).toBe(200);
    const compressed = v1Request("POST", GROUPS_PATH, CREATE_BODY, GOOD, new Date(), { "x-log-bodyrawsize": undefined, "x-log-compresstype": "deflate" });
    const response = await send(compressed);
    expect([response.status, errorCodeOf(response)]).toEqual([400, "MissingBodyRawSize"]);
    const unknown = await send(v1Request("POST", GROUPS_PATH, CREATE_BODY, GOOD, new Date(), { "x-log-compresstype": "rar" }));
    expect([unknown.status, errorCodeOf(unknown)]).toEqual([400, "InvalidCompressType"]);
    expect(sandbox.state().createsApplied).toBe(1);
  });

  it("answers a body of another Content-Type with 415 InvalidContentType", async () => {
    const response = await send(v1Request("POST", GROUPS_PATH, CREATE_BODY, GOOD, new Date(), { "content-type": "text/plain" }));
    expect([response.status, errorCodeOf(response)]).toEqual([415, "InvalidContentType"]);
    expect(sandbox.state().createsApplied).toBe(0);
  });

  it("takes an empty Content-MD5 header as none (the Tea SDK sends one on GET and DELETE), but not with a body", async () => {
    const get = v1Request("GET", GROUPS_PATH, undefined);
    expect((await send({ ...get, headers: { ...get.headers, "content-md5": "" } })).status).toBe(200);
    const post = v1Request("POST", GROUPS_PATH, CREATE_BODY);
    const response = await send({ ...post, headers: { ...post.headers, "content-md5": "" } });
    expect([response.status, errorCodeOf(response)]).toEqual([400, "MissingContentMD5"]);
  });

  describe("x-log-date in v1 (the Python SDK adds it after signing)", () => {
    it("is not signed: a request that carries it besides Date is accepted", async () => {
      const signed = v1Request("POST", GROUPS_PATH, CREATE_BODY);
      const response = await send({ ...signed, headers: { ...signed.headers, "x-log-date": signed.headers["date"] ?? "" } });
      expect(response.status).toBe(200);
    });

    it("stands in for a Date a proxy dropped, and its skew is checked", async () => {
      const fresh = v1Request("GET", GROUPS_PATH, undefined);
      const { date = "", ...withoutDate } = fresh.headers;
      expect((await send({ ...fresh, headers: { ...withoutDate, "x-log-date": date } })).status).toBe(200);

      const stale = v1Request("GET", GROUPS_PATH, undefined, GOOD, new Date(Date.now() - 16 * 60_000));
      const { date: staleDate = "", ...staleWithoutDate } = stale.headers;
      const response = await send({ ...stale, headers: { ...staleWithoutDate, "x-log-date": staleDate } });
      expect([response.status, errorCodeOf(response)]).toEqual([400, "RequestTimeExpired"]);
    });

    it("does not rescue a request whose Date was signed and then changed", async () => {
      const signed = v1Request("GET", GROUPS_PATH, undefined);
      const later = new Date(Date.now() + 60_000).toUTCString();
      const response = await send({ ...signed, headers: { ...signed.headers, date: later, "x-log-date": signed.headers["date"] ?? "" } });
      expect([response.status, errorCodeOf(response)]).toEqual([401, "SignatureNotMatch"]);
    });
  });

  it("answers an STS token past its expiry with 401 SecurityTokenExpired", async () => {
    const clock = new FakeClock(Date.now());
    const expiring = await startSlsSandbox({
      endpoint: ENDPOINT,
      accounts: [{ ...STS, securityTokenExpiresAt: clock.now() + 60_000 }],
      projects: { [PROJECT]: [LOGSTORE] },
      clock,
    });
    try {
      const request = () => v1Request("GET", GROUPS_PATH, undefined, STS, new Date(clock.now()));
      expect((await rawRequest(expiring.url, request())).status).toBe(200);
      clock.advance(60_000);
      const response = await rawRequest(expiring.url, request());
      expect([response.status, errorCodeOf(response)]).toEqual([401, "SecurityTokenExpired"]);
      expect(response.text).not.toContain(STS.securityToken);
      const forged = await rawRequest(expiring.url, v1Request("GET", GROUPS_PATH, undefined, { ...STS, securityToken: "forged" }, new Date(clock.now())));
      expect([forged.status, errorCodeOf(forged)]).toEqual([401, "Unauthorized"]);
    } finally {
      await expiring.close();
    }
  });

  describe("v4", () => {
    function v4Request(method: string, body: Buffer | undefined, region = "cn-shanghai", credentials: SlsCredentials = GOOD): SignedRequest {
      const unsigned: Record<string, string> = { host: HOST, "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0" };
      if (body) unsigned["content-type"] = "application/json";
      const headers = signV4({ method, path: GROUPS_PATH, query: {}, headers: unsigned, body }, credentials, { now: new Date(), region });
      if (body) headers["content-length"] = String(body.length);
      return { method, path: GROUPS_PATH, headers, body };
    }

    it("accepts a v4 signature", async () => {
      expect((await send(v4Request("POST", CREATE_BODY))).status).toBe(200);
    });

    it("rejects a tampered v4 body: 400 InvalidContentSha256", async () => {
      const signed = v4Request("POST", CREATE_BODY);
      const response = await send({ ...signed, body: Buffer.from(CREATE_BODY.toString().replace("60", "61")) });
      expect([response.status, errorCodeOf(response)]).toEqual([400, "InvalidContentSha256"]);
    });

    it("rejects a v4 signature scoped to another region", async () => {
      const response = await send(v4Request("GET", undefined, "cn-hangzhou"));
      expect([response.status, errorCodeOf(response)]).toEqual([401, "SignatureNotMatch"]);
    });

    it("rejects a v4 signature made with the wrong secret", async () => {
      const response = await send(v4Request("GET", undefined, "cn-shanghai", { ...GOOD, accessKeySecret: "nope" }));
      expect([response.status, errorCodeOf(response)]).toEqual([401, "SignatureNotMatch"]);
    });
  });
});

describe("API behaviour", () => {
  it("takes the project from the Host header", async () => {
    const signed = v1Request("GET", GROUPS_PATH, undefined);
    const otherProject = { ...signed.headers, host: `other-project.${ENDPOINT}` };
    // Changing Host does not change a v1 signature, so this reaches the project lookup.
    const response = await send({ ...signed, headers: otherProject });
    expect([response.status, errorCodeOf(response)]).toEqual([404, "ProjectNotExist"]);
    const wrongEndpoint = await send({ ...signed, headers: { ...signed.headers, host: `${PROJECT}.cn-beijing.log.aliyuncs.com` } });
    expect([wrongEndpoint.status, errorCodeOf(wrongEndpoint)]).toEqual([400, "InvalidHost"]);
  });

  it("lists as a bare JSON array", async () => {
    await send(v1Request("POST", GROUPS_PATH, CREATE_BODY));
    const response = await send(v1Request("GET", GROUPS_PATH, undefined));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual([{ name: "raw-group", timeout: 60, order: false }]);
  });

  it.each([
    ['{"consumerGroup":"bad name","timeout":60,"order":false}'],
    ['{"consumerGroup":"g","timeout":"60","order":false}'],
    ['{"consumerGroup":"g","timeout":60}'],
    ['{"consumerGroup":"g","timeout":1.5,"order":false}'],
    ["not json"],
  ])("rejects create body %s with JsonInfoInvalid", async (body) => {
    const response = await send(v1Request("POST", GROUPS_PATH, Buffer.from(body)));
    expect([response.status, errorCodeOf(response)]).toEqual([400, "JsonInfoInvalid"]);
  });

  it("answers ConsumerGroupAlreadyExist on a second create and ConsumerGroupNotExist on updating a missing group", async () => {
    await send(v1Request("POST", GROUPS_PATH, CREATE_BODY));
    const again = await send(v1Request("POST", GROUPS_PATH, CREATE_BODY));
    expect([again.status, errorCodeOf(again)]).toEqual([400, "ConsumerGroupAlreadyExist"]);
    const update = await send(v1Request("PUT", `${GROUPS_PATH}/missing`, Buffer.from('{"timeout":30}')));
    expect([update.status, errorCodeOf(update)]).toEqual([404, "ConsumerGroupNotExist"]);
    const remove = await send(v1Request("DELETE", `${GROUPS_PATH}/missing`, undefined));
    expect(remove.status).toBe(200);
  });
});

describe("control API and lifecycle", () => {
  it("reconfigures faults and reports state over HTTP", async () => {
    const configure = await rawRequest(sandbox.url, {
      method: "POST",
      path: "/__sandbox/faults",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rules: [{ operation: "ListConsumerGroup", kind: "error", times: 1, error: { status: 503, code: "ServerBusy" } }] }),
    });
    expect(configure.status).toBe(200);
    const busy = await send(v1Request("GET", GROUPS_PATH, undefined));
    expect([busy.status, errorCodeOf(busy)]).toEqual([503, "ServerBusy"]);
    expect((await send(v1Request("GET", GROUPS_PATH, undefined))).status).toBe(200);

    const state = await rawRequest(sandbox.url, { method: "GET", path: "/__sandbox/state", headers: {} });
    expect(JSON.parse(state.text)).toMatchObject({ calls: { ListConsumerGroup: 2 }, groups: { [PROJECT]: { [LOGSTORE]: [] } } });
  });

  it("rejects an invalid fault configuration and keeps the old one", async () => {
    sandbox.faults.configure({ latencyMs: 0, rules: [{ kind: "hang", operation: "DeleteConsumerGroup" }] });
    const response = await rawRequest(sandbox.url, {
      method: "POST",
      path: "/__sandbox/faults",
      headers: {},
      body: JSON.stringify({ rules: [{ kind: "explode" }] }),
    });
    expect([response.status, errorCodeOf(response)]).toEqual([400, "InvalidFaultConfig"]);
    expect(sandbox.faults.config.rules).toHaveLength(1);
  });

  it("resets groups and counters over HTTP", async () => {
    await send(v1Request("POST", GROUPS_PATH, CREATE_BODY));
    await rawRequest(sandbox.url, { method: "POST", path: "/__sandbox/reset", headers: {} });
    expect(sandbox.state()).toMatchObject({ createsApplied: 0, calls: {}, groups: { [PROJECT]: { [LOGSTORE]: [] } } });
  });

  it("close() ends hung connections", async () => {
    sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "hang" }] });
    const hung = send(v1Request("GET", GROUPS_PATH, undefined));
    const outcome = hung.then(
      () => "answered",
      () => "cut",
    );
    // Wait until the sandbox has the call, then close under it.
    while ((sandbox.state().calls["ListConsumerGroup"] ?? 0) === 0) await new Promise((r) => setTimeout(r, 5));
    await sandbox.close();
    expect(await outcome).toBe("cut");
    sandbox = await startSandbox();
  });
});

describe("replaying the official SDKs' wire requests", () => {
  const vectorsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../shared/vectors");
  const vectorSchema = z.object({
    name: z.string(),
    method: z.string(),
    path: z.string(),
    query: z.record(z.string(), z.string()),
    headers: z.record(z.string(), z.string()),
    bodyBase64: z.string(),
    accessKeyId: z.string(),
    accessKeySecret: z.string(),
    securityToken: z.string().optional(),
    region: z.string().optional(),
    date: z.string().optional(),
    dateTime: z.string().optional(),
  });
  const vectors = ["sls-v1.json", "sls-v4.json"].flatMap((file) =>
    z.array(vectorSchema).parse(JSON.parse(readFileSync(path.join(vectorsDir, file), "utf8"))),
  );
  const AUTH_CODES = ["SignatureNotMatch", "Unauthorized", "InvalidAccessKeyId", "RequestTimeExpired", "InvalidContentMD5", "InvalidContentSha256"];

  it.each(vectors.map((v) => [v.name, v] as const))("authenticates %s", async (_name, vector) => {
    const dateTime = vector.dateTime ?? "";
    const when = vector.date
      ? Date.parse(vector.date)
      : Date.UTC(+dateTime.slice(0, 4), +dateTime.slice(4, 6) - 1, +dateTime.slice(6, 8), +dateTime.slice(9, 11), +dateTime.slice(11, 13), +dateTime.slice(13, 15));
    const host = Object.entries(vector.headers).find(([n]) => n.toLowerCase() === "host")?.[1] ?? "";
    const [project = "", ...rest] = host.split(".");
    const replay = await startSlsSandbox({
      endpoint: rest.join("."),
      accounts: [{ accessKeyId: vector.accessKeyId, accessKeySecret: vector.accessKeySecret, securityToken: vector.securityToken }],
      projects: { [project]: ["my-logstore"] },
      clock: new FakeClock(when),
    });
    try {
      const query = new URLSearchParams(vector.query).toString();
      const response = await rawRequest(replay.url, {
        method: vector.method,
        path: `${vector.path}${query ? `?${query}` : ""}`,
        headers: vector.headers,
        body: Buffer.from(vector.bodyBase64, "base64"),
      });
      expect(AUTH_CODES).not.toContain(errorCodeOf(response));
      expect(replay.state().rejections).toEqual({});
    } finally {
      await replay.close();
    }
  });
});

