
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/outcomes/index.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { slsFailsFor } from "../../handlers/harness.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;
const slsCalls = () => fx.stack.sls.state().calls;

describe("reconcile", () => {
  it("leaves a retryable failure that is not due yet to its backoff (not-due, no provider call), and runs it once due", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    try {
      await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const state = await service.store.getTenant(tenant.tenantId);
    const failed = state.steps.find((s) => s.step === "sls-consumer-group");
    const dueAt = failed?.nextAttemptAt;
    if (failed?.status !== "FAILED_RETRYABLE" || dueAt === undefined) throw new Error("expected a retryable failure with its next attempt time");
    const before = slsCalls();

    const early = await service.reconcile(state, { deadline: soon(), workerId: "w2", dueBefore: new Date(Date.parse(dueAt) - 1).toISOString() });

    expect(early.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "FAILED_RETRYABLE", action: "not-due" });
    expect(early.steps.find((s) => s.step === "im-group")).toMatchObject({ status: "SUCCEEDED", action: "already-finished" });
    expect(early.retryable).toBe(true);
    expect(slsCalls()).toEqual(before);

    const due = await service.reconcile(state, { deadline: soon(), workerId: "w3", dueBefore: dueAt });
    expect(due.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", action: "ran" });
    expect(due.succeeded).toBe(true);
  });

  it("a repeated request leaves a retryable failure that is not due to its backoff (no call, no attempt); new work and an operator's retry run it at once", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    try {
      await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const sls = async () => (await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group");
    const failed = await sls();
    expect(failed).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });
    const before = slsCalls();

    // Duplicates (SQS at-least-once, DLQ replays, a sender's retries): the same request again.
    for (const workerId of ["w2", "w3", "w4"]) {
      const again = await service.provision(tenant, { deadline: soon(), workerId });
      expect(again.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({
        status: "FAILED_RETRYABLE",
        action: "not-due",
        attempts: 1,
        nextAttemptAt: failed?.nextAttemptAt,
      });
      expect(again.retryable).toBe(true);
    }
    expect(slsCalls()).toEqual(before);
    expect(await sls()).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1, nextAttemptAt: failed?.nextAttemptAt });

    // An operator's re-drive does not wait for the backoff.
    const retried = await service.retry({ tenantId: tenant.tenantId }, { deadline: soon(), workerId: "w5" });
    expect(retried.result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", action: "ran", attempts: 2 });
  });

  it("a new generation (an update) runs a step that failed retryably at the older one at once", async () => {
    const service = fx.service();
    const request = sampleTenant();
    const tenant = parseTenantOnboarding(request);
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    try {
      await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const updated = parseTenantOnboarding({ ...request, displayName: "Renamed", requestedAt: new Date(Date.now() + 1_000).toISOString() });
    const result = await service.provision(updated, { deadline: soon(), workerId: "w2" });
    expect(result.generation).toBe(2);
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", action: "ran" });
  });

  it("adds and runs a step the tenant was registered without (the registry gained it later)", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.store.registerTenant(tenant.tenantId, tenant as unknown as JsonObject, "webhook", ["sls-consumer-group"]);

    const result = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: soon(), workerId: "w1" });

    expect(result.steps.map((s) => [s.step, s.status, s.action])).toEqual([
      ["sls-consumer-group", "SUCCEEDED", "ran"],
      ["im-group", "SUCCEEDED", "ran"],
    ]);
    expect((await service.store.getTenant(tenant.tenantId)).steps.map((s) => s.step).sort()).toEqual(["im-group", "sls-consumer-group"]);
  });

  it("reports a provider effect whose recording failed as IN_PROGRESS not-recorded, with what the provider did", async () => {
    // Every step completion is throttled: the conditional update on the claimed version, and the
    // put of a step's first record with its outcome (a first run under the tenant's creation lease).
    const inner = new DynamoDBDocumentClient();
    const isCompletion = (command: object) =>
      (command instanceof UpdateCommand && command.input.ExpressionAttributeValues?.[":claimedVersion"] !== undefined) ||
      (command instanceof PutCommand && command.input.Item?.["step"] !== undefined && command.input.Item?.["status"] !== "PENDING");
    const failingCompletions = {
      send: (command: object) =>
        isCompletion(command)
          ? Promise.reject(Object.assign(new Error("Rate of requests exceeds the allowed throughput"), { name: "ProvisionedThroughputExceededException" }))
          : inner.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    const service = fx.service({ documentClient: failingCompletions });
    const tenant = parseTenantOnboarding(sampleTenant());

    const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });

    expect(result.succeeded).toBe(false);
    expect(result.retryable).toBe(true);
    expect(result.steps.map((s) => [s.step, s.status, s.action, s.providerOutcome])).toEqual([
      ["sls-consumer-group", "IN_PROGRESS", "not-recorded", "created"],
      ["im-group", "IN_PROGRESS", "not-recorded", "created"],
    ]);
    // A first run writes each step's record with its outcome, so none was written; the run gave
    // its creation lease up, so the next run converges at once: it finds what the provider made
    // and records it, creating nothing more.
    const stored = await fx.service().store.getTenant(tenant.tenantId);
    expect(stored.steps).toEqual([]);
    expect(stored.tenant?.leaseOwner).toBeUndefined();
    const again = await fx.service().provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(again.steps.map((s) => [s.step, s.status, s.providerOutcome])).toEqual([
      ["sls-consumer-group", "SUCCEEDED", "already-existed"],
      ["im-group", "SUCCEEDED", "already-existed"],
    ]);
  });
});
