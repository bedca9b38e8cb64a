/**
 * CreateLogStore: the client against the strict sandbox over real HTTP, and the sandbox's own
 * rules (the documented fields and ranges, LogStoreAlreadyExist, the project's logstore quota)
 * driven with the Python SDK's request as it puts it on the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { SlsError } from "../../../src/providers/sls/errors.ts";
import type { SlsClient, SlsSignatureOptions } from "../../../src/providers/sls/types.ts";
import type { SlsSandbox, SlsSandboxOptions } from "../../../src/sandbox/sls/types.ts";
import { pythonCreateLogstore, pythonSdkHeaders, sendAsPythonSdk, sendRaw } from "../../support/python-sls-wire.ts";
import { clientFor, CountingCredentials, ENDPOINT, GOOD, LOGSTORE, PROJECT, startSandbox, STS } from "./harness.ts";

let sandbox: SlsSandbox;
const clients: SlsClient[] = [];

async function useSandbox(overrides: Partial<SlsSandboxOptions> = {}): Promise<void> {
  await sandbox?.close();
  sandbox = await startSandbox(overrides);
}

function client(overrides: Parameters<typeof clientFor>[1] = {}): SlsClient {
  const c = clientFor(sandbox, overrides);
  clients.push(c);
  return c;
}

function created(): string[] {
  return (sandbox.state().createdLogstores[PROJECT] ?? []).map((l) => l.name);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

beforeEach(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sandbox.close();
});

describe("the client's createLogStore", () => {
  it.each<[string, SlsSignatureOptions, typeof GOOD]>([
    ["v1 hmac-sha1", { version: "v1" }, GOOD],
    ["v1 hmac-sha256, STS token", { version: "v1", algorithm: "hmac-sha256" }, STS],
    ["v4", { version: "v4", region: "cn-shanghai" }, GOOD],
  ])("%s: creates the logstore, which then takes consumer groups", async (_mode, signature, credentials) => {
    const result = await client({ signature, credentials: new CountingCredentials(credentials) }).createLogStore({ name: "tenant-events-9", ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 });
    expect(result.outcome).toBe("created");
    expect(result.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(sandbox.state().createdLogstores[PROJECT]).toEqual([{ name: "tenant-events-9", ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 }]);
    const inNew = client({ logstore: "tenant-events-9", signature, credentials: new CountingCredentials(credentials) });
    await inNew.createConsumerGroup({ name: "tenant-a", timeout: 60, order: false });
    expect(sandbox.state().groups[PROJECT]?.["tenant-events-9"]).toEqual([{ name: "tenant-a", timeout: 60, order: false }]);
  });

  it("a taken name: an `exists` SlsError with SLS's code, status and request id, not retryable", async () => {
    const error = await failure(client().createLogStore({ name: LOGSTORE, ttl: 30, shardCount: 2 }));
    expect(error).toBeInstanceOf(SlsError);
    const e = error as SlsError;
    expect([e.provider, e.code, e.httpStatus, e.errorClass, e.retryable, e.operation]).toEqual(["sls", "LogStoreAlreadyExist", 400, "exists", false, "CreateLogStore"]);
    expect(e.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(sandbox.state().calls["CreateLogStore"]).toBe(1);
  });

  it("the project's logstore quota: a permanent SlsError ProjectQuotaExceed, tried once, nothing created", async () => {
    // The harness's project starts with two logstores.
    await useSandbox({ logstoreQuota: 3 });
    await client().createLogStore({ name: "third", ttl: 1, shardCount: 1 });
    const error = (await failure(client().createLogStore({ name: "fourth", ttl: 1, shardCount: 1 }))) as SlsError;
    expect([error.code, error.httpStatus, error.errorClass, error.retryable]).toEqual(["ProjectQuotaExceed", 400, "permanent", false]);
    expect(error.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(created()).toEqual(["third"]);
    expect(sandbox.state().calls["CreateLogStore"]).toBe(2);
  });

  it("an attempt that failed after taking effect: the retry's LogStoreAlreadyExist is that attempt's success", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateLogStore", kind: "error-after-effect", times: 1, error: { status: 500, code: "InternalServerError" } }] });
    const result = await client().createLogStore({ name: "tenant-events-9", ttl: 30, shardCount: 2 });
    expect(result.outcome).toBe("exists-after-ambiguous-attempt");
    expect(created()).toEqual(["tenant-events-9"]);
    expect(sandbox.state().calls["CreateLogStore"]).toBe(2);
  });

  it("refuses a logstore that breaks a documented rule before any request, naming each field", async () => {
    const error = await failure(client().createLogStore({ name: "Ab", ttl: 0, shardCount: 11, autoSplit: true }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { field: "name", rule: "3-63 characters" },
      { field: "name", rule: "only a-z, 0-9, _ and -" },
      { field: "name", rule: "must start and end with a lowercase letter or digit" },
      { field: "ttl", rule: "an integer 1-3650 days" },
      { field: "shardCount", rule: "an integer 1-10" },
      { field: "maxSplitShard", rule: "required when autoSplit is true" },
    ]);
    expect(sandbox.state().calls["CreateLogStore"]).toBeUndefined();
  });
});

describe("the sandbox's CreateLogStore, as the Python SDK sends it", () => {
  async function send(body: Record<string, unknown> | string, project = PROJECT): Promise<string> {
    const call = { ...pythonCreateLogstore(project, "x"), body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)) };
    const response = await sendRaw(sandbox.url, call, pythonSdkHeaders(call, ENDPOINT, GOOD, { version: "v1" }));
    return response.status === 200 ? "200" : `${response.status} ${(JSON.parse(response.body) as { errorCode: string }).errorCode}`;
  }

  it("accepts the SDK's defaults (v1 and v4), and the new logstore is empty", async () => {
    for (const [name, auth] of [["py-v1", { version: "v1" }], ["py-v4", { version: "v4", region: "cn-shanghai" }]] as const) {
      const response = await sendAsPythonSdk(sandbox.url, ENDPOINT, pythonCreateLogstore(PROJECT, name), GOOD, auth);
      expect(response.status, response.body).toBe(200);
      expect(sandbox.state().groups[PROJECT]?.[name]).toEqual([]);
    }
    expect(sandbox.state().createdLogstores[PROJECT]).toEqual([
      { name: "py-v1", ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 },
      { name: "py-v4", ttl: 30, shardCount: 2, autoSplit: true, maxSplitShard: 64 },
    ]);
  });

  it.each<[string, Record<string, unknown> | string, string]>([
    ["the three required fields", { logstoreName: "s-1x", ttl: 1, shardCount: 1 }, "200"],
    ["ttl 3650 and 10 shards, the upper bounds", { logstoreName: "s-2x", ttl: 3650, shardCount: 10 }, "200"],
    ["the Java SDK's shape: maxSplitShard -1 without autoSplit, and resourceQuota", { logstoreName: "s-3x", ttl: 7, shardCount: 2, enable_tracking: false, autoSplit: false, maxSplitShard: -1, appendMeta: false, resourceQuota: { storage: { preserved: -1 } }, telemetryType: "" }, "200"],
    ["autoSplit with maxSplitShard 256", { logstoreName: "s-4x", ttl: 7, shardCount: 2, autoSplit: true, maxSplitShard: 256 }, "200"],
    ["no logstoreName", { ttl: 1, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["a name of 2 characters", { logstoreName: "ab", ttl: 1, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["a name with an upper-case letter", { logstoreName: "Abc", ttl: 1, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["a name ending in -", { logstoreName: "abc-", ttl: 1, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["no ttl", { logstoreName: "s-5x", shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["ttl 0", { logstoreName: "s-5x", ttl: 0, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["ttl 3651", { logstoreName: "s-5x", ttl: 3651, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["ttl 1.5", { logstoreName: "s-5x", ttl: 1.5, shardCount: 1 }, "400 LogStoreInfoInvalid"],
    ["no shardCount", { logstoreName: "s-5x", ttl: 1 }, "400 LogStoreInfoInvalid"],
    ["11 shards", { logstoreName: "s-5x", ttl: 1, shardCount: 11 }, "400 LogStoreInfoInvalid"],
    ["shardCount as a string", { logstoreName: "s-5x", ttl: 1, shardCount: "2" }, "400 LogStoreInfoInvalid"],
    ["autoSplit without maxSplitShard", { logstoreName: "s-5x", ttl: 1, shardCount: 1, autoSplit: true }, "400 LogStoreInfoInvalid"],
    ["autoSplit with maxSplitShard 257", { logstoreName: "s-5x", ttl: 1, shardCount: 1, autoSplit: true, maxSplitShard: 257 }, "400 LogStoreInfoInvalid"],
    ["a body that is not JSON", "{logstoreName", "400 LogStoreInfoInvalid"],
  ])("%s: %s", async (_label, body, expected) => {
    expect(await send(body)).toBe(expected);
    if (expected !== "200") expect(created()).toEqual([]);
  });

  it("a name that exists: 400 LogStoreAlreadyExist; a project that does not: 404 ProjectNotExist", async () => {
    expect(await send({ logstoreName: LOGSTORE, ttl: 1, shardCount: 1 })).toBe("400 LogStoreAlreadyExist");
    expect(await send({ logstoreName: "s-6x", ttl: 1, shardCount: 1 }, "no-such-project")).toBe("404 ProjectNotExist");
    expect(created()).toEqual([]);
  });

  it("200 logstores by default, those it started with counted: the next is 400 ProjectQuotaExceed", async () => {
    for (let i = 0; i < 198; i++) expect(await send({ logstoreName: `s-${i}`, ttl: 1, shardCount: 1 })).toBe("200");
    expect(await send({ logstoreName: "s-one-more", ttl: 1, shardCount: 1 })).toBe("400 ProjectQuotaExceed");
    // A taken name is still named as taken at the quota.
    expect(await send({ logstoreName: "s-0", ttl: 1, shardCount: 1 })).toBe("400 LogStoreAlreadyExist");
    expect(created()).toHaveLength(198);
  });

  it("reset drops the logstores CreateLogStore made, and keeps those it started with", async () => {
    expect(await send({ logstoreName: "s-7x", ttl: 1, shardCount: 1 })).toBe("200");
    sandbox.reset();
    expect(sandbox.state().createdLogstores).toEqual({});
    expect(Object.keys(sandbox.state().groups[PROJECT] ?? {})).toEqual([LOGSTORE, "other-store"]);
  });
});
