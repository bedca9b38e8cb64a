import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import type { EnsureGroupSpec, ImGroupSpec } from "../../../src/providers/tencent-im/types.ts";
import {
  addGroupMembersSchema,
  ensureGroupSpecSchema,
  groupBaseInfoChangesSchema,
  groupIdSchema,
  imAccountSchema,
  imGroupSpecSchema,
  importAccountsSchema,
  removeGroupSpecSchema,
} from "../../../src/providers/tencent-im/validation.ts";
import { groupIdPrefixRule } from "../../../src/providers/tencent-im/group-id.ts";
import { parseOrThrow, schemaIssues } from "../../../src/validation/issues.ts";

const groupSpecIssues = (spec: ImGroupSpec) => schemaIssues(imGroupSpecSchema, spec);
const ensureGroupSpecIssues = (spec: EnsureGroupSpec) => schemaIssues(ensureGroupSpecSchema, spec);

const valid: ImGroupSpec = { type: "Public", name: "Acme", groupId: "tenant-42", ownerAccount: "acme-admin" };

const ensure: EnsureGroupSpec = { ...valid, groupId: "tenant-42", ownerAccount: "acme-admin", marker: "tp:tenant-42" };

function fields(spec: ImGroupSpec): string[] {
  return groupSpecIssues(spec).map((i) => i.field);
}

