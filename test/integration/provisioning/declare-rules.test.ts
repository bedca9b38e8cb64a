/**
 * How offboarding and re-drive requests are declared, end to end (dynalite, both sandboxes over
 * HTTP): an offboarding event that overtakes its signup leaves a tombstone the late signup cannot
 * undo; an operator's request names an unknown tenant; a request from the future changes nothing;
 * a re-drive of one named step runs only that step; a field fixed only once the resource may
 * exist can be corrected after the provider refused it for good.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { ImmutableFieldError, RequestedAtAheadError, TenantNotFoundError } from "../../../src/provisioning/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { rejection } from "../../support/rejection.ts";

const fx = useLocalStack();
const soon = () => Date.now() + 8_000;
const slsGroups = (name: string) =>
  Object.values(fx.stack.sls.state().groups)
    .flatMap((byLogstore) => Object.values(byLogstore).flat())
    .filter((g) => g.name === name);
const imGroups = (id: string) => fx.stack.im.state().groups.filter((g) => g.groupId === id);
const stepOf = <S extends { step: string }>(steps: S[], step: string) => steps.find((s) => s.step === step);

describe("an offboarding event for a tenant not recorded yet", () => {
  it("records a tombstone (ABSENT, no steps); the older signup arriving later is stale and makes nothing", async () => {
    const service = fx.service();
    const signup = parseTenantOnboarding(sampleTenant({ requestedAt: new Date(Date.now() - 60_000).toISOString() }));
    const offboardedAt = new Date(Date.now() - 30_000).toISOString();
    const slsCalls = JSON.stringify(fx.stack.sls.state().calls);

    const offboarded = await service.offboard({ tenantId: signup.tenantId, requestedAt: offboardedAt, source: "webhook" }, { deadline: soon(), workerId: "w1" });
    expect(offboarded).toMatchObject({ tenantId: signup.tenantId, generation: 1, desired: "ABSENT", steps: [] });
    expect((await service.store.getTenant(signup.tenantId)).tenant).toMatchObject({ desired: "ABSENT", desiredAt: offboardedAt, generation: 1 });

    const late = await service.provision(signup, { deadline: soon(), workerId: "w2" });
    expect(late).toMatchObject({ generation: 1, desired: "ABSENT" });
    expect(slsGroups(`tenant-${signup.tenantId}`)).toEqual([]);
    expect(imGroups(`tenant-${signup.tenantId}`)).toEqual([]);
    expect(JSON.stringify(fx.stack.sls.state().calls)).toBe(slsCalls);

    // The same event delivered again: already ABSENT, nothing written.
    const again = await service.offboard({ tenantId: signup.tenantId, requestedAt: offboardedAt, source: "webhook" }, { deadline: soon(), workerId: "w3" });
    expect(again).toMatchObject({ generation: 1, desired: "ABSENT", steps: [] });
  });

  it("from the future is refused naming requestedAt, and records nothing", async () => {
    const service = fx.service();
    const tenantId = parseTenantOnboarding(sampleTenant()).tenantId;
    const error = await rejection(
      service.offboard({ tenantId, requestedAt: new Date(Date.now() + 3_600_000).toISOString(), source: "webhook" }, { deadline: soon(), workerId: "w1" }),
    );
    expect(error).toBeInstanceOf(RequestedAtAheadError);
    expect(error).toMatchObject({ tenantId, field: "requestedAt" });
    expect((await service.store.getTenant(tenantId)).tenant).toBeUndefined();
  });
});

describe("an operator's offboarding ('now')", () => {
  it("of a tenant never recorded is TenantNotFoundError, and records nothing", async () => {
    const service = fx.service();
    const tenantId = parseTenantOnboarding(sampleTenant()).tenantId;
    const error = await rejection(service.offboard({ tenantId, requestedAt: "now", source: "operator" }, { deadline: soon(), workerId: "w1" }));
    expect(error).toBeInstanceOf(TenantNotFoundError);
    expect(error).toMatchObject({ tenantId, message: `tenant ${tenantId} is not recorded` });
    expect((await service.store.getTenant(tenantId)).tenant).toBeUndefined();
  });

  it("orders after a signup whose requestedAt ran ahead of the service's clock", async () => {
    const service = fx.service();
    const ahead = new Date(Date.now() + 60_000).toISOString();
    const signup = parseTenantOnboarding(sampleTenant({ requestedAt: ahead }));
    await service.provision(signup, { deadline: soon(), workerId: "w1" });
    const result = await service.offboard({ tenantId: signup.tenantId, requestedAt: "now", source: "operator" }, { deadline: soon(), workerId: "w2" });
    expect(result).toMatchObject({ generation: 2, desired: "ABSENT" });
    const desiredAt = (await service.store.getTenant(signup.tenantId)).tenant?.desiredAt ?? "";
    expect(Date.parse(desiredAt)).toBe(Date.parse(ahead) + 1);
    expect(slsGroups(`tenant-${signup.tenantId}`)).toEqual([]);
  });
});

describe("a re-drive of one named step", () => {
  it("runs only that failed step; the other failed step keeps its failure and makes no call", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    const name = `tenant-${request.tenantId}`;
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", resource: name, error: { status: 400, code: "ParameterInvalid" } }] });
    fx.stack.im.addForeignGroup({ groupId: name, type: "Private", ownerAccount: "mallory", name: "Squatter" });
    try {
      const first = await service.provision(request, { deadline: soon(), workerId: "w1" });
      expect(stepOf(first.steps, "sls-consumer-group")?.status).toBe("FAILED_PERMANENT");
      expect(stepOf(first.steps, "im-group")?.status).toBe("CONFLICT");

      await service.im.destroyGroup(name, { deadline: soon() });
      const slsCreates = fx.stack.sls.state().calls["CreateConsumerGroup"] ?? 0;
      const { declared, result } = await service.retry({ tenantId: request.tenantId, step: "im-group" }, { deadline: soon(), workerId: "operator" });
      expect(declared).toMatchObject({ change: "new-generation", tenant: { generation: 2, redriveSteps: ["im-group"] } });
      expect(stepOf(result.steps, "im-group")).toMatchObject({ status: "SUCCEEDED", action: "ran" });
      expect(stepOf(result.steps, "sls-consumer-group")?.status).toBe("FAILED_PERMANENT");
      expect(fx.stack.sls.state().calls["CreateConsumerGroup"] ?? 0).toBe(slsCreates);

      // Naming a step that has not failed changes nothing.
      const { declared: none } = await service.retry({ tenantId: request.tenantId, step: "im-group" }, { deadline: soon(), workerId: "operator" });
      expect(none).toMatchObject({ change: "unchanged", tenant: { generation: 2 } });
    } finally {
      fx.stack.sls.faults.configure({});
    }
  });

  it("naming a step the tenant does not have is a ValidationError naming `step`; an unknown tenant is TenantNotFoundError", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    await service.provision(request, { deadline: soon(), workerId: "w1" });
    const bad = await rejection(service.retry({ tenantId: request.tenantId, step: "no-such-step" as never }, { deadline: soon(), workerId: "operator" }));
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).issues.map((i) => i.field)).toEqual(["step"]);
    const unknown = await rejection(service.retry({ tenantId: "never-recorded-tenant" }, { deadline: soon(), workerId: "operator" }));
    expect(unknown).toBeInstanceOf(TenantNotFoundError);
  });
});

describe("a field fixed once its resource may exist", () => {
  it("can be corrected after the provider refused the step for good with nothing made, and not after it succeeded", async () => {
    const service = fx.service();
    const request = parseTenantOnboarding(sampleTenant());
    const name = `tenant-${request.tenantId}`;
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", resource: name, error: { code: 10004 } }] });
    try {
      const first = await service.provision(request, { deadline: soon(), workerId: "w1" });
      expect(stepOf(first.steps, "im-group")).toMatchObject({ status: "FAILED_PERMANENT", resource: {} });
    } finally {
      fx.stack.im.faults.configure({});
    }
    const corrected = parseTenantOnboarding({ ...request, admin: { userId: "the-real-admin", name: "Admin" }, requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });
    const second = await service.provision(corrected, { deadline: soon(), workerId: "w2" });
    expect(stepOf(second.steps, "im-group")).toMatchObject({ status: "SUCCEEDED" });
    expect(imGroups(name)[0]?.owner).toBe("the-real-admin");

    const hijack = parseTenantOnboarding({ ...request, admin: { userId: "mallory", name: "M" }, requestedAt: new Date(Date.parse(request.requestedAt) + 2_000).toISOString() });
    expect(await rejection(service.provision(hijack, { deadline: soon(), workerId: "w3" }))).toBeInstanceOf(ImmutableFieldError);
  });
});
