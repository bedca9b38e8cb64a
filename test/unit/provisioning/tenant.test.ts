import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";

const valid = {
  tenantId: "acme-42",
  displayName: "Acme Corp",
  admin: { userId: "alice", name: "Alice" },
  members: [{ userId: "bob", role: "Admin" }],
  requestedAt: "2026-11-23T08:00:00Z",
  source: "signup",
};

function issuesOf(input: unknown): { field: string; rule: string }[] {
  try {
    parseTenantOnboarding(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  throw new Error("expected a ValidationError");
}

describe("parseTenantOnboarding", () => {
  it("accepts a valid request and trims the display name", () => {
    const t = parseTenantOnboarding({ ...valid, displayName: "  Acme Corp " });
    expect(t.displayName).toBe("Acme Corp");
    expect(t.members).toEqual([{ userId: "bob", role: "Admin" }]);
  });

  it.each([
    ["", "tenantId"],
    ["-starts-with-dash", "tenantId"],
    ["has space", "tenantId"],
    ["a".repeat(37), "tenantId"],
    ["ünïcode", "tenantId"],
  ])("rejects tenant id %j naming the field", (tenantId, field) => {
    const issues = issuesOf({ ...valid, tenantId });
    expect(issues.map((i) => i.field)).toEqual([field]);
    expect(issues[0]?.rule).toMatch(/1-36 characters/);
  });

  it("counts the display name in UTF-8 bytes, not characters (IM Name ≤ 30 bytes)", () => {
    expect(() => parseTenantOnboarding({ ...valid, displayName: "中".repeat(10) })).not.toThrow(); // 30 bytes
    const issues = issuesOf({ ...valid, displayName: "中".repeat(11) }); // 33 bytes, 11 characters
    expect(issues).toEqual([{ field: "displayName", rule: "at most 30 UTF-8 bytes (IM group Name)" }]);
  });

  it("names every broken field at once, with nested paths", () => {
    const issues = issuesOf({
      tenantId: "ok",
      displayName: "",
      admin: { userId: "x".repeat(33) },
      members: [{ userId: "@TGS#bad" }],
      requestedAt: "yesterday",
      source: "fax",
      extra: true,
    });
    const fields = issues.map((i) => i.field).sort();
    expect(fields).toEqual(["admin.userId", "displayName", "extra", "members.0.userId", "requestedAt", "source"]);
    expect(issues.find((i) => i.field === "extra")?.rule).toBe("unknown field");
    expect(issues.find((i) => i.field === "source")?.rule).toMatch(/must be one of "signup"/);
  });

  it("reports a missing field as required", () => {
    const { admin: _admin, ...rest } = valid;
    expect(issuesOf(rest)).toEqual([{ field: "admin", rule: "required" }]);
  });

  it("rejects more than 99 members and duplicate member ids", () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ userId: `u${i}` }));
    expect(issuesOf({ ...valid, members: many })[0]?.field).toBe("members");
    const dup = issuesOf({ ...valid, members: [{ userId: "bob" }, { userId: "alice" }] });
    expect(dup).toEqual([{ field: "members.1.userId", rule: "must be unique and differ from admin.userId" }]);
  });

  it("never echoes the rejected value in the message", () => {
    const secretish = "SeCrEt-VaLuE-9f8e7d";
    try {
      parseTenantOnboarding({ ...valid, tenantId: `${secretish} !`, displayName: 42 });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(secretish);
      expect((e as Error).message).toMatch(/tenantId: .*displayName: must be a string/);
      return;
    }
    throw new Error("expected a ValidationError");
  });
});
