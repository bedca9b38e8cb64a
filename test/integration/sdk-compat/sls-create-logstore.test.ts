/**
 * CreateLogStore as the official SDKs make it:
 *
 * - the sandbox accepts each SDK's request, unmodified, over real HTTP (`@alicloud/log` 1.2.6
 *   `createLogStore`, v1 HMAC-SHA1; `@alicloud/sls20201230` 5.9.0 `createLogStore`, v1 HMAC-SHA256
 *   and v4; aliyun-log-python-sdk `create_logstore` rebuilt in test/support/python-sls-wire.ts),
 *   with an access key and with an STS token;
 * - our signer, given the request exactly as each SDK put it on the wire (captured), produces the
 *   SDK's own Content-MD5 / content hash and Authorization, byte for byte;
 * - our client's body for the same logstore is the `@alicloud/log` body, byte for byte.
 */
import http from "node:http";
import AliyunLogClient from "@alicloud/log";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import * as tea from "@alicloud/sls20201230";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SlsCredentials } from "../../../src/credentials/types.ts";
import { signV1 } from "../../../src/providers/sls/signing-v1.ts";
import { signV4 } from "../../../src/providers/sls/signing-v4.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { resolveToLoopback } from "../../support/loopback-dns.ts";
import { pythonCreateLogstore, pythonSdkHeaders, sendAsPythonSdk } from "../../support/python-sls-wire.ts";
import { clientFor, CountingCredentials, ENDPOINT, GOOD, PROJECT, startSandbox, STS } from "../sls/harness.ts";

const REGION = "cn-shanghai";
type TeaClientClass = typeof tea.default.default;
const teaDefault: unknown = tea.default;
const TeaSlsClient = (typeof teaDefault === "function" ? teaDefault : tea.default.default) as TeaClientClass;

/** One request as it arrived. */
interface Captured {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

let sandbox: SlsSandbox;
let capture: { server: http.Server; port: number; requests: Captured[] };
let restoreDns: () => void;

beforeAll(async () => {
  sandbox = await startSandbox();
  restoreDns = resolveToLoopback(ENDPOINT);
  const requests: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
      // The path without its query (@alicloud/log sends an empty one: `/logstores?`).
      requests.push({ method: req.method ?? "", path: new URL(req.url ?? "/", "http://capture.invalid").pathname, headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { "x-log-requestid": "CAPTURED000000000000000", "content-length": "0" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  capture = { server, port: (server.address() as { port: number }).port, requests };
});

afterAll(async () => {
  restoreDns();
  await sandbox.close();
  await new Promise((resolve) => capture.server.close(resolve));
});

beforeEach(() => {
  sandbox.reset();
  capture.requests.length = 0;
});

function aliyunLog(credentials: SlsCredentials, port: number): AliyunLogClient & { createLogStore(p: string, l: string, d: { ttl: number; shardCount: number }): Promise<unknown> } {
  return new AliyunLogClient({ ...credentials, endpoint: `${ENDPOINT}:${port}` }) as AliyunLogClient & {
    createLogStore(p: string, l: string, d: { ttl: number; shardCount: number }): Promise<unknown>;
  };
}

function teaClient(credentials: SlsCredentials, signatureVersion: "v1" | "v4", port: number) {
  return new TeaSlsClient(
    new $OpenApiUtil.Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      endpoint: `${ENDPOINT}:${port}`,
      regionId: REGION,
      protocol: "http",
      signatureVersion,
    }),
  );
}

const teaRequest = (name: string) => new tea.CreateLogStoreRequest({ logstoreName: name, ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 });

function createdInSandbox() {
  return sandbox.state().createdLogstores[PROJECT] ?? [];
}

describe.each([
  ["access key", GOOD],
  ["STS token", STS],
] as const)("the sandbox accepts each SDK's CreateLogStore, with an %s", (_kind, credentials) => {
  it("@alicloud/log 1.2.6 (v1 hmac-sha1)", async () => {
    await aliyunLog(credentials, sandbox.port).createLogStore(PROJECT, "from-alicloud-log", { ttl: 7, shardCount: 1 });
    expect(createdInSandbox()).toEqual([{ name: "from-alicloud-log", ttl: 7, shardCount: 1, autoSplit: false }]);
    expect(sandbox.state().rejections).toEqual({});
  });

  it.each(["v1", "v4"] as const)("@alicloud/sls20201230 5.9.0 (%s)", async (version) => {
    await teaClient(credentials, version, sandbox.port).createLogStore(PROJECT, teaRequest("from-tea"));
    expect(createdInSandbox()).toEqual([{ name: "from-tea", ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 }]);
  });

  it.each([{ version: "v1" }, { version: "v4", region: REGION }] as const)("aliyun-log-python-sdk create_logstore ($version)", async (auth) => {
    const response = await sendAsPythonSdk(sandbox.url, ENDPOINT, pythonCreateLogstore(PROJECT, "from-python"), credentials, auth);
    expect(response.status, response.body).toBe(200);
    expect(createdInSandbox().map((l) => l.name)).toEqual(["from-python"]);
  });
});

/** The captured request with the headers a signer writes itself taken out. */
function unsigned(request: Captured, produced: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).filter(([name]) => !produced.includes(name)));
}

