/**
 * The SLS client where SLS (or what stands between) answers unusually: a list that is not a JSON
 * array of groups, AlreadyExist for a group the list never shows, a 3xx, an error message that
 * echoes a secret; which failures are ambiguous (only a create's), and what close() owns. Every
 * call goes over HTTP to the SLS sandbox; `garbled` answers HTTP 200 with the raw body given.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import { SlsError } from "../../../src/providers/sls/errors.ts";
import type { SlsClient, SlsClientOptions } from "../../../src/providers/sls/types.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { CountingCredentials, clientFor, FAST_RETRY, GOOD, LOGSTORE, PROJECT, STS, startSandbox } from "./harness.ts";

let sandbox: SlsSandbox;
const clients: SlsClient[] = [];
const client = (overrides: Partial<SlsClientOptions> = {}) => {
  const c = clientFor(sandbox, overrides);
  clients.push(c);
  return c;
};
const calls = (operation: string) => sandbox.state().calls[operation] ?? 0;
const groups = () => sandbox.state().groups[PROJECT]?.[LOGSTORE] ?? [];
const soon = () => ({ deadline: Date.now() + 8_000 });

async function failure(promise: Promise<unknown>): Promise<SlsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SlsError) return error;
    throw error;
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

describe("a list answer that is not a JSON array of consumer groups", () => {
  it("is a permanent InvalidResponse carrying SLS's request id, not retried", async () => {
    for (const body of ["<html>proxy</html>", '{"consumerGroups":[]}', '[{"name":"tenant-1"}]']) {
      sandbox.reset();
      sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "garbled", body }] });
      const error = await failure(client().listConsumerGroups(soon()));
      expect(error).toMatchObject({ code: "InvalidResponse", httpStatus: 200, errorClass: "permanent", ambiguous: false, operation: "ListConsumerGroup" });
      expect(error.message).toBe("ListConsumerGroup failed: the answer is not a JSON array of consumer groups");
      expect(error.requestId).toMatch(/^[0-9A-F]{24}$/i);
      expect(calls("ListConsumerGroup")).toBe(1);
    }
  });
});

describe("ensureConsumerGroup", () => {
  it("makes one create and no list when the create succeeds", async () => {
    expect(await client().ensureConsumerGroup({ name: "tenant-1", timeout: 60, order: false }, soon())).toEqual({
      outcome: "created",
      group: { name: "tenant-1", timeout: 60, order: false },
    });
    expect(calls("CreateConsumerGroup")).toBe(1);
    expect(calls("ListConsumerGroup")).toBe(0);
  });

  it("an ambiguous create confirmed by AlreadyExist, of a group made earlier with other settings, ends 'updated' with the wanted settings", async () => {
    await client().createConsumerGroup({ name: "tenant-2", timeout: 30, order: true }, soon());
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", times: 1, error: { status: 503, code: "ServerBusy" } }] });
    const result = await client().ensureConsumerGroup({ name: "tenant-2", timeout: 60, order: false }, soon());
    expect(result).toEqual({ outcome: "updated", group: { name: "tenant-2", timeout: 60, order: false } });
    expect(groups()).toEqual([{ name: "tenant-2", timeout: 60, order: false }]);
  });

  it("AlreadyExist for a group the list never shows is a transient ConsumerGroupNotListed after two rounds", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 400, code: "ConsumerGroupAlreadyExist" } }] });
    const error = await failure(client().ensureConsumerGroup({ name: "tenant-3", timeout: 60, order: false }, soon()));
    expect(error).toMatchObject({ code: "ConsumerGroupNotListed", httpStatus: 0, errorClass: "transient", ambiguous: false, operation: "CreateConsumerGroup" });
    expect(error.message).toBe("CreateConsumerGroup: consumer group reported existing but not listed");
    expect(calls("CreateConsumerGroup")).toBe(2);
    expect(calls("ListConsumerGroup")).toBe(2);
  });

  it("AlreadyExist once for a group not yet listed: the next round creates it", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", times: 1, error: { status: 400, code: "ConsumerGroupAlreadyExist" } }] });
    expect(await client().ensureConsumerGroup({ name: "tenant-4", timeout: 60, order: false }, soon())).toMatchObject({ outcome: "created" });
    expect(calls("CreateConsumerGroup")).toBe(2);
    expect(groups()).toEqual([{ name: "tenant-4", timeout: 60, order: false }]);
  });
});

describe("which failures are ambiguous", () => {
  it("a 5xx on list, update and delete is not (they are idempotent); on create it is", async () => {
    await client().createConsumerGroup({ name: "tenant-5", timeout: 60, order: false }, soon());
    sandbox.faults.configure({ rules: [{ kind: "error", error: { status: 500, code: "InternalServerError" } }] });
    const sls = client();
    for (const call of [
      () => sls.listConsumerGroups(soon()),
      () => sls.updateConsumerGroup("tenant-5", { timeout: 70 }, soon()),
      () => sls.deleteConsumerGroup("tenant-5", soon()),
      () => sls.removeConsumerGroup({ name: "tenant-5" }, soon()),
    ]) {
      expect(await failure(call())).toMatchObject({ errorClass: "transient", ambiguous: false });
    }
    expect(await failure(sls.createConsumerGroup({ name: "tenant-6", timeout: 60, order: false }, soon()))).toMatchObject({ ambiguous: true });
  });

  it("a 3xx is not success", async () => {
    await client().createConsumerGroup({ name: "tenant-7", timeout: 60, order: false }, soon());
    sandbox.faults.configure({ rules: [{ operation: "DeleteConsumerGroup", kind: "error", error: { status: 300, code: "MultipleChoices" } }] });
    expect(await failure(client().removeConsumerGroup({ name: "tenant-7" }, soon()))).toMatchObject({ httpStatus: 300 });
    expect(groups().map((g) => g.name)).toEqual(["tenant-7"]);
  });
});

describe("secrets", () => {
  it("an error message that echoes the secret or the STS token never carries them", async () => {
    const echo = `bad signature for ${GOOD.accessKeySecret}`;
    sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "error", error: { status: 400, code: "ParameterInvalid", message: echo } }] });
    const error = await failure(client().listConsumerGroups(soon()));
    expect(error.message).not.toContain(GOOD.accessKeySecret);
    expect(error.message).toContain("bad signature for");

    const token = `token ${STS.securityToken} expired`;
    sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "error", error: { status: 400, code: "ParameterInvalid", message: token } }] });
    const stsError = await failure(client({ credentials: new CountingCredentials(STS) }).listConsumerGroups(soon()));
    expect(stsError.message).not.toContain(STS.securityToken);
    expect(stsError.message).toContain("expired");
  });
});

describe("bad input", () => {
  it("is refused before any call, naming the operation and the field", async () => {
    const refused = async (promise: Promise<unknown>): Promise<string> => {
      try {
        await promise;
      } catch (error) {
        if (error instanceof ValidationError) return error.message;
        throw error;
      }
      throw new Error("expected a ValidationError");
    };
    const sls = client();
    expect(await refused(sls.createConsumerGroup({ name: "", timeout: 60, order: false }, soon()))).toMatch(/^CreateConsumerGroup: invalid input: name: /);
    expect(await refused(sls.updateConsumerGroup("", { timeout: 60 }, soon()))).toMatch(/^UpdateConsumerGroup: invalid input: name: /);
    expect(await refused(sls.deleteConsumerGroup("", soon()))).toMatch(/^DeleteConsumerGroup: invalid input: name: /);
    expect(await refused(sls.removeConsumerGroup({ name: "" }, soon()))).toMatch(/^removeConsumerGroup: invalid input: name: /);
    expect(await refused(sls.ensureConsumerGroup({ name: "", timeout: 60, order: false }, soon()))).toMatch(/^ensureConsumerGroup: invalid input: name: /);
    expect(sandbox.state().calls).toEqual({});
  });
});

describe("close()", () => {
  it("leaves a transport it was given open for its owner", async () => {
    const transport = createHttpTransport();
    try {
      const first = clientFor(sandbox, { transport, retryPolicy: FAST_RETRY });
      await first.createConsumerGroup({ name: "tenant-8", timeout: 60, order: false }, soon());
      first.close();
      const second = clientFor(sandbox, { transport, retryPolicy: FAST_RETRY });
      expect((await second.listConsumerGroups(soon())).map((g) => g.name)).toEqual(["tenant-8"]);
    } finally {
      transport.close();
    }
  });
});