describe("create_group validation", () => {
  it("accepts a valid spec of every type", () => {
    for (const type of ["Private", "Work", "Public", "ChatRoom", "Meeting", "AVChatRoom"] as const) {
      expect(groupSpecIssues({ ...valid, type })).toEqual([]);
    }
    expect(groupSpecIssues({ ...valid, type: "Community", groupId: "@TGS#_tenant-42", supportTopic: 1 })).toEqual([]);
  });

  it("requires a known Type", () => {
    expect(fields({ ...valid, type: "Club" as ImGroupSpec["type"] })).toEqual(["type"]);
  });

  it("requires Name and bounds it at 30 UTF-8 bytes (not characters)", () => {
    expect(fields({ ...valid, name: "" })).toEqual(["name"]);
    expect(fields({ ...valid, name: "a".repeat(30) })).toEqual([]);
    expect(fields({ ...valid, name: "a".repeat(31) })).toEqual(["name"]);
    expect(fields({ ...valid, name: "群".repeat(10) })).toEqual([]); // 30 bytes
    expect(fields({ ...valid, name: "群".repeat(11) })).toEqual(["name"]); // 11 chars, 33 bytes
  });

  it("bounds Introduction 240, Notification 300, FaceUrl 100 bytes", () => {
    expect(fields({ ...valid, introduction: "a".repeat(240), notification: "a".repeat(300), faceUrl: "a".repeat(100) })).toEqual([]);
    expect(fields({ ...valid, introduction: "a".repeat(241) })).toEqual(["introduction"]);
    expect(fields({ ...valid, notification: "a".repeat(301) })).toEqual(["notification"]);
    expect(fields({ ...valid, faceUrl: "a".repeat(101) })).toEqual(["faceUrl"]);
  });

  it("bounds MemberList at 100 and forbids it for AVChatRoom", () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: `u${i}` }));
    expect(fields({ ...valid, members: members(100) })).toEqual([]);
    expect(fields({ ...valid, members: members(101) })).toEqual(["members"]);
    expect(fields({ ...valid, type: "AVChatRoom", members: members(1) })).toEqual(["members"]);
    expect(fields({ ...valid, members: [{ userId: "a" }, { userId: "a" }] })).toEqual(["members.1.userId"]);
    expect(fields({ ...valid, members: [{ userId: "a", role: "Owner" as "Admin" }] })).toEqual(["members.0.role"]);
  });

  it("checks ApplyJoinOption's values and forbids it for Community", () => {
    expect(fields({ ...valid, applyJoinOption: "FreeAccess" })).toEqual([]);
    expect(fields({ ...valid, applyJoinOption: "Anyone" as "FreeAccess" })).toEqual(["applyJoinOption"]);
    expect(fields({ ...valid, type: "Community", groupId: "@TGS#_x", applyJoinOption: "FreeAccess" })).toEqual(["applyJoinOption"]);
  });

  it("allows SupportTopic 0/1 on Community only", () => {
    expect(fields({ ...valid, supportTopic: 1 })).toEqual(["supportTopic"]);
    expect(fields({ ...valid, type: "Community", groupId: "@TGS#_x", supportTopic: 2 as 1 })).toEqual(["supportTopic"]);
    expect(fields({ ...valid, type: "Community", groupId: "@TGS#_x", supportTopic: 0 })).toEqual([]);
  });

  it("checks AppDefinedData keys, values and count", () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k_${i}`, value: "v" }));
    expect(fields({ ...valid, appDefinedData: entries(10) })).toEqual([]);
    expect(fields({ ...valid, appDefinedData: entries(11) })).toEqual(["appDefinedData"]);
    expect(fields({ ...valid, appDefinedData: [{ key: "a".repeat(16), value: "v".repeat(512) }] })).toEqual([]);
    expect(fields({ ...valid, appDefinedData: [{ key: "a".repeat(17), value: "v" }] })).toEqual(["appDefinedData.0.key"]);
    expect(fields({ ...valid, appDefinedData: [{ key: "bad-key", value: "v" }] })).toEqual(["appDefinedData.0.key"]);
    expect(fields({ ...valid, appDefinedData: [{ key: "k", value: "v".repeat(513) }] })).toEqual(["appDefinedData.0.value"]);
    expect(fields({ ...valid, appDefinedData: [{ key: "k", value: "1" }, { key: "k", value: "2" }] })).toEqual(["appDefinedData.1.key"]);
  });

  it("checks GroupId: printable ASCII, 48 bytes, the @TGS# prefix rules", () => {
    expect(fields({ ...valid, groupId: "a".repeat(48) })).toEqual([]);
    expect(fields({ ...valid, groupId: "a".repeat(49) })).toEqual(["groupId"]);
    expect(fields({ ...valid, groupId: "tenant\n42" })).toEqual(["groupId"]);
    expect(fields({ ...valid, groupId: "租户" })).toEqual(["groupId"]);
    expect(fields({ ...valid, groupId: "" })).toEqual(["groupId"]);
    expect(fields({ ...valid, groupId: "@TGS#abc" })).toEqual(["groupId"]);
    expect(fields({ ...valid, type: "Community", groupId: "tenant-42" })).toEqual(["groupId"]);
    expect(fields({ ...valid, type: "Community", groupId: "@TGS#abc" })).toEqual(["groupId"]);
  });

  it("checks owner and member ids: non-empty, at most 32 bytes", () => {
    expect(fields({ ...valid, ownerAccount: "" })).toEqual(["ownerAccount"]);
    expect(fields({ ...valid, ownerAccount: "a".repeat(32) })).toEqual([]);
    expect(fields({ ...valid, ownerAccount: "a".repeat(33) })).toEqual(["ownerAccount"]);
    expect(fields({ ...valid, members: [{ userId: "a".repeat(33) }] })).toEqual(["members.0.userId"]);
  });

  it("checks MaxMemberCount is a positive integer", () => {
    expect(fields({ ...valid, maxMemberCount: 0 })).toEqual(["maxMemberCount"]);
    expect(fields({ ...valid, maxMemberCount: 1.5 })).toEqual(["maxMemberCount"]);
  });

  it("reports every broken rule at once, naming the rule and never the value", () => {
    const secretLooking = "s3cr3t-value-should-not-leak-" + "x".repeat(40);
    const spec = { type: "Public", name: secretLooking, groupId: secretLooking } as const;
    expect(groupSpecIssues(spec).map((i) => i.field).sort()).toEqual(["groupId", "name"]);
    try {
      parseOrThrow(imGroupSpecSchema, spec, "create_group");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).not.toContain(secretLooking);
      expect((error as Error).message).toContain("name: at most 30 UTF-8 bytes");
    }
  });
});

describe("account and ensureGroup validation", () => {
  it("checks UserID", () => {
    expect(schemaIssues(imAccountSchema, { userId: "" })).toEqual([{ field: "userId", rule: "must not be empty" }]);
    expect(schemaIssues(imAccountSchema, {})).toEqual([{ field: "userId", rule: "required" }]);
    expect(schemaIssues(imAccountSchema, { userId: "x".repeat(33) })).toEqual([{ field: "userId", rule: "at most 32 UTF-8 bytes" }]);
    expect(schemaIssues(imAccountSchema, { userId: "x".repeat(32) })).toEqual([]);
    expect(schemaIssues(imAccountSchema, { userId: "acme-admin", nick: "Acme" })).toEqual([]);
  });


  it("requires a marker without spaces or brackets", () => {
    expect(ensureGroupSpecIssues(ensure)).toEqual([]);
    for (const marker of ["", "has space", "br[ack]et", "m".repeat(65)]) {
      expect(ensureGroupSpecIssues({ ...ensure, marker }).map((i) => i.field)).toEqual(["marker"]);
    }
  });

  it("counts the marker against the 240-byte Introduction", () => {
    // "\n[tp:tenant-42]" is 15 bytes.
    expect(ensureGroupSpecIssues({ ...ensure, introduction: "a".repeat(225) })).toEqual([]);
    expect(ensureGroupSpecIssues({ ...ensure, introduction: "a".repeat(226) }).map((i) => i.field)).toEqual(["introduction"]);
  });

  it("also applies every create_group rule", () => {
    expect(ensureGroupSpecIssues({ ...ensure, type: "AVChatRoom", members: [{ userId: "bob" }] }).map((i) => i.field)).toEqual(["members"]);
  });
});

describe("create_group rules that depend on the type", () => {
  it("judges the type-dependent rules only on fields valid in themselves (one issue per broken rule)", () => {
    // An unknown ApplyJoinOption on a Community group is wrong once, not also "not allowed for Community".
    expect(groupSpecIssues({ ...valid, type: "Community", groupId: "@TGS#_x", applyJoinOption: "Anyone" as "FreeAccess" })).toEqual([
      { field: "applyJoinOption", rule: 'must be one of "FreeAccess", "NeedPermission", "DisableApply"' },
    ]);
    expect(groupSpecIssues({ ...valid, supportTopic: 3 as 1 })).toEqual([{ field: "supportTopic", rule: "must be one of 0, 1" }]);
  });

  it("still reports them beside an unrelated broken field, and skips them when the type itself is wrong", () => {
    expect(groupSpecIssues({ ...valid, name: "", groupId: "@TGS#abc" })).toEqual([
      { field: "name", rule: "must not be empty" },
      { field: "groupId", rule: "must not start with @TGS# (reserved, except Community)" },
    ]);
    expect(groupSpecIssues({ ...valid, type: "Club" as "Public", groupId: "@TGS#abc", supportTopic: 1 }).map((i) => i.field)).toEqual(["type"]);
  });

  it("names each rule in words", () => {
    expect(groupSpecIssues({ ...valid, type: "Community", groupId: "tenant-42", applyJoinOption: "FreeAccess" })).toEqual([
      { field: "groupId", rule: "must start with @TGS#_ for Community" },
      { field: "applyJoinOption", rule: "not allowed for Community" },
    ]);
    expect(groupSpecIssues({ ...valid, supportTopic: 0 })).toEqual([{ field: "supportTopic", rule: "only for Community" }]);
    expect(groupSpecIssues({ ...valid, type: "AVChatRoom", members: [] })).toEqual([]);
    expect(groupSpecIssues({ ...valid, type: "AVChatRoom", members: [{ userId: "bob" }] })).toEqual([{ field: "members", rule: "not allowed for AVChatRoom" }]);
  });
});

describe("the other IM requests", () => {
  it("a bare GroupId is a non-empty string", () => {
    expect(schemaIssues(groupIdSchema, "t-42", "groupId")).toEqual([]);
    expect(schemaIssues(groupIdSchema, "", "groupId")).toEqual([{ field: "groupId", rule: "must not be empty" }]);
    expect(schemaIssues(groupIdSchema, 42, "groupId")).toEqual([{ field: "groupId", rule: "must be a string" }]);
  });

  it("multiaccount_import: at least one account, each checked at its index", () => {
    expect(schemaIssues(importAccountsSchema, [{ userId: "a" }], "accounts")).toEqual([]);
    expect(schemaIssues(importAccountsSchema, [], "accounts")).toEqual([{ field: "accounts", rule: "at least one account" }]);
    expect(schemaIssues(importAccountsSchema, [{ userId: "a" }, { userId: "" }], "accounts")).toEqual([{ field: "accounts.1.userId", rule: "must not be empty" }]);
    expect(schemaIssues(importAccountsSchema, [{ userId: "a", nick: 7 }], "accounts")).toEqual([{ field: "accounts.0.nick", rule: "must be a string" }]);
  });

  it("modify_group_base_info: a GroupId, at least one change, the create_group limits", () => {
    const issues = (value: object) => schemaIssues(groupBaseInfoChangesSchema, value);
    expect(issues({ groupId: "t-42", name: "Acme" })).toEqual([]);
    expect(issues({ groupId: "t-42" })).toEqual([{ field: "changes", rule: "at least one field to change" }]);
    expect(issues({ groupId: "t-42", name: undefined })).toEqual([{ field: "changes", rule: "at least one field to change" }]);
    expect(issues({ groupId: "", muteAllMember: "On" })).toEqual([{ field: "groupId", rule: "must not be empty" }]);
    expect(issues({ groupId: "t-42", name: "" })).toEqual([{ field: "name", rule: "must not be empty" }]);
    expect(issues({ groupId: "t-42", name: "群".repeat(11) })).toEqual([{ field: "name", rule: "at most 30 UTF-8 bytes" }]);
    expect(issues({ groupId: "t-42", introduction: "a".repeat(240), notification: "a".repeat(300), faceUrl: "a".repeat(100) })).toEqual([]);
    expect(issues({ groupId: "t-42", introduction: "a".repeat(241) }).map((i) => i.field)).toEqual(["introduction"]);
    expect(issues({ groupId: "t-42", notification: "a".repeat(301) }).map((i) => i.field)).toEqual(["notification"]);
    expect(issues({ groupId: "t-42", faceUrl: "a".repeat(101) }).map((i) => i.field)).toEqual(["faceUrl"]);
    expect(issues({ groupId: "t-42", maxMemberCount: 0 })).toEqual([{ field: "maxMemberCount", rule: "must be > 0" }]);
    expect(issues({ groupId: "t-42", applyJoinOption: "Anyone" }).map((i) => i.field)).toEqual(["applyJoinOption"]);
    expect(issues({ groupId: "t-42", muteAllMember: "Off" })).toEqual([]);
    expect(issues({ groupId: "t-42", muteAllMember: "Maybe" })).toEqual([{ field: "muteAllMember", rule: 'must be one of "On", "Off"' }]);
  });

  it("add_group_member: a GroupId and at least one valid member, each once", () => {
    const issues = (value: object) => schemaIssues(addGroupMembersSchema, value);
    expect(issues({ groupId: "t-42", userIds: ["bob", "carol"] })).toEqual([]);
    expect(issues({ groupId: "t-42", userIds: [] })).toEqual([{ field: "userIds", rule: "at least one member" }]);
    expect(issues({ groupId: "t-42", userIds: ["bob", "carol", "bob"] })).toEqual([{ field: "userIds.2", rule: "unique" }]);
    expect(issues({ groupId: "t-42", userIds: ["bob", "x".repeat(33)] })).toEqual([{ field: "userIds.1", rule: "at most 32 UTF-8 bytes" }]);
    expect(issues({ userIds: ["bob"] })).toEqual([{ field: "groupId", rule: "required" }]);
  });

  it("removeGroup: every field that identifies our group", () => {
    const spec = { groupId: "t-42", type: "Public", ownerAccount: "acme-admin", marker: "tp:t-42" };
    expect(schemaIssues(removeGroupSpecSchema, spec)).toEqual([]);
    for (const field of ["groupId", "type", "ownerAccount", "marker"] as const) {
      expect(schemaIssues(removeGroupSpecSchema, { ...spec, [field]: undefined })).toEqual([{ field, rule: "required" }]);
    }
    expect(schemaIssues(removeGroupSpecSchema, { ...spec, type: "Club", marker: "" }).map((i) => i.field)).toEqual(["type", "marker"]);
  });

  it("ensureGroup: GroupId and owner required; the Introduction limit holds even when the marker is wrong", () => {
    const { groupId: _g, ownerAccount: _o, ...rest } = ensure;
    expect(ensureGroupSpecIssues(rest as EnsureGroupSpec)).toEqual([
      { field: "groupId", rule: "required" },
      { field: "ownerAccount", rule: "required" },
    ]);
    expect(ensureGroupSpecIssues({ ...ensure, introduction: "a".repeat(226) })).toEqual([
      { field: "introduction", rule: "with the marker appended, at most 240 UTF-8 bytes" },
    ]);
    expect(ensureGroupSpecIssues({ ...ensure, marker: "", introduction: "a".repeat(240) }).map((i) => i.field)).toEqual(["marker"]);
    expect(ensureGroupSpecIssues({ ...ensure, marker: "", introduction: "a".repeat(241) })).toEqual([
      { field: "marker", rule: "1-64 printable ASCII bytes, no spaces or brackets" },
      { field: "introduction", rule: "at most 240 UTF-8 bytes" },
    ]);
    expect(ensureGroupSpecIssues({ ...ensure, marker: "m".repeat(64) })).toEqual([]);
    expect(ensureGroupSpecIssues({ ...ensure, marker: "tp:t]" }).map((i) => i.field)).toEqual(["marker"]);
  });
});

describe("groupIdPrefixRule (the client's and IM_GROUP_ID_PREFIX's one rule)", () => {
  it("Community ids start with @TGS#_, no other type's id starts with @TGS#", () => {
    expect(groupIdPrefixRule("Community", "@TGS#_tenant-")).toBeUndefined();
    expect(groupIdPrefixRule("Community", "tenant-")).toBe("must start with @TGS#_ for Community");
    expect(groupIdPrefixRule("Public", "tenant-")).toBeUndefined();
    expect(groupIdPrefixRule("Public", "@TGS#x")).toBe("must not start with @TGS# (reserved, except Community)");
    expect(groupIdPrefixRule("Private", "@TGS")).toBeUndefined();
  });
});
