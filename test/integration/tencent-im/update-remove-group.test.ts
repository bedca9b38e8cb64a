/**
 * The IM client's lifecycle operations against the sandbox over HTTP: importAccounts,
 * modifyGroupBaseInfo, addGroupMembers, and the convergent updateGroup / removeGroup.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import { TencentImError } from "../../../src/providers/tencent-im/errors.ts";
import type { EnsureGroupSpec, RemoveGroupSpec } from "../../../src/providers/tencent-im/types.ts";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { APP, countingCredentials, deadline, FAST_RETRY, type Harness, startHarness } from "./harness.ts";

const spec: EnsureGroupSpec = {
  groupId: "tenant-42",
  type: "Public",
  name: "Acme",
  ownerAccount: "acme-admin",
  marker: "tp:tenant-42",
  introduction: "Acme team",
};
const ours: RemoveGroupSpec = { groupId: spec.groupId, type: spec.type, ownerAccount: spec.ownerAccount, marker: spec.marker };

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
const theGroup = () => h.sandbox.state().groups.find((g) => g.groupId === spec.groupId);
const ids = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function failure(promise: Promise<unknown>): Promise<TencentImError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TencentImError)) throw new Error(`expected a TencentImError, got ${String(error)}`);
  return error;
}

describe("importAccounts (multiaccount_import)", () => {
  it("imports 250 accounts in three calls of at most 100", async () => {
    const result = await h.client.importAccounts(ids(250).map((userId) => ({ userId })), deadline());
    expect(result.failed).toEqual([]);
    expect(result.imported).toHaveLength(250);
    expect(h.sandbox.state().accounts).toHaveLength(250);
    expect(calls("multiaccount_import")).toBe(3);
  });

  it("sends each account once, and reports FailAccounts without throwing", async () => {
    h.sandbox.faults.configure({ rules: [{ operation: "multiaccount_import.account", kind: "error", resource: "m1" }] });
    const result = await h.client.importAccounts([{ userId: "m0" }, { userId: "m1" }, { userId: "m0", nick: "again" }], deadline());
    expect(result).toEqual({ imported: ["m0"], failed: ["m1"] });
    expect(h.sandbox.state().accounts).toEqual(["m0"]);
  });

  it("throws a permanent 70398 when the trial quota is used up", async () => {
    const small = await startHarness({ maxAccounts: 2 });
    try {
      const error = await failure(small.client.importAccounts(ids(3).map((userId) => ({ userId })), deadline()));
      expect(error).toMatchObject({ code: "70398", retryable: false, operation: "multiaccount_import" });
    } finally {
      await small.close();
    }
  });

  it("refuses an empty list and bad ids before any call", async () => {
    await expect(h.client.importAccounts([], deadline())).rejects.toBeInstanceOf(ValidationError);
    await expect(h.client.importAccounts([{ userId: "u".repeat(33) }], deadline())).rejects.toThrow(/accounts\.0\.userId/);
    expect(calls("multiaccount_import")).toBe(0);
  });

  it("paces multiaccount_import at its own 100/s, apart from the 200/s commands", async () => {
    const clock = new FakeClock(Date.now());
    const sandbox = await startTencentImSandbox({ apps: [APP], clock });
    const client = createTencentImClient({ domain: "adminapisgp.im.qcloud.com", credentials: countingCredentials(APP), connectTo: sandbox.url, clock, retryPolicy: FAST_RETRY });
    try {
      for (let i = 0; i < 4; i++) await client.importAccounts([{ userId: `p${i}` }], { deadline: clock.now() + 60_000 });
      const importWaits = clock.sleeps.splice(0);
      for (let i = 0; i < 4; i++) await client.getGroupInfo("nope", { deadline: clock.now() + 60_000 });
      const readWaits = clock.sleeps.splice(0);
      // The fake clock only moves by the client's own waits: one token interval between calls.
      expect(importWaits).toEqual([10, 10, 10]);
      expect(readWaits).toEqual([5, 5, 5]);
      expect(sandbox.state().counters.throttled).toBe(0);
    } finally {
      client.close();
      await sandbox.close();
    }
  });
});

describe("modifyGroupBaseInfo and addGroupMembers", () => {
  beforeEach(async () => {
    await h.client.ensureGroup(spec, deadline());
  });

  it("modifies the given fields", async () => {
    await h.client.modifyGroupBaseInfo(spec.groupId, { notification: "hello", faceUrl: "https://x.example/a.png", muteAllMember: "On" }, deadline());
    expect(theGroup()).toMatchObject({ name: "Acme", notification: "hello", faceUrl: "https://x.example/a.png", muteAllMember: "On" });
  });

  it.each([
    ["no change at all", {}, /changes/],
    ["a Name over 30 bytes", { name: "群".repeat(11) }, /name/],
    ["an Introduction over 240 bytes", { introduction: "a".repeat(241) }, /introduction/],
    ["a Notification over 300 bytes", { notification: "a".repeat(301) }, /notification/],
    ["a FaceUrl over 100 bytes", { faceUrl: "a".repeat(101) }, /faceUrl/],
  ])("refuses %s before any call", async (_label, changes, field) => {
    await expect(h.client.modifyGroupBaseInfo(spec.groupId, changes, deadline())).rejects.toThrow(field);
    expect(calls("modify_group_base_info")).toBe(0);
  });

  it("reports 10015 for a group that does not exist, permanent", async () => {
    const error = await failure(h.client.modifyGroupBaseInfo("nope", { name: "x" }, deadline()));
    expect(error).toMatchObject({ code: "10015", retryable: false });
  });

  it("retries a transient 10002 on modify (repeating it is harmless)", async () => {
    h.sandbox.faults.configure({ rules: [{ operation: "modify_group_base_info", kind: "error-after-effect", times: 1, error: { code: 10002 } }] });
    await h.client.modifyGroupBaseInfo(spec.groupId, { name: "Acme 2" }, deadline());
    expect(calls("modify_group_base_info")).toBe(2);
    expect(theGroup()?.name).toBe("Acme 2");
  });

  it("adds 45 members in calls of at most 20 and reports each member's Result", async () => {
    await h.client.importAccounts(ids(45).map((userId) => ({ userId })), deadline());
    const result = await h.client.addGroupMembers(spec.groupId, [...ids(45)], { ...deadline(), silence: true });
    expect(result.members.every((m) => m.outcome === "added")).toBe(true);
    expect(calls("add_group_member")).toBe(3);
    expect(theGroup()?.members).toHaveLength(46);
    const again = await h.client.addGroupMembers(spec.groupId, ["m0", spec.ownerAccount], deadline());
    expect(again.members).toEqual([
      { userId: "m0", outcome: "already-member" },
      { userId: spec.ownerAccount, outcome: "already-member" },
    ]);
  });

  it("reports a member IM failed (Result 0) as failed", async () => {
    await h.client.importAccounts([{ userId: "bob" }, { userId: "carol" }], deadline());
    h.sandbox.faults.configure({ rules: [{ operation: "add_group_member.member", kind: "error", resource: "carol" }] });
    const result = await h.client.addGroupMembers(spec.groupId, ["bob", "carol"], deadline());
    expect(result.members).toEqual([
      { userId: "bob", outcome: "added" },
      { userId: "carol", outcome: "failed" },
    ]);
  });

  it("throws a permanent 10019 for a member that was never imported", async () => {
    const error = await failure(h.client.addGroupMembers(spec.groupId, ["ghost"], deadline()));
    expect(error).toMatchObject({ code: "10019", retryable: false });
  });

  it("refuses duplicate or empty member lists before any call", async () => {
    await expect(h.client.addGroupMembers(spec.groupId, [], deadline())).rejects.toThrow(/userIds/);
    await expect(h.client.addGroupMembers(spec.groupId, ["bob", "bob"], deadline())).rejects.toThrow(/userIds\.1/);
    expect(calls("add_group_member")).toBe(0);
  });
});

describe("ensureGroup with initial members", () => {
  it("imports the members first, so create_group does not answer 10019", async () => {
    const result = await h.client.ensureGroup({ ...spec, members: [{ userId: "bob" }, { userId: "carol" }] }, deadline());
    expect(result.outcome).toBe("created");
    expect(theGroup()?.members).toEqual(["acme-admin", "bob", "carol"]);
  });
});

describe("updateGroup", () => {
  beforeEach(async () => {
    await h.client.ensureGroup(spec, deadline());
  });

  it("sends nothing when the group already matches (no modify, no add)", async () => {
    const result = await h.client.updateGroup(spec, deadline());
    expect(result).toEqual({ outcome: "unchanged", groupId: spec.groupId, changedFields: [], addedMembers: [] });
    expect(calls("modify_group_base_info")).toBe(0);
    expect(calls("add_group_member")).toBe(0);
    expect(calls("multiaccount_import")).toBe(0);
  });

  it("sends only the fields that differ, keeping the marker in the Introduction", async () => {
    const result = await h.client.updateGroup({ ...spec, name: "Acme Corp", introduction: "New intro", notification: "Welcome" }, deadline());
    expect(result).toMatchObject({ outcome: "updated", changedFields: ["Name", "Introduction", "Notification"], addedMembers: [] });
    expect(theGroup()).toMatchObject({ name: "Acme Corp", introduction: "New intro\n[tp:tenant-42]", notification: "Welcome", owner: "acme-admin", type: "Public" });
    // The updated group is still ours: a second run finds nothing to do.
    expect((await h.client.updateGroup({ ...spec, name: "Acme Corp", introduction: "New intro", notification: "Welcome" }, deadline())).outcome).toBe("unchanged");
    expect(calls("modify_group_base_info")).toBe(1);
  });

  it("leaves fields the spec does not set alone", async () => {
    await h.client.modifyGroupBaseInfo(spec.groupId, { notification: "set by the owner" }, deadline());
    expect((await h.client.updateGroup(spec, deadline())).outcome).toBe("unchanged");
    expect(theGroup()?.notification).toBe("set by the owner");
  });

  it("imports and adds missing members, and never removes members", async () => {
    await h.client.importAccounts([{ userId: "dave" }], deadline());
    await h.client.addGroupMembers(spec.groupId, ["dave"], deadline());
    const result = await h.client.updateGroup({ ...spec, members: [{ userId: "bob" }, { userId: "carol" }] }, deadline());
    expect(result).toMatchObject({ outcome: "updated", changedFields: [], addedMembers: ["bob", "carol"] });
    expect(theGroup()?.members).toEqual(["acme-admin", "dave", "bob", "carol"]);
    expect(h.sandbox.state().accounts).toEqual(expect.arrayContaining(["bob", "carol"]));
    expect((await h.client.updateGroup({ ...spec, members: [{ userId: "bob" }] }, deadline())).outcome).toBe("unchanged");
  });

  it("throws AccountsNotImported (transient) and adds no one when an import fails", async () => {
    h.sandbox.faults.configure({ rules: [{ operation: "multiaccount_import.account", kind: "error", resource: "carol" }] });
    const error = await failure(h.client.updateGroup({ ...spec, members: [{ userId: "bob" }, { userId: "carol" }] }, deadline()));
    expect(error).toMatchObject({ code: "AccountsNotImported", retryable: true });
    expect(calls("add_group_member")).toBe(0);
  });

  it("throws MembersNotAdded (permanent) when IM answers Result 0 for a member", async () => {
    h.sandbox.faults.configure({ rules: [{ operation: "add_group_member.member", kind: "error", resource: "carol" }] });
    const error = await failure(h.client.updateGroup({ ...spec, members: [{ userId: "bob" }, { userId: "carol" }] }, deadline()));
    expect(error).toMatchObject({ code: "MembersNotAdded", retryable: false });
    expect(theGroup()?.members).toEqual(["acme-admin", "bob"]);
  });

  it("reports CONFLICT for a foreign group and modifies nothing", async () => {
    h.sandbox.reset();
    h.sandbox.addForeignGroup({ groupId: spec.groupId, type: "Public", ownerAccount: "mallory", name: "Theirs", introduction: "not yours" });
    const before = h.sandbox.state().groups;
    const error = await failure(h.client.updateGroup({ ...spec, name: "Hijack", members: [{ userId: "bob" }] }, deadline()));
    expect(error).toMatchObject({ code: "GroupConflict", errorClass: "conflict", operation: "update_group" });
    expect(error.message).toMatch(/Owner_Account/);
    expect(h.sandbox.state().groups).toEqual(before);
    expect(calls("modify_group_base_info")).toBe(0);
    expect(calls("add_group_member")).toBe(0);
  });

  it("reports CONFLICT when the marker is gone (the owner rewrote the Introduction)", async () => {
    await h.client.modifyGroupBaseInfo(spec.groupId, { introduction: "owner's own text" }, deadline());
    const error = await failure(h.client.updateGroup({ ...spec, name: "Acme 2" }, deadline()));
    expect(error).toMatchObject({ errorClass: "conflict" });
    expect(error.message).toMatch(/marker/);
    expect(theGroup()?.name).toBe("Acme");
  });

  it("creates the group again when it was destroyed out of band", async () => {
    await h.client.destroyGroup(spec.groupId, deadline());
    const result = await h.client.updateGroup({ ...spec, name: "Acme 2" }, deadline());
    expect(result.outcome).toBe("created");
    expect(theGroup()).toMatchObject({ name: "Acme 2", introduction: "Acme team\n[tp:tenant-42]" });
  });
});

describe("removeGroup", () => {
  it("destroys our group; a second remove is already-absent", async () => {
    await h.client.ensureGroup(spec, deadline());
    expect(await h.client.removeGroup(ours, deadline())).toEqual({ outcome: "removed", groupId: spec.groupId });
    expect(theGroup()).toBeUndefined();
    expect(await h.client.removeGroup(ours, deadline())).toEqual({ outcome: "already-absent", groupId: spec.groupId });
    expect(calls("destroy_group")).toBe(1);
  });

  it("is already-absent for a group that never existed, without a destroy call", async () => {
    expect(await h.client.removeGroup(ours, deadline())).toEqual({ outcome: "already-absent", groupId: spec.groupId });
    expect(calls("destroy_group")).toBe(0);
  });

  it("takes a destroy answered 10010 (gone in between) as already-absent", async () => {
    await h.client.ensureGroup(spec, deadline());
    h.sandbox.faults.configure({ rules: [{ operation: "destroy_group", kind: "error-after-effect", times: 1, error: { code: 10002 } }] });
    // The first destroy takes effect and answers 10002; the retry answers 10010.
    expect((await h.client.removeGroup(ours, deadline())).outcome).toBe("already-absent");
    expect(theGroup()).toBeUndefined();
  });

  it.each<[string, Partial<RemoveGroupSpec>, Parameters<Harness["sandbox"]["addForeignGroup"]>[0]]>([
    ["another owner", {}, { groupId: "tenant-42", type: "Public", ownerAccount: "mallory", name: "Theirs", introduction: "Acme team\n[tp:tenant-42]" }],
    ["another type", {}, { groupId: "tenant-42", type: "Private", ownerAccount: "acme-admin", name: "Theirs", introduction: "Acme team\n[tp:tenant-42]" }],
    ["no marker", {}, { groupId: "tenant-42", type: "Public", ownerAccount: "acme-admin", name: "Theirs", introduction: "Acme team" }],
  ])("never destroys a foreign group (%s): CONFLICT, untouched", async (_label, overrides, foreign) => {
    h.sandbox.addForeignGroup(foreign);
    const before = h.sandbox.state().groups;
    const error = await failure(h.client.removeGroup({ ...ours, ...overrides }, deadline()));
    expect(error).toMatchObject({ code: "GroupConflict", errorClass: "conflict", operation: "remove_group" });
    expect(h.sandbox.state().groups).toEqual(before);
    expect(calls("destroy_group")).toBe(0);
  });

  it("accepts the type under its other name (Work read back for Private)", async () => {
    await h.client.ensureGroup({ ...spec, type: "Work" }, deadline());
    expect((await h.client.removeGroup({ ...ours, type: "Private" }, deadline())).outcome).toBe("removed");
  });

  it("refuses an incomplete spec before any call", async () => {
    await expect(h.client.removeGroup({ ...ours, ownerAccount: "" }, deadline())).rejects.toThrow(/ownerAccount/);
    await expect(h.client.removeGroup({ ...ours, marker: "" }, deadline())).rejects.toThrow(/marker/);
    expect(calls("get_group_info")).toBe(0);
  });
});
