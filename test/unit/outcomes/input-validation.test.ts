import { describe, expect, it } from "vitest";
import { checkIntInRange, checkIsoTime, checkStepName, checkTenantId, isStepName } from "../../../src/outcomes/input-validation.ts";

describe("the outcome store's input checks (zod/mini, one rule text each)", () => {
  it("name the field and the rule; a missing value is 'required'", () => {
    expect(checkIntInRange(0, "limit", 1, 1000)).toEqual([{ field: "limit", rule: "integer from 1 to 1000" }]);
    expect(checkIntInRange(1.5, "limit", 1, 1000)).toEqual([{ field: "limit", rule: "integer from 1 to 1000" }]);
    expect(checkIntInRange(undefined, "limit", 1, 1000)).toEqual([{ field: "limit", rule: "required" }]);
    expect(checkIntInRange("5", "limit", 1, 1000)).toEqual([{ field: "limit", rule: "must be a number" }]);
    expect(checkIsoTime("2026-11-01", "dueBefore")).toEqual([{ field: "dueBefore", rule: "ISO time like 2026-11-01T00:00:00.000Z" }]);
    expect(checkIsoTime("2026-11-01T00:00:00Z", "dueBefore")).toHaveLength(1);
    expect(checkStepName("DNS!", "steps.0")).toEqual([{ field: "steps.0", rule: "1-64 of a-z 0-9 -, starting with a letter or digit" }]);
    expect(checkTenantId("bad id!")[0]?.field).toBe("tenantId");
  });

  it("pass what is valid", () => {
    expect(checkIntInRange(1000, "limit", 1, 1000)).toEqual([]);
    expect(checkIsoTime("2026-11-01T00:00:00.000Z", "dueBefore")).toEqual([]);
    expect(checkStepName("im-group")).toEqual([]);
    expect(isStepName("sls-consumer-group")).toBe(true);
    expect(isStepName("-x")).toBe(false);
    expect(checkTenantId("acme-1")).toEqual([]);
  });

  it("never repeat the value", () => {
    const value = "SENTINEL-value-9f";
    const rules = [...checkIntInRange(value, "a", 1, 2), ...checkIsoTime(value, "b"), ...checkStepName(value, "c"), ...checkTenantId(`${value}!`, "d")];
    expect(rules).toHaveLength(4);
    expect(JSON.stringify(rules)).not.toContain("SENTINEL");
  });
});
