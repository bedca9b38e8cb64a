import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import type { EnsureGroupSpec, ImGroupSpec } from "../../../src/providers/tencent-im/types.ts";
import { accountIssues, ensureGroupSpecIssues, groupSpecIssues } from "../../../src/providers/tencent-im/validation.ts";
import { throwIfIssues } from "../../../src/validation/issues.ts";

const valid: ImGroupSpec = { type: "Public", name: "Acme", groupId: "tenant-42", ownerAccount: "acme-admin" };

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
    const issues = groupSpecIssues({ type: "Public", name: secretLooking, groupId: secretLooking });
    expect(issues.map((i) => i.field).sort()).toEqual(["groupId", "name"]);
    try {
      throwIfIssues(issues, "create_group");
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
    expect(accountIssues({ userId: "" })).toEqual([{ field: "userId", rule: "required non-empty string" }]);
    expect(accountIssues({ userId: "x".repeat(33) })).toHaveLength(1);
    expect(accountIssues({ userId: "acme-admin", nick: "Acme" })).toEqual([]);
  });

  const ensure: EnsureGroupSpec = { ...valid, groupId: "tenant-42", ownerAccount: "acme-admin", marker: "tp:tenant-42" };

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
