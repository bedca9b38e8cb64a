/**
 * The SLS sandbox accepts what the official SDKs send, unmodified, over real HTTP: every
 * consumer-group call (create, list, update, delete), with an access key and with an STS token,
 * in every signing mode each SDK offers:
 *
 * - `@alicloud/log` 1.2.6: v1 HMAC-SHA1 only. It has no consumer-group methods, so its own
 *   generic `_request` (the code every one of its methods goes through) makes the calls.
 * - `@alicloud/sls20201230` 5.9.0 (Tea): v1 (always HMAC-SHA256 with an access key) and v4.
 * - aliyun-log-python-sdk: v1 HMAC-SHA1 and v4, rebuilt from its source (test/support/python-sls-wire.ts).
 *
 * Each call starts from a state set up with this project's own client, so every SDK call is
 * judged on its own; the sandbox state must show its effect. The SDKs connect to the real host
 * names (`{project}.cn-shanghai.log.aliyuncs.com`, resolved to 127.0.0.1 by test/support/loopback-dns.ts)
 * on the sandbox's port.
 */
import AliyunLogClient from "@alicloud/log";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import * as tea from "@alicloud/sls20201230";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SlsCredentials } from "../../../src/credentials/types.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { resolveToLoopback } from "../../support/loopback-dns.ts";
import {
  pythonConsumerGroupCalls as py,
  pythonSdkHeaders,
  sendAsPythonSdk,
  sendRaw,
  type PythonAuth,
  type PythonSdkCall,
} from "../../support/python-sls-wire.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { clientFor, CountingCredentials, ENDPOINT, GOOD, LOGSTORE, PROJECT, startSandbox, STS } from "../sls/harness.ts";

const REGION = "cn-shanghai";
const GROUP = "sdk-group";

/**
 * The Tea client class, the CJS module's `exports.default`: Node's ESM loader (and so the types)
 * hands the whole exports object over as `default`, vitest's loader unwraps it to the class.
 */
type TeaClientClass = typeof tea.default.default;
const teaDefault: unknown = tea.default;
const TeaSlsClient = (typeof teaDefault === "function" ? teaDefault : tea.default.default) as TeaClientClass;

/** One SDK in one signing mode, reduced to the four calls under test. */
interface SdkDriver {
  create(name: string, timeout: number, order: boolean): Promise<void>;
  list(): Promise<{ name: string; timeout: number; order: boolean }[]>;
  update(name: string, timeout: number, order: boolean): Promise<void>;
  remove(name: string): Promise<void>;
}

let sandbox: SlsSandbox;
let restoreDns: () => void;

beforeAll(async () => {
  sandbox = await startSandbox();
  restoreDns = resolveToLoopback(ENDPOINT);
});

afterAll(async () => {
  restoreDns();
  await sandbox.close();
});

beforeEach(() => {
  sandbox.reset();
});

/** The endpoint as an SDK is configured with it: the real one, on the sandbox's port. */
function sdkEndpoint(target: SlsSandbox): string {
  return `${ENDPOINT}:${target.port}`;
}

function aliyunLogDriver(credentials: SlsCredentials, target: SlsSandbox): SdkDriver {
  const client = new AliyunLogClient({ ...credentials, endpoint: sdkEndpoint(target) });
  const path = `/logstores/${LOGSTORE}/consumergroups`;
  return {
    async create(name, timeout, order) {
      await client._request("POST", PROJECT, path, {}, Buffer.from(JSON.stringify({ consumerGroup: name, timeout, order })), {});
    },
    async list() {
      return (await client._request("GET", PROJECT, path, {}, null, {})) as { name: string; timeout: number; order: boolean }[];
    },
    async update(name, timeout, order) {
      await client._request("PUT", PROJECT, `${path}/${name}`, {}, Buffer.from(JSON.stringify({ order, timeout })), {});
    },
    async remove(name) {
      await client._request("DELETE", PROJECT, `${path}/${name}`, {}, null, {});
    },
  };
}

function teaDriver(credentials: SlsCredentials, signatureVersion: "v1" | "v4", target: SlsSandbox): SdkDriver {
  const client = new TeaSlsClient(
    new $OpenApiUtil.Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      securityToken: credentials.securityToken,
      endpoint: sdkEndpoint(target),
      regionId: REGION,
      protocol: "http",
      signatureVersion,
    }),
  );
  return {
    async create(name, timeout, order) {
      await client.createConsumerGroup(PROJECT, LOGSTORE, new tea.CreateConsumerGroupRequest({ consumerGroup: name, timeout, order }));
    },
    async list() {
      const response = await client.listConsumerGroup(PROJECT, LOGSTORE);
      return (response.body ?? []).map((g: tea.ConsumerGroup) => ({ name: g.name ?? "", timeout: g.timeout ?? 0, order: g.order ?? false }));
    },
    async update(name, timeout, order) {
      await client.updateConsumerGroup(PROJECT, LOGSTORE, name, new tea.UpdateConsumerGroupRequest({ timeout, order }));
    },
    async remove(name) {
      await client.deleteConsumerGroup(PROJECT, LOGSTORE, name);
    },
  };
}

