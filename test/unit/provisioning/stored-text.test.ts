import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import type { JsonObject, TenantItem } from "../../../src/outcomes/types.ts";
import { admitTenantOnboarding } from "../../../src/provisioning/stored-text.ts";
import { isTextRuleIssue, NEW_TEXT_RULES } from "../../../src/validation/readable-text.ts";

const stored = {
  tenantId: "t-1",
  displayName: "Acme\u200bCorp",
  admin: { userId: "alice", name: "Al\u00adice" },
  imGroup: { notification: "Hello" },
  requestedAt: "2026-11-30T10:00:00Z",
  source: "webhook",
} as const;

/** A reader holding one stored tenant, counting its reads. */
function readerOf(snapshot: JsonObject | undefined) {
  const reader = async (tenantId: string): Promise<TenantItem | undefined> => {
    reader.reads++;
    return snapshot === undefined ? undefined : ({ tenantId, snapshot, source: "webhook", generation: 1, desired: "PRESENT" } as TenantItem);
  };
  reader.reads = 0;
  return reader;
}

async function issuesOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe("isTextRuleIssue", () => {
  it("recognises the text rules' issues by their words, not other rules or a rule with words added", () => {
    expect(isTextRuleIssue(`${NEW_TEXT_RULES.invisible}: U+200B at character 5`)).toBe(true);
    expect(isTextRuleIssue("no control characters (U+0000-U+001F, U+007F): U+0009 at character 4")).toBe(true);
    expect(isTextRuleIssue("no bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069): U+202E at character 1")).toBe(true);
    expect(isTextRuleIssue(`${NEW_TEXT_RULES.visible}: U+10FFFF at character 12`)).toBe(true);
    expect(isTextRuleIssue("at most 30 UTF-8 bytes (IM group Name)")).toBe(false);
    expect(isTextRuleIssue(`${NEW_TEXT_RULES.invisible}`)).toBe(false);
    expect(isTextRuleIssue(`x ${NEW_TEXT_RULES.invisible}: U+200B at character 5`)).toBe(false);
    expect(isTextRuleIssue(`${NEW_TEXT_RULES.invisible}: U+200B at character 0`)).toBe(false);
  });
});

describe("admitTenantOnboarding", () => {
  it("a valid request is parsed without reading the stored tenant", async () => {
    const read = readerOf(undefined);
    await expect(admitTenantOnboarding({ ...stored, displayName: "Acme Corp", admin: { userId: "alice" } }, read)).resolves.toMatchObject({ displayName: "Acme Corp" });
    expect(read.reads).toBe(0);
  });

  it("texts refused only by text rules and equal to the stored ones are kept as stored (the display name compared trimmed)", async () => {
    const read = readerOf({ ...stored, imGroup: { ...stored.imGroup } });
    const request = { ...stored, displayName: "  Acme\u200bCorp ", imGroup: { notification: "Changed" } };
    expect(await admitTenantOnboarding(request, read)).toEqual({ ...stored, imGroup: { notification: "Changed" } });
    expect(read.reads).toBe(1);
  });

  it("any other refusal stands, unchanged: a changed text, an unknown tenant, another rule broken, a text not stored", async () => {
    const read = readerOf({ ...stored, imGroup: { ...stored.imGroup } });
    const invisible = (field: string, cp: string, at: number) => ({ field, rule: `${NEW_TEXT_RULES.invisible}: ${cp} at character ${at}` });
    // The whole original refusal, the kept stored admin name's issue too.
    const storedAdminName = invisible("admin.name", "U+00AD", 3);
    expect(await issuesOf(admitTenantOnboarding({ ...stored, displayName: "Acme\u2060Corp" }, read))).toEqual([invisible("displayName", "U+2060", 5), storedAdminName]);
    expect(await issuesOf(admitTenantOnboarding({ ...stored, tenantId: "t-2" }, readerOf(undefined)))).toEqual([
      invisible("displayName", "U+200B", 5),
      storedAdminName,
    ]);
    const withOther = await issuesOf(admitTenantOnboarding({ ...stored, consumerGroup: { timeout: 0 } }, read));
    expect(withOther.map((i) => i.field).sort()).toEqual(["admin.name", "consumerGroup.timeout", "displayName"]);
    expect(await issuesOf(admitTenantOnboarding({ ...stored, imGroup: { notification: "Hi\u200b" } }, read))).toEqual([
      invisible("displayName", "U+200B", 5),
      storedAdminName,
      invisible("imGroup.notification", "U+200B", 3),
    ]);
  });
});
