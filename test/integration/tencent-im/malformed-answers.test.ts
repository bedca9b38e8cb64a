/**
 * Answers the documented IM API never gives, but a gateway or a changed service can: a body that
 * is not the IM envelope, an OK envelope without the fields the command returns, entries for
 * other groups. The sandbox's `garbled` fault answers HTTP 200 with the raw body given; every
 * call goes over real HTTP to it. Also the per-item failures IM reports inside an OK answer, and
 * the client's option checks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError, ValidationError } from "../../../src/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import { IM_DOMAINS } from "../../../src/providers/tencent-im/constants.ts";
import { TencentImError } from "../../../src/providers/tencent-im/errors.ts";
import type { EnsureGroupSpec } from "../../../src/providers/tencent-im/types.ts";
import type { FaultRule } from "../../../src/sandbox/faults.ts";
import { APP, countingCredentials, deadline, FAST_RETRY, type Harness, startHarness } from "./harness.ts";

const spec: EnsureGroupSpec = {
  groupId: "tenant-7",
  type: "Public",
  name: "Acme",
  ownerAccount: "acme-admin",
  marker: "tp:tenant-7",
  introduction: "Acme team",
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.sandbox.reset();
  h.sandbox.faults.configure({});
});

const calls = (command: string) => h.sandbox.state().counters.calls[command] ?? 0;
const garble = (operation: string, body: string, more: Partial<FaultRule> = {}) =>
  h.sandbox.faults.configure({ rules: [{ operation, kind: "garbled", body, ...more }] });
const ok = (fields: Record<string, unknown>) => JSON.stringify({ ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ...fields });
const entry = (fields: Record<string, unknown>) => ({ ErrorCode: 0, ErrorInfo: "", ...fields });

async function failure(promise: Promise<unknown>): Promise<TencentImError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TencentImError)) throw new Error(`expected a TencentImError, got ${String(error)}`);
  return error;
}

describe("an answer that is not the IM envelope", () => {
  it("is a transient InvalidResponse, retried until the deadline's attempts are spent", async () => {
    garble("get_group_info", "<html><body>502 from a proxy, with status 200</body></html>");
    const error = await failure(h.client.getGroupInfo(spec.groupId, deadline()));
    expect(error).toMatchObject({ code: "InvalidResponse", httpStatus: 200, errorClass: "transient", ambiguous: false, operation: "get_group_info" });
    expect(error.message).toBe("get_group_info failed: the answer is not an IM JSON envelope");
    expect(calls("get_group_info")).toBe(FAST_RETRY.maxAttempts);
  });

  it("passes: one garbled answer, then the next attempt reads the group", async () => {
    await h.client.ensureGroup(spec, deadline());
    garble("get_group_info", "{", { times: 1 });
    expect(await h.client.getGroupInfo(spec.groupId, deadline())).toMatchObject({ groupId: spec.groupId, name: "Acme" });
    expect(calls("get_group_info")).toBe(2);
  });

  it("on create_group is ambiguous and not retried: the group may exist; ensureGroup reads it back and owns it", async () => {
    await h.client.accountImport({ userId: spec.ownerAccount }, deadline());
    h.sandbox.faults.configure({ rules: [{ operation: "create_group", kind: "garbled-after-effect", body: "[]" }] });
    const error = await failure(h.client.createGroup({ groupId: spec.groupId, type: "Public", name: "Acme", ownerAccount: spec.ownerAccount }, deadline()));
    expect(error).toMatchObject({ code: "InvalidResponse", errorClass: "transient", ambiguous: true, operation: "create_group" });
    expect(calls("create_group")).toBe(1);
    expect(h.sandbox.state().groups.map((g) => g.groupId)).toEqual([spec.groupId]);

    h.sandbox.reset();
    h.sandbox.faults.configure({ rules: [{ operation: "create_group", kind: "garbled-after-effect", body: "not json", times: 1 }] });
    expect(await h.client.ensureGroup(spec, deadline())).toEqual({ outcome: "already-existed", groupId: spec.groupId });
    expect(calls("create_group")).toBe(1);
  });

  it("a FAIL envelope's ErrorInfo is quoted in the message; an entry's too", async () => {
    garble("destroy_group", JSON.stringify({ ActionStatus: "FAIL", ErrorCode: 10004, ErrorInfo: "owner missing" }));
    expect((await failure(h.client.destroyGroup(spec.groupId, deadline()))).message).toBe("destroy_group failed: ErrorCode 10004 (owner missing)");
    garble("get_group_info", ok({ GroupInfo: [{ GroupId: spec.groupId, ErrorCode: 10004, ErrorInfo: "bad group" }] }));
    expect((await failure(h.client.getGroupInfo(spec.groupId, deadline()))).message).toBe("get_group_info failed: ErrorCode 10004 (bad group)");
  });

  it("a FAIL envelope without ErrorInfo names only the code", async () => {
    garble("destroy_group", JSON.stringify({ ActionStatus: "FAIL", ErrorCode: 10004 }));
    const error = await failure(h.client.destroyGroup(spec.groupId, deadline()));
    expect(error.message).toBe("destroy_group failed: ErrorCode 10004");
    expect(error).toMatchObject({ code: "10004", errorClass: "permanent" });
    expect(calls("destroy_group")).toBe(1);
  });
});

describe("an OK envelope without what the command returns", () => {
  it("create_group without a GroupId: the custom id sent is trusted; with none sent, a permanent ambiguous InvalidResponse", async () => {
    await h.client.accountImport({ userId: spec.ownerAccount }, deadline());
    garble("create_group", ok({}));
    expect(await h.client.createGroup({ groupId: "tenant-8", type: "Public", name: "Acme", ownerAccount: spec.ownerAccount }, deadline())).toEqual({ groupId: "tenant-8" });
    const error = await failure(h.client.createGroup({ type: "Public", name: "Acme", ownerAccount: spec.ownerAccount }, deadline()));
    expect(error).toMatchObject({ code: "InvalidResponse", httpStatus: 200, errorClass: "permanent", ambiguous: true, operation: "create_group" });
    expect(error.message).toBe("create_group answered OK without a GroupId");
  });

  it("get_group_info without an entry is a transient InvalidResponse, not 'absent'", async () => {
    for (const body of [ok({ GroupInfo: [] }), ok({}), ok({ GroupInfo: [{ GroupId: 7 }] })]) {
      garble("get_group_info", body);
      const error = await failure(h.client.getGroupInfo(spec.groupId, deadline()));
      expect(error).toMatchObject({ code: "InvalidResponse", httpStatus: 200, errorClass: "transient", ambiguous: false, operation: "get_group_info" });
      expect(error.message).toBe("get_group_info answered OK without a GroupInfo entry");
    }
  });

  it("get_group_info picks the entry of the group asked for, and reads absent fields as empty", async () => {
    garble(
      "get_group_info",
      ok({ GroupInfo: [entry({ GroupId: "someone-else", Type: "Private", Name: "Other" }), entry({ GroupId: spec.groupId, Owner_Account: "" })] }),
    );
    const info = await h.client.getGroupInfo(spec.groupId, deadline());
    expect(info).toEqual({
      groupId: spec.groupId,
      type: "",
      name: "",
      ownerAccount: undefined,
      introduction: undefined,
      notification: undefined,
      memberNum: undefined,
      faceUrl: undefined,
      applyJoinOption: undefined,
      members: undefined,
    });
    garble("get_group_info", ok({ GroupInfo: [entry({ GroupId: spec.groupId, Owner_Account: "boss", MemberList: [{ Member_Account: "boss" }, { Member_Account: "ann" }] })] }));
    expect(await h.client.getGroupInfo(spec.groupId, deadline())).toMatchObject({ ownerAccount: "boss", members: ["boss", "ann"] });
  });

  it("get_group_info: an entry's own error without ErrorInfo names only the code", async () => {
    garble("get_group_info", ok({ GroupInfo: [{ GroupId: spec.groupId, ErrorCode: 10004 }] }));
    const error = await failure(h.client.getGroupInfo(spec.groupId, deadline()));
    expect(error.message).toBe("get_group_info failed: ErrorCode 10004");
    expect(error).toMatchObject({ code: "10004", operation: "get_group_info" });
  });

  it("multiaccount_import and add_group_member with an unreadable list are InvalidResponse naming the command", async () => {
    garble("multiaccount_import", ok({ FailAccounts: "m1" }));
    const imported = await failure(h.client.importAccounts([{ userId: "m1" }], deadline()));
    expect(imported).toMatchObject({ code: "InvalidResponse", errorClass: "transient", ambiguous: false, httpStatus: 200, operation: "multiaccount_import" });
    expect(imported.message).toBe("multiaccount_import: answered OK with an unexpected body");

    h.sandbox.faults.configure({});
    await h.client.ensureGroup(spec, deadline());
    await h.client.importAccounts([{ userId: "m1" }], deadline());
    garble("add_group_member", ok({ MemberList: [{ Member_Account: "m1", Result: "yes" }] }));
    const added = await failure(h.client.addGroupMembers(spec.groupId, ["m1"], deadline()));
    expect(added).toMatchObject({ code: "InvalidResponse", errorClass: "transient", operation: "add_group_member" });
    expect(added.message).toBe("add_group_member: answered OK with an unexpected body");
  });

  it("add_group_member: an unknown Result, or a member left out of the answer, is 'failed'", async () => {
    await h.client.ensureGroup(spec, deadline());
    await h.client.importAccounts([{ userId: "m1" }, { userId: "m2" }, { userId: "m3" }], deadline());
    garble("add_group_member", ok({ MemberList: [{ Member_Account: "m1", Result: 9 }, { Member_Account: "m2", Result: 1 }] }));
    expect(await h.client.addGroupMembers(spec.groupId, ["m1", "m2", "m3"], deadline())).toEqual({
      members: [
        { userId: "m1", outcome: "failed" },
        { userId: "m2", outcome: "added" },
        { userId: "m3", outcome: "failed" },
      ],
    });
  });
});

describe("failures IM reports inside an OK answer", () => {
  it("ensureGroup: an initial member IM did not import is a transient AccountsNotImported, before any create", async () => {
    h.sandbox.faults.configure({ rules: [{ operation: "multiaccount_import.account", kind: "error", resource: "bob" }] });
    const error = await failure(h.client.ensureGroup({ ...spec, members: [{ userId: "ann" }, { userId: "bob" }] }, deadline()));
    expect(error).toMatchObject({ code: "AccountsNotImported", errorClass: "transient", ambiguous: false, httpStatus: 200, operation: "ensure_group" });
    expect(error.message).toBe("ensure_group: 1 account(s) were not imported (multiaccount_import FailAccounts)");
    expect(calls("create_group")).toBe(0);
  });

  it("updateGroup: a member IM did not add is a permanent MembersNotAdded; already-members are not reported as added", async () => {
    await h.client.ensureGroup({ ...spec, members: [{ userId: "ann" }] }, deadline());
    h.sandbox.faults.configure({ rules: [{ operation: "add_group_member.member", kind: "error", resource: "bob" }] });
    const error = await failure(h.client.updateGroup({ ...spec, members: [{ userId: "ann" }, { userId: "bob" }, { userId: "cy" }] }, deadline()));
    expect(error).toMatchObject({ code: "MembersNotAdded", errorClass: "permanent", ambiguous: false, operation: "add_group_member" });
    expect(error.message).toBe('add_group_member: 1 member(s) of group "tenant-7" were not added (Result 0)');

    h.sandbox.faults.configure({});
    // IM answers Result 2 for cy (added by the failed run): not "added" by this one.
    const result = await h.client.updateGroup({ ...spec, members: [{ userId: "ann" }, { userId: "bob" }, { userId: "cy" }] }, deadline());
    expect(result).toEqual({ outcome: "updated", groupId: spec.groupId, changedFields: [], addedMembers: ["bob"] });
    const silenced = h.sandbox.state().groups.find((g) => g.groupId === spec.groupId);
    expect(silenced?.members.sort()).toEqual(["acme-admin", "ann", "bob", "cy"]);
  });

  it("updateGroup: members already in the group make no add call", async () => {
    await h.client.ensureGroup({ ...spec, members: [{ userId: "ann" }, { userId: "bob" }] }, deadline());
    const adds = calls("add_group_member");
    const imports = calls("multiaccount_import");
    expect(await h.client.updateGroup({ ...spec, members: [{ userId: "bob" }, { userId: "ann" }] }, deadline())).toEqual({
      outcome: "unchanged",
      groupId: spec.groupId,
      changedFields: [],
      addedMembers: [],
    });
    expect([calls("add_group_member"), calls("multiaccount_import")]).toEqual([adds, imports]);
  });

  it("updateGroup: sets FaceUrl and ApplyJoinOption only when they differ; a group gone is created again with nothing reported changed", async () => {
    await h.client.ensureGroup(spec, deadline());
    const changed = await h.client.updateGroup({ ...spec, faceUrl: "https://example.com/a.png", applyJoinOption: "FreeAccess" }, deadline());
    expect(changed).toMatchObject({ outcome: "updated", changedFields: ["FaceUrl", "ApplyJoinOption"] });
    expect(h.sandbox.state().groups[0]).toMatchObject({ faceUrl: "https://example.com/a.png", applyJoinOption: "FreeAccess" });
    const modifies = calls("modify_group_base_info");
    expect(await h.client.updateGroup({ ...spec, faceUrl: "https://example.com/a.png", applyJoinOption: "FreeAccess" }, deadline())).toMatchObject({
      outcome: "unchanged",
      changedFields: [],
    });
    expect(calls("modify_group_base_info")).toBe(modifies);

    await h.client.destroyGroup(spec.groupId, deadline());
    expect(await h.client.updateGroup({ ...spec, members: [{ userId: "ann" }] }, deadline())).toEqual({
      outcome: "created",
      groupId: spec.groupId,
      changedFields: [],
      addedMembers: [],
    });
  });
});

describe("calls in slices", () => {
  it("exactly two full slices make two calls, never a third empty one", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
    expect((await h.client.importAccounts(ids.map((userId) => ({ userId })), deadline())).imported).toHaveLength(200);
    expect(calls("multiaccount_import")).toBe(2);
    await h.client.ensureGroup(spec, deadline());
    const members = ids.slice(0, 40);
    expect((await h.client.addGroupMembers(spec.groupId, members, deadline())).members.every((m) => m.outcome === "added")).toBe(true);
    expect(calls("add_group_member")).toBe(2);
  });
});

describe("bad input", () => {
  it("is refused before any call, naming the operation and the field", async () => {
    const refused = async (promise: Promise<unknown>): Promise<string> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
      return error.message;
    };
    const c = h.client;
    const bad = { ...spec, groupId: "" };
    expect(await refused(c.accountImport({ userId: "" }, deadline()))).toMatch(/^account_import: invalid input: userId: /);
    expect(await refused(c.createGroup({ type: "Public", name: "" }, deadline()))).toMatch(/^create_group: invalid input: name: /);
    expect(await refused(c.getGroupInfo("", deadline()))).toMatch(/^get_group_info: invalid input: groupId: /);
    expect(await refused(c.destroyGroup("", deadline()))).toMatch(/^destroy_group: invalid input: groupId: /);
    expect(await refused(c.ensureGroup(bad, deadline()))).toMatch(/^ensureGroup: invalid input: groupId: /);
    expect(await refused(c.importAccounts([{ userId: "" }], deadline()))).toMatch(/^multiaccount_import: invalid input: accounts\.0\.userId: /);
    expect(await refused(c.modifyGroupBaseInfo("", { name: "x" }, deadline()))).toMatch(/^modify_group_base_info: invalid input: groupId: /);
    expect(await refused(c.addGroupMembers("", ["ann"], deadline()))).toMatch(/^add_group_member: invalid input: groupId: /);
    expect(await refused(c.updateGroup(bad, deadline()))).toMatch(/^updateGroup: invalid input: groupId: /);
    expect(await refused(c.removeGroup({ groupId: "", type: "Public", ownerAccount: "o", marker: "m" }, deadline()))).toMatch(/^removeGroup: invalid input: groupId: /);
    expect(h.sandbox.state().counters.calls).toEqual({});
  });
});

describe("client options", () => {
  const credentials = countingCredentials(APP);
  const configError = (make: () => unknown): ConfigurationError => {
    try {
      make();
    } catch (error) {
      if (error instanceof ConfigurationError) return error;
      throw error;
    }
    throw new Error("expected a ConfigurationError");
  };

  it("name the field and the rule", () => {
    expect(configError(() => createTencentImClient({ domain: "evil.example.com", credentials })).issues).toEqual([
      { field: "domain", rule: `one of ${IM_DOMAINS.join(", ")}` },
    ]);
    const domain = "console.tim.qq.com";
    const bad = configError(() => createTencentImClient({ domain, credentials, connectTo: "no scheme here" }));
    expect(bad.issues).toEqual([{ field: "connectTo", rule: "an absolute http(s) URL" }]);
    expect(bad.message).toBe("tencent-im client options: connectTo: an absolute http(s) URL");
    expect(configError(() => createTencentImClient({ domain, credentials, connectTo: "http://example.com" })).issues).toEqual([
      { field: "connectTo", rule: "https, or plain http only to a loopback host" },
    ]);
  });

  it("plain http only to a whole loopback address", () => {
    const domain = "console.tim.qq.com";
    for (const host of ["127.0.0.1", "127.10.200.3", "localhost", "[::1]"]) {
      expect(() => createTencentImClient({ domain, credentials, connectTo: `http://${host}:1/` }).close(), host).not.toThrow();
    }
    for (const host of ["127.0.0.1.example.com", "a127.0.0.1", "10.0.0.127", "localhost.example.com"]) {
      expect(() => createTencentImClient({ domain, credentials, connectTo: `http://${host}:1/` }), host).toThrow(ConfigurationError);
    }
  });

  it("close() leaves a transport it was given open for its owner", async () => {
    const transport = createHttpTransport();
    try {
      const client = createTencentImClient({ domain: "console.tim.qq.com", credentials, connectTo: h.sandbox.url, transport, retryPolicy: FAST_RETRY });
      await client.accountImport({ userId: "ann" }, deadline());
      client.close();
      const other = createTencentImClient({ domain: "console.tim.qq.com", credentials, connectTo: h.sandbox.url, transport, retryPolicy: FAST_RETRY });
      await other.accountImport({ userId: "bob" }, deadline());
      expect(h.sandbox.state().accounts).toEqual(expect.arrayContaining(["ann", "bob"]));
    } finally {
      transport.close();
    }
  });
});