function pythonDriver(credentials: SlsCredentials, auth: PythonAuth, target: SlsSandbox, listParams: Record<string, string> = {}): SdkDriver {
  async function send(call: PythonSdkCall): Promise<string> {
    const response = await sendAsPythonSdk(target.url, ENDPOINT, call, credentials, auth);
    // LogClient._sendRequest raises LogException(errorCode, ...) on any status but 200.
    if (response.status !== 200) throw Object.assign(new Error(`HTTP ${response.status} ${response.body}`), { code: errorCodeIn(response.body) });
    return response.body;
  }
  return {
    async create(name, timeout, order) {
      await send(py.create(PROJECT, LOGSTORE, name, timeout, order));
    },
    async list() {
      return JSON.parse(await send(py.list(PROJECT, LOGSTORE, listParams))) as { name: string; timeout: number; order: boolean }[];
    },
    async update(name, timeout, order) {
      await send(py.update(PROJECT, LOGSTORE, name, timeout, order));
    },
    async remove(name) {
      await send(py.delete(PROJECT, LOGSTORE, name));
    },
  };
}

/** Puts a group in place with this project's own client (known to pass the sandbox). */
async function seedGroup(timeout = 60, order = false): Promise<void> {
  const client = clientFor(sandbox, { credentials: new CountingCredentials(GOOD) });
  try {
    await client.createConsumerGroup({ name: GROUP, timeout, order });
  } finally {
    client.close();
  }
}

function groupsInSandbox(): { name: string; timeout: number; order: boolean }[] {
  return sandbox.state().groups[PROJECT]?.[LOGSTORE] ?? [];
}

const CREDENTIALS = [
  ["access key", GOOD],
  ["STS token", STS],
] as const;

type DriverFactory = (credentials: SlsCredentials, target: SlsSandbox) => SdkDriver;

const MODES: [string, DriverFactory][] = [
  ["@alicloud/log 1.2.6, v1 hmac-sha1", (c, t) => aliyunLogDriver(c, t)],
  ["@alicloud/sls20201230 5.9.0, v1 hmac-sha256", (c, t) => teaDriver(c, "v1", t)],
  ["@alicloud/sls20201230 5.9.0, v4", (c, t) => teaDriver(c, "v4", t)],
  ["aliyun-log-python-sdk, v1 hmac-sha1", (c, t) => pythonDriver(c, { version: "v1" }, t)],
  ["aliyun-log-python-sdk, v4", (c, t) => pythonDriver(c, { version: "v4", region: REGION }, t)],
];

describe.each(MODES)("%s", (_mode, factory) => {
  describe.each(CREDENTIALS)("with an %s", (_kind, credentials) => {
    const driverFor = (c: SlsCredentials) => factory(c, sandbox);
    it("CreateConsumerGroup is accepted and creates the group", async () => {
      await driverFor(credentials).create(GROUP, 45, true);
      expect(groupsInSandbox()).toEqual([{ name: GROUP, timeout: 45, order: true }]);
      expect(sandbox.state().rejections).toEqual({});
    });

    it("ListConsumerGroup is accepted and lists the group", async () => {
      await seedGroup(60, false);
      expect(await driverFor(credentials).list()).toEqual([{ name: GROUP, timeout: 60, order: false }]);
      expect(sandbox.state().calls["ListConsumerGroup"]).toBe(1);
    });

    it("UpdateConsumerGroup is accepted and changes the group", async () => {
      await seedGroup(60, false);
      await driverFor(credentials).update(GROUP, 120, true);
      expect(groupsInSandbox()).toEqual([{ name: GROUP, timeout: 120, order: true }]);
    });

    it("DeleteConsumerGroup is accepted and removes the group", async () => {
      await seedGroup();
      await driverFor(credentials).remove(GROUP);
      expect(groupsInSandbox()).toEqual([]);
      expect(sandbox.state().calls["DeleteConsumerGroup"]).toBe(1);
    });
  });
});

