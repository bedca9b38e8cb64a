/**
 * The outcome store's typed errors (name to switch on, message naming the item and what was
 * found) and the rejection of malformed items, field by field: found by mutation testing (README
 * "Mutation testing"), since the store tests only checked that these errors were thrown.
 */
import { describe, expect, it } from "vitest";
import { LeaseLostError, MalformedOutcomeItemError, type StepRecord } from "../../../src/outcomes/index.ts";
import { parseStepItem, parseTenantItem } from "../../../src/outcomes/item-parsing.ts";

const now = "2026-11-30T12:00:00.000Z";
const claimed = {
  tenantId: "t-1",
  step: "im-group",
  status: "IN_PROGRESS",
  leaseOwner: "a",
  attempts: 1,
  resource: {},
  observedGeneration: 1,
  version: 2,
  createdAt: now,
  updatedAt: now,
} as StepRecord & { leaseOwner: string };
const tenantItem = { pk: "TENANT#t-1", sk: "TENANT", tenantId: "t-1", snapshot: '{"tenantId":"t-1"}', source: "webhook", generation: 1, desired: "PRESENT", createdAt: now, updatedAt: now };

describe("LeaseLostError", () => {
  it("is named for a switch and says what the completion expected and what it found", () => {
    const taken = new LeaseLostError(claimed, { ...claimed, leaseOwner: "b", version: 3 });
    expect(taken.name).toBe("LeaseLostError");
    expect(taken.message).toBe("lease on t-1/im-group lost: expected owner a at version 2, found IN_PROGRESS owner b at version 3");
    expect(new LeaseLostError(claimed, { ...claimed, status: "SUCCEEDED", leaseOwner: undefined, version: 4 }).message).toMatch(
      / found SUCCEEDED owner \(none\) at version 4$/,
    );
    expect(new LeaseLostError(claimed, undefined).message).toMatch(/ found no item$/);
  });
});

describe("MalformedOutcomeItemError from the item parsers", () => {
  it("is named for a switch and names the item's keys and each broken field, never a value", () => {
    const error = (() => {
      try {
        parseStepItem({ pk: "TENANT#t-1", sk: "STEP#im-group", status: "SECRET-VALUE" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(MalformedOutcomeItemError);
    expect(error).toMatchObject({ name: "MalformedOutcomeItemError", pk: "TENANT#t-1", sk: "STEP#im-group" });
    expect((error as Error).message).toMatch(/^outcome item TENANT#t-1 \/ STEP#im-group is malformed: \S.*; \S/);
    expect((error as Error).message).not.toContain("SECRET-VALUE");
  });

  it("says so when the item has no string keys", () => {
    expect(() => parseStepItem({ pk: 7 })).toThrow(expect.objectContaining({ pk: "(no pk)", sk: "(no sk)" }));
    expect(() => parseTenantItem({ sk: 7 })).toThrow(expect.objectContaining({ pk: "(no pk)", sk: "(no sk)" }));
  });

  it.each([
    ["not JSON", "{not json", "not JSON"],
    ["JSON null", "null", "not a JSON object"],
    ["a JSON array", "[1]", "not a JSON object"],
    ["a JSON number", "5", "not a JSON object"],
    ["a JSON string", '"t-1"', "not a JSON object"],
    ["missing", undefined, "missing"],
  ])("reads a tenant item whose snapshot is %s, the request marked unreadable", (_what, snapshot, problem) => {
    // The item's status, generation and announcements stay readable; the request is what
    // cannot be read (stored-tenant-unreadable, StoredRequestUnreadable), not the whole item.
    const tenant = parseTenantItem({ ...tenantItem, snapshot });
    expect(tenant).toMatchObject({ tenantId: "t-1", snapshot: {}, snapshotIssues: [problem] });
  });

  it("marks nothing on a tenant item whose snapshot is a JSON object", () => {
    expect(parseTenantItem(tenantItem)).not.toHaveProperty("snapshotIssues");
  });

  it("reads the due time of a tenant item in the unfinished index, and none outside it", () => {
    expect(parseTenantItem({ ...tenantItem, unfinishedSk: `${now}#t-1` }).indexDueAt).toBe(now);
    expect(parseTenantItem(tenantItem)).not.toHaveProperty("indexDueAt");
    expect(parseTenantItem(tenantItem).snapshot).toEqual({ tenantId: "t-1" });
  });
});
