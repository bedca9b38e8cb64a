/** The outcome event builders refuse a subject or failure that breaks a rule, naming the field and the rule, never the value. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { tenantDeprovisioned, tenantProvisioned, tenantProvisioningFailed } from "../../../src/events/types.ts";
import { TENANT_ID_RULE } from "../../../src/validation/tenant-id.ts";

const AT = new Date("2026-11-30T12:00:00.000Z");
const failure = { step: "im-group", status: "CONFLICT", code: "GroupConflict" } as const;

function issuesOf(build: () => unknown): { context: string; issues: readonly { field: string; rule: string }[] } {
  try {
    build();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { context: error.message.slice(0, error.message.indexOf(":")), issues: error.issues };
  }
  throw new Error("expected a ValidationError");
}

describe("outcome event subjects", () => {
  it("builds each event for a valid subject, with the given time", () => {
    expect(tenantProvisioned({ tenantId: "acme-1", generation: 1, occurredAt: AT }).detail.occurredAt).toBe(AT.toISOString());
    expect(tenantDeprovisioned({ tenantId: "a".repeat(36), generation: Number.MAX_SAFE_INTEGER }).detail.tenantId).toBe("a".repeat(36));
    expect(tenantProvisioningFailed({ tenantId: "acme-1", generation: 2 }, { ...failure, status: "FAILED_PERMANENT" }).detail).toMatchObject({ status: "FAILED_PERMANENT" });
  });

  it.each([
    ["an empty tenantId", { tenantId: "", generation: 1 }, [{ field: "tenantId", rule: TENANT_ID_RULE }]],
    ["a tenantId over 36 characters", { tenantId: "a".repeat(37), generation: 1 }, [{ field: "tenantId", rule: TENANT_ID_RULE }]],
    ["a tenantId with a space", { tenantId: "acme 1", generation: 1 }, [{ field: "tenantId", rule: TENANT_ID_RULE }]],
    ["generation 0", { tenantId: "t", generation: 0 }, [{ field: "generation", rule: "must be >= 1" }]],
    ["a fractional generation", { tenantId: "t", generation: 1.5 }, [{ field: "generation", rule: "must be an integer" }]],
    ["an unsafe generation", { tenantId: "t", generation: 2 ** 53 }, [{ field: "generation", rule: "must be <= 9007199254740991" }]],
    ["an invalid Date", { tenantId: "t", generation: 1, occurredAt: new Date(Number.NaN) }, [{ field: "occurredAt", rule: "must be a date" }]],
    ["a time given as a string", { tenantId: "t", generation: 1, occurredAt: AT.toISOString() as unknown as Date }, [{ field: "occurredAt", rule: "must be a date" }]],
    ["no tenantId", { generation: 1 } as { tenantId: string; generation: number }, [{ field: "tenantId", rule: "required" }]],
  ])("refuses %s in every event, naming the field and the rule", (_label, subject, expected) => {
    expect(issuesOf(() => tenantProvisioned(subject))).toEqual({ context: "TenantProvisioned", issues: expected });
    expect(issuesOf(() => tenantDeprovisioned(subject))).toEqual({ context: "TenantDeprovisioned", issues: expected });
    expect(issuesOf(() => tenantProvisioningFailed(subject, failure))).toEqual({ context: "TenantProvisioningFailed", issues: expected });
  });

  it.each([
    ["no step", { ...failure, step: "" }, [{ field: "step", rule: "must not be empty" }]],
    ["no code", { ...failure, code: "" }, [{ field: "code", rule: "must not be empty" }]],
    ["a status that is not final", { ...failure, status: "FAILED_RETRYABLE" as "CONFLICT" }, [{ field: "status", rule: 'must be one of "FAILED_PERMANENT", "CONFLICT"' }]],
  ])("a failure with %s", (_label, bad, expected) => {
    expect(issuesOf(() => tenantProvisioningFailed({ tenantId: "t", generation: 1 }, bad))).toEqual({ context: "TenantProvisioningFailed", issues: expected });
  });

  it("reports subject and failure issues together, and never the value", () => {
    const secret = "s3cr3t-" + "x".repeat(40);
    const { issues } = issuesOf(() => tenantProvisioningFailed({ tenantId: secret, generation: 0 }, { step: "", status: "CONFLICT", code: secret.slice(0, 0) }));
    expect(issues.map((i) => i.field)).toEqual(["tenantId", "generation", "step", "code"]);
    expect(JSON.stringify(issues)).not.toContain("s3cr3t");
  });
});