describe("aliyun-log-python-sdk with a query string (?x=a~b: `~` stays literal in the v4 canonical query)", () => {
  it.each([
    ["v1, access key", GOOD, { version: "v1" }],
    ["v1, STS token", STS, { version: "v1" }],
    ["v4, access key", GOOD, { version: "v4", region: REGION }],
    ["v4, STS token", STS, { version: "v4", region: REGION }],
  ] as const)("%s: ListConsumerGroup is accepted", async (_label, credentials, auth) => {
    await seedGroup();
    expect(await pythonDriver(credentials, auth, sandbox, { x: "a~b" }).list()).toEqual([{ name: GROUP, timeout: 60, order: false }]);
  });
});

/** The SLS `errorCode` of a failed SDK call: each SDK puts it on its error as `code`. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    throw error;
  }
  throw new Error("expected the call to be refused");
}

function errorCodeIn(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorCode?: unknown };
    return typeof parsed.errorCode === "string" ? parsed.errorCode : "";
  } catch {
    return "";
  }
}

describe("what the real service refuses stays refused, whichever SDK sends it", () => {
  describe.each(MODES)("%s", (_mode, factory) => {
    it("a wrong secret: 401 SignatureNotMatch, nothing created", async () => {
      const wrong = factory({ ...GOOD, accessKeySecret: "not-the-secret" }, sandbox);
      expect(await refusal(wrong.create(GROUP, 60, false))).toBe("SignatureNotMatch");
      expect(await refusal(wrong.list())).toBe("SignatureNotMatch");
      expect(groupsInSandbox()).toEqual([]);
    });

    it("an unknown key id: 401 InvalidAccessKeyId", async () => {
      expect(await refusal(factory({ accessKeyId: "LTAI-nobody", accessKeySecret: "x" }, sandbox).list())).toBe("InvalidAccessKeyId");
    });

    it("an STS token past its expiry: 401 SecurityTokenExpired", async () => {
      const expiring = await startSandbox({ accounts: [{ ...STS, securityTokenExpiresAt: Date.now() - 1 }] });
      try {
        expect(await refusal(factory(STS, expiring).list())).toBe("SecurityTokenExpired");
      } finally {
        await expiring.close();
      }
    });

    it("a clock more than 15 minutes off: 400 RequestTimeExpired", async () => {
      const ahead = await startSandbox({ clock: new FakeClock(Date.now() + 16 * 60_000) });
      try {
        expect(await refusal(factory(GOOD, ahead).create(GROUP, 60, false))).toBe("RequestTimeExpired");
        expect(ahead.state().createsApplied).toBe(0);
      } finally {
        await ahead.close();
      }
    });

    it("a consumer group name the service refuses: 400 JsonInfoInvalid", async () => {
      expect(await refusal(factory(GOOD, sandbox).create("bad name!", 60, false))).toBe("JsonInfoInvalid");
      expect(groupsInSandbox()).toEqual([]);
    });
  });

  describe.each([
    ["v1", { version: "v1" }, "InvalidContentMD5"],
    ["v4", { version: "v4", region: REGION }, "InvalidContentSha256"],
  ] as const)("Python SDK wire, %s", (_label, auth, digestCode) => {
    async function sendChanged(change: (headers: Record<string, string>, call: PythonSdkCall) => PythonSdkCall): Promise<string> {
      const call = py.create(PROJECT, LOGSTORE, GROUP, 60, false);
      const headers = pythonSdkHeaders(call, ENDPOINT, GOOD, auth);
      const response = await sendRaw(sandbox.url, change(headers, call), headers);
      return `${response.status} ${errorCodeIn(response.body)}`;
    }

    it(`a body changed after signing: 400 ${digestCode}, nothing created`, async () => {
      const code = await sendChanged((_h, call) => ({ ...call, body: Buffer.from(call.body?.toString().replace("60", "61") ?? "") }));
      expect(code).toBe(`400 ${digestCode}`);
      expect(sandbox.state().createsApplied).toBe(0);
    });

    it("no x-log-apiversion: 400 MissingAPIVersion", async () => {
      const code = await sendChanged((headers, call) => {
        delete headers["x-log-apiversion"];
        return call;
      });
      expect(code).toBe("400 MissingAPIVersion");
    });

    it("a logstore that does not exist: 404 LogStoreNotExist", async () => {
      const response = await sendAsPythonSdk(sandbox.url, ENDPOINT, py.list(PROJECT, "no-such-store"), GOOD, auth);
      expect(`${response.status} ${errorCodeIn(response.body)}`).toBe("404 LogStoreNotExist");
    });
  });
});