const V1_OUTPUTS = ["authorization", "content-md5", "date", "x-log-signaturemethod", "x-acs-security-token"];
const V4_OUTPUTS = ["authorization", "x-log-date", "x-log-content-sha256", "x-acs-security-token"];

describe.each([
  ["access key", GOOD],
  ["STS token", STS],
] as const)("our signer on each SDK's captured CreateLogStore, with an %s", (_kind, credentials) => {
  function expectV1Match(request: Captured, algorithm: "hmac-sha1" | "hmac-sha256"): void {
    expect(request.headers["x-log-signaturemethod"]).toBe(algorithm);
    const ours = signV1(
      { method: request.method, path: request.path, query: {}, headers: unsigned(request, V1_OUTPUTS), body: request.body },
      credentials,
      { now: new Date(request.headers["date"] ?? ""), algorithm },
    );
    expect(ours["content-md5"]).toBe(request.headers["content-md5"]);
    expect(ours["date"]).toBe(request.headers["date"]);
    expect(ours["authorization"]).toBe(request.headers["authorization"]);
  }

  function expectV4Match(request: Captured): void {
    const dateTime = request.headers["x-log-date"] ?? "";
    const now = new Date(`${dateTime.slice(0, 4)}-${dateTime.slice(4, 6)}-${dateTime.slice(6, 8)}T${dateTime.slice(9, 11)}:${dateTime.slice(11, 13)}:${dateTime.slice(13, 15)}Z`);
    const ours = signV4({ method: request.method, path: request.path, query: {}, headers: unsigned(request, V4_OUTPUTS), body: request.body }, credentials, { now, region: REGION });
    expect(ours["x-log-content-sha256"]).toBe(request.headers["x-log-content-sha256"]);
    expect(ours["authorization"]).toBe(request.headers["authorization"]);
  }

  it("@alicloud/log 1.2.6: same Content-MD5 and Authorization; our client sends the same body bytes", async () => {
    await aliyunLog(credentials, capture.port).createLogStore(PROJECT, "tenant-events-9", { ttl: 30, shardCount: 2 });
    const sdk = capture.requests[0];
    expect(sdk?.method).toBe("POST");
    expect(sdk?.path).toBe("/logstores");
    expectV1Match(sdk!, "hmac-sha1");

    const ours = clientFor(sandbox, { connectTo: `http://127.0.0.1:${capture.port}`, credentials: new CountingCredentials(credentials) });
    try {
      await ours.createLogStore({ name: "tenant-events-9", ttl: 30, shardCount: 2 });
    } finally {
      ours.close();
    }
    const mine = capture.requests[1];
    expect(mine?.body.toString("utf8")).toBe(sdk?.body.toString("utf8"));
    expect(mine?.headers["content-md5"]).toBe(sdk?.headers["content-md5"]);
    // (The SDK's Host carries the capture server's port: it was given `endpoint:port`.)
    expect([mine?.method, mine?.path, mine?.headers["content-type"]]).toEqual([sdk?.method, sdk?.path, sdk?.headers["content-type"]]);
  });

  it("@alicloud/sls20201230 5.9.0, v1: same Content-MD5 and Authorization (hmac-sha256)", async () => {
    await teaClient(credentials, "v1", capture.port).createLogStore(PROJECT, teaRequest("tenant-events-9"));
    expectV1Match(capture.requests[0]!, "hmac-sha256");
  });

  it("@alicloud/sls20201230 5.9.0, v4: same content hash and Authorization", async () => {
    await teaClient(credentials, "v4", capture.port).createLogStore(PROJECT, teaRequest("tenant-events-9"));
    expectV4Match(capture.requests[0]!);
  });

  it("aliyun-log-python-sdk, v1 and v4: same Authorization", () => {
    const call = pythonCreateLogstore(PROJECT, "tenant-events-9");
    const asSent = (headers: Record<string, string>): Captured => ({
      method: call.method,
      path: call.resource,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: call.body ?? Buffer.alloc(0),
    });
    const now = new Date(Date.UTC(2026, 11, 1, 6, 0, 0));
    expectV1Match(asSent(pythonSdkHeaders(call, ENDPOINT, credentials, { version: "v1" }, now)), "hmac-sha1");
    expectV4Match(asSent(pythonSdkHeaders(call, ENDPOINT, credentials, { version: "v4", region: REGION }, now)));
  });
});
