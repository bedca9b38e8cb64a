/**
 * When two requests ask for the same resources (specKey: a repeat writes nothing), when a step's
 * plan changed (planHash: a change runs the step), what a plan holds per group type, the
 * announcement of a failure without its details, and what the lifecycle errors tell a caller.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import { ImmutableFieldError, RequestedAtAheadError, TenantNotFoundError } from "../../../src/provisioning/errors.ts";
import { outcomeEventOf } from "../../../src/provisioning/outcome-events.ts";
import { planTenant } from "../../../src/provisioning/plan.ts";
import { planHash, specKey } from "../../../src/provisioning/spec.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { MINIMAL_SERVICE_ENV } from "../../support/service-env.ts";

const base = {
  tenantId: "acme-1",
  displayName: "Acme",
  admin: { userId: "acme-admin", name: "Ann" },
  requestedAt: "2026-12-01T10:00:00.000Z",
  source: "signup",
};
const tenant = (fields: Record<string, unknown> = {}): TenantOnboarding => parseTenantOnboarding({ ...base, ...fields });

describe("specKey", () => {
  it("is the same whatever the key order, time, source, and for absent vs empty lists and groups", () => {
    const a = tenant({ imGroup: { notification: "hi", introduction: "team" }, members: [{ userId: "m1", role: "Admin" }] });
    const reordered = parseTenantOnboarding({
      members: [{ role: "Admin", userId: "m1" }],
      imGroup: { introduction: "team", notification: "hi" },
      source: "webhook",
      requestedAt: "2026-12-01T11:00:00.000Z",
      admin: { name: "Ann", userId: "acme-admin" },
      displayName: "Acme",
      tenantId: "acme-1",
    });
    expect(specKey(reordered)).toBe(specKey(a));
    expect(specKey(tenant())).toBe(specKey(tenant({ members: [], imGroup: {}, consumerGroup: {} })));
    expect(specKey(tenant())).toBe(specKey({ ...tenant(), imGroup: { introduction: undefined } }));
  });

  it("differs when anything asked for differs, including the members' order and a nested field", () => {
    const one = tenant({ members: [{ userId: "m1" }, { userId: "m2" }] });
    const keys = [
      one,
      tenant({ members: [{ userId: "m2" }, { userId: "m1" }] }),
      tenant({ members: [{ userId: "m1" }, { userId: "m2", role: "Admin" }] }),
      tenant({ members: [{ userId: "m1" }] }),
      tenant({ imGroup: { notification: "x" } }),
      tenant({ consumerGroup: { timeout: 90 } }),
      tenant({ admin: { userId: "acme-admin", name: "Bo" } }),
      tenant({ displayName: "Acme 2" }),
    ].map(specKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("planHash", () => {
  it("is 16 hex digits, equal for equal values whatever the key order or undefined fields, and different otherwise", () => {
    const plan = { desired: "PRESENT", plan: { name: "tenant-1", nested: { b: [1, { y: 2, x: null }], a: true } } };
    const same = { plan: { nested: { a: true, b: [1, { x: null, y: 2 }] }, name: "tenant-1", gone: undefined }, desired: "PRESENT" };
    expect(planHash(plan)).toMatch(/^[0-9a-f]{16}$/);
    expect(planHash(same)).toBe(planHash(plan));
    const others = [
      { ...plan, desired: "ABSENT" },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: { b: [{ y: 2, x: null }, 1], a: true } } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: { b: [1, { y: 2, x: 0 }], a: true } } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: { b: [1, { y: 2, x: null }], a: "true" } } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: { b: [1, { y: 2, x: null }], a: true, c: 0 } } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: null } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: [] } },
      { desired: "PRESENT", plan: { name: "tenant-1", nested: {} } },
    ].map(planHash);
    expect(new Set([planHash(plan), ...others]).size).toBe(others.length + 1);
  });
});

describe("planTenant", () => {
  it("sends ApplyJoinOption except for Community groups, which take none", () => {
    const request = tenant({ imGroup: { applyJoinOption: "FreeAccess" } });
    for (const type of ["Private", "Public", "ChatRoom"]) {
      expect(planTenant(request, loadConfig({ ...MINIMAL_SERVICE_ENV, IM_GROUP_TYPE: type })).imGroup.applyJoinOption, type).toBe("FreeAccess");
    }
    expect(planTenant(request, loadConfig({ ...MINIMAL_SERVICE_ENV, IM_GROUP_TYPE: "Community", IM_GROUP_ID_PREFIX: "@TGS#_" })).imGroup.applyJoinOption).toBeUndefined();
  });
});

describe("outcomeEventOf", () => {
  it("a failure announced without its details still names a step, status, code and provider", () => {
    const event = outcomeEventOf({ tenantId: "acme-1", generation: 3, outcome: "TenantProvisioningFailed", occurredAt: "2026-12-01T10:00:00.000Z", steps: [] });
    expect(event.detail).toMatchObject({ eventId: "acme-1:3:TenantProvisioningFailed", step: "unknown", status: "FAILED_PERMANENT", code: "Unknown", provider: "unknown" });
  });
});

describe("lifecycle errors", () => {
  it("name themselves, the tenant, the field and the rule", () => {
    const immutable = new ImmutableFieldError("acme-1", "admin.userId", "fixed once the group exists");
    expect(immutable).toMatchObject({ name: "ImmutableFieldError", tenantId: "acme-1", field: "admin.userId", rule: "fixed once the group exists" });
    expect(immutable.message).toBe("tenant acme-1: admin.userId cannot change (fixed once the group exists); nothing was changed");
    expect(new TenantNotFoundError("acme-1")).toMatchObject({ name: "TenantNotFoundError", tenantId: "acme-1", message: "tenant acme-1 is not recorded" });
    expect(new RequestedAtAheadError("acme-1")).toMatchObject({
      name: "RequestedAtAheadError",
      tenantId: "acme-1",
      field: "requestedAt",
      rule: "not in the future (at most 5 minutes ahead of the service's clock)",
      message: "tenant acme-1: requestedAt is in the future; nothing was changed",
    });
  });
});
