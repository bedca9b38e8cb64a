import { describe, expect, it } from "vitest";
import {
  claimStepInput,
  completionInput,
  fastForwardInput,
  isoTimeSchema,
  isStepName,
  listUnfinishedInput,
  registrationInput,
  stepNameSchema,
} from "../../../src/outcomes/input-validation.ts";
import { schemaIssues } from "../../../src/validation/issues.ts";

const claimed = { tenantId: "t-1", step: "im-group", status: "IN_PROGRESS", leaseOwner: "w" };
const busy = { code: "ServerBusy", message: "busy", httpStatus: 503 };

describe("the outcome store's input schemas (zod/mini, one rule text each)", () => {
  it("name the field and the rule; a missing value is 'required' unless the rule says why it must be there", () => {
    expect(schemaIssues(listUnfinishedInput, { limit: 0 })).toEqual([{ field: "limit", rule: "integer from 1 to 1000" }]);
    expect(schemaIssues(listUnfinishedInput, { limit: 1.5 })).toEqual([{ field: "limit", rule: "integer from 1 to 1000" }]);
    expect(schemaIssues(listUnfinishedInput, {})).toEqual([{ field: "limit", rule: "required" }]);
    expect(schemaIssues(listUnfinishedInput, { limit: "5" })).toEqual([{ field: "limit", rule: "must be a number" }]);
    expect(schemaIssues(listUnfinishedInput, { limit: 5, dueBefore: "2026-11-01" })).toEqual([
      { field: "dueBefore", rule: "ISO time like 2026-11-01T00:00:00.000Z" },
    ]);
    expect(schemaIssues(stepNameSchema, "DNS!", "steps.0")).toEqual([{ field: "steps.0", rule: "1-64 of a-z 0-9 -, starting with a letter or digit" }]);
    // An absent owner breaks the same rule as an empty one.
    expect(schemaIssues(claimStepInput, { tenantId: "t-1", step: "im-group", leaseMs: 1 })).toEqual([{ field: "owner", rule: "non-empty string" }]);
    expect(schemaIssues(completionInput, { record: { ...claimed, status: "PENDING", leaseOwner: undefined }, result: { status: "SUCCEEDED" } })).toEqual([
      { field: "record.status", rule: "IN_PROGRESS (a claimed record)" },
      { field: "record.leaseOwner", rule: "present (a claimed record)" },
    ]);
  });

  it("check a step's result by its status: the fields that status carries, and nothing else", () => {
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "DONE" } })).toEqual([
      { field: "result.status", rule: "one of SUCCEEDED, FAILED_RETRYABLE, FAILED_PERMANENT, CONFLICT, DELETED" },
    ]);
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "FAILED_PERMANENT" } })).toEqual([{ field: "result.error", rule: "required" }]);
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "FAILED_RETRYABLE", error: { ...busy, httpStatus: 1.5 }, nextAttemptAt: "soon" } })).toEqual([
      { field: "result.error.httpStatus", rule: "integer" },
      { field: "result.nextAttemptAt", rule: "ISO time like 2026-11-01T00:00:00.000Z" },
    ]);
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "CONFLICT", error: busy, resource: { groupId: 7 } } })).toEqual([
      { field: "result.resource.groupId", rule: "string" },
    ]);
    // A SUCCEEDED result's error is not its business; a FAILED_PERMANENT result's resource neither.
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "SUCCEEDED", resource: {}, error: 5 } })).toEqual([]);
    expect(schemaIssues(completionInput, { record: claimed, result: { status: "FAILED_PERMANENT", error: busy, resource: 5 } })).toEqual([]);
  });

  it("compare a fast-forward's generation with the record's even when another field is broken", () => {
    const record = { tenantId: "t-1", step: "im-group", status: "SUCCEEDED", observedGeneration: 2 };
    expect(schemaIssues(fastForwardInput, { record, generation: 3 })).toEqual([]);
    expect(schemaIssues(fastForwardInput, { record: { ...record, status: "PENDING" }, generation: 2 })).toEqual([
      { field: "record.status", rule: "a finished status" },
      { field: "generation", rule: "above the record's observedGeneration" },
    ]);
  });

  it("compare a fast-forward's generations only when both are numbers: a missing or broken one is its own issue", () => {
    const record = { tenantId: "t-1", step: "im-group", status: "SUCCEEDED", observedGeneration: 2 };
    expect(schemaIssues(fastForwardInput, { record })).toEqual([{ field: "generation", rule: "required" }]);
    expect(schemaIssues(fastForwardInput, { record: { ...record, observedGeneration: "2" }, generation: 1 })).toEqual([
      { field: "record.observedGeneration", rule: "must be a number" },
    ]);
    expect(schemaIssues(fastForwardInput, { record: null, generation: 1 })).toEqual([{ field: "record", rule: "must be an object" }]);
    expect(schemaIssues(fastForwardInput, { generation: 3 })).toEqual([{ field: "record", rule: "required" }]);
  });

  it("take a registration's snapshot only as a JSON object", () => {
    for (const snapshot of [null, [], "x", 5]) {
      expect(schemaIssues(registrationInput, { tenantId: "t-1", snapshot, source: "s" }), JSON.stringify(snapshot)).toEqual([
        { field: "snapshot", rule: "a JSON object" },
      ]);
    }
    expect(schemaIssues(registrationInput, { tenantId: "t-1", snapshot: {}, source: "s" })).toEqual([]);
  });

  it("pass what is valid", () => {
    expect(schemaIssues(listUnfinishedInput, { limit: 1000, dueBefore: "2026-11-01T00:00:00.000Z" })).toEqual([]);
    expect(schemaIssues(claimStepInput, { tenantId: "acme-1", step: "im-group", owner: "w", leaseMs: 60_000 })).toEqual([]);
    expect(isStepName("sls-consumer-group")).toBe(true);
    expect(isStepName("-x")).toBe(false);
  });

  it("never repeat the value", () => {
    const value = "SENTINEL-value-9f";
    const rules = [
      ...schemaIssues(claimStepInput, { tenantId: `${value}!`, step: value.toUpperCase(), owner: [value], leaseMs: value }),
      ...schemaIssues(isoTimeSchema, value, "b"),
    ];
    expect(rules).toHaveLength(5);
    expect(JSON.stringify(rules)).not.toContain("SENTINEL");
  });
});
