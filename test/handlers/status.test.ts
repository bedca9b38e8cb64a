import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTenantOnboarding } from "../../src/provisioning/tenant.ts";
import type { Service } from "../../src/service.ts";
import { makeStepDue, sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { expectReplyMatchesOpenApi } from "../support/openapi.ts";
import { iamCaller, invoke, statusEvent } from "../support/lambda.ts";
import { captureOutput, loadHandlers, slsFailsFor, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let service: Service;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
  service = fx.service();
});
afterAll(() => output.restore());

interface StatusBody {
  error?: string;
  issues?: { field: string; rule: string }[];
  tenantId?: string;
  source?: string;
  succeeded?: boolean;
  steps?: Record<string, unknown>[];
}

async function get(event: APIGatewayProxyEventV2WithIAMAuthorizer): Promise<{ statusCode: number; body: StatusBody }> {
  const result: APIGatewayProxyStructuredResultV2 = await invoke(handlers.createStatusHandler(service), event);
  // Every reply of these tests is checked against the published description.
  await expectReplyMatchesOpenApi("get", "/tenants/{tenantId}", result);
  return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") as StatusBody };
}

/** A tenant provisioned once while SLS fails: its consumer-group step ends FAILED_RETRYABLE. */
async function provisionWithSlsFailing() {
  const tenant = parseTenantOnboarding(sampleTenant());
  fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
  try {
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
  } finally {
    fx.stack.sls.faults.configure({});
  }
  return tenant;
}

describe("status handler (GET /tenants/{tenantId}, IAM-authorized)", () => {
  it("refuses a request that did not pass IAM authorization: 403", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });

    const noAuthorizer = await get(statusEvent(tenant.tenantId, { authorized: false }));
    expect(noAuthorizer.statusCode).toBe(403);
    expect(noAuthorizer.body.error).toBe("forbidden");
    expect(noAuthorizer.body.tenantId).toBeUndefined();

    const authorized = statusEvent(tenant.tenantId);
    const emptyCaller: APIGatewayProxyEventV2WithIAMAuthorizer = {
      ...authorized,
      requestContext: { ...authorized.requestContext, authorizer: { iam: { ...iamCaller().iam, userArn: "", userId: "" } } },
    };
    expect((await get(emptyCaller)).statusCode).toBe(403);
  });

  it("a malformed tenant id: 400 naming tenantId", async () => {
    for (const id of ["bad id!", "-leading-dash", "x".repeat(37), "", "../etc/passwd"]) {
      const reply = await get(statusEvent(id));
      expect(reply.statusCode, id).toBe(400);
      expect(reply.body.issues?.map((i) => i.field), id).toEqual(["tenantId"]);
    }
    const noPath = statusEvent("x");
    delete noPath.pathParameters;
    expect((await get(noPath)).statusCode).toBe(400);
  });

  it("an unknown tenant: 404", async () => {
    const reply = await get(statusEvent("never-signed-up-42"));
    expect(reply.statusCode).toBe(404);
    expect(reply.body).toEqual({ error: "not-found", tenantId: "never-signed-up-42" });
  });

  it("a provisioned tenant: 200 with each step, no lease data", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "worker-secret-owner" });
    const reply = await get(statusEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({ tenantId: tenant.tenantId, source: "signup", succeeded: true });
    const steps = Object.fromEntries((reply.body.steps ?? []).map((s) => [s["step"], s]));
    expect(steps["sls-consumer-group"]).toMatchObject({ status: "SUCCEEDED", attempts: 1, resource: { consumerGroup: `tenant-${tenant.tenantId}` } });
    expect(steps["im-group"]).toMatchObject({ status: "SUCCEEDED", attempts: 1, resource: { groupId: `tenant-${tenant.tenantId}` } });
    expect(JSON.stringify(reply.body)).not.toMatch(/leaseOwner|leaseExpiresAt|worker-secret-owner|unfinished/);
  });

  it("an offboarding that overtook its signup (a tombstone, no steps): succeeded, ABSENT; a tenant just registered, no step yet: not succeeded", async () => {
    const tenantId = parseTenantOnboarding(sampleTenant()).tenantId;
    await service.offboard({ tenantId, requestedAt: new Date(Date.now() - 1_000).toISOString(), source: "webhook" }, { deadline: Date.now() + 8_000, workerId: "w1" });
    const tombstone = await get(statusEvent(tenantId));
    expect(tombstone.statusCode).toBe(200);
    expect(tombstone.body).toMatchObject({ tenantId, desired: "ABSENT", succeeded: true, steps: [] });

    const fresh = parseTenantOnboarding(sampleTenant());
    await service.store.putNewTenant(fresh.tenantId, { ...fresh }, fresh.source, { desiredAt: fresh.requestedAt });
    const registered = await get(statusEvent(fresh.tenantId));
    expect(registered.body).toMatchObject({ tenantId: fresh.tenantId, desired: "PRESENT", succeeded: false, steps: [] });
  });

  it("a tenant whose first run is still writing its steps (one recorded, one not yet): succeeded false", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    // As the creating run leaves it between its two step outcomes (README "Creation lease").
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await service.store.putNewTenant(tenant.tenantId, { ...tenant }, tenant.source, { desiredAt: tenant.requestedAt, lease: { owner: "creator", expiresAt } });
    const now = new Date().toISOString();
    await service.store.putStepOutcome(
      { tenantId: tenant.tenantId, step: "sls-consumer-group", status: "IN_PROGRESS", attempts: 1, resource: {}, leaseOwner: "creator", leaseExpiresAt: expiresAt, observedGeneration: 1, version: 0, createdAt: now, updatedAt: now },
      { status: "SUCCEEDED", resource: { consumerGroup: `tenant-${tenant.tenantId}`, logstore: "l" } },
    );
    const reply = await get(statusEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({ tenantId: tenant.tenantId, succeeded: false });
    expect(JSON.stringify(reply.body)).not.toMatch(/leaseOwner|leaseExpiresAt|creator/);
  });

  // After `offboard` a tenant that signed up by webhook showed `source: "operator-cli"` with no
  // word on what `source` means: it is the entry point of the current generation's request,
  // published as an enum in the OpenAPI document (each reply here is validated against it).
  it("source names the entry point of the current generation's request; registeredAt stays the first signup's", async () => {
    const tenant = parseTenantOnboarding({ ...sampleTenant(), source: "webhook" });
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    const signedUp = await get(statusEvent(tenant.tenantId));
    expect(signedUp.body).toMatchObject({ source: "webhook", generation: 1 });
    const registeredAt = (signedUp.body as { registeredAt?: string }).registeredAt;

    await service.offboard({ tenantId: tenant.tenantId, requestedAt: "now", source: "operator-cli" }, { deadline: Date.now() + 8_000, workerId: "w2" });
    const offboarded = await get(statusEvent(tenant.tenantId));
    expect(offboarded.body).toMatchObject({ source: "operator-cli", generation: 2, desired: "ABSENT", registeredAt });

    const again = parseTenantOnboarding({ ...sampleTenant(), tenantId: tenant.tenantId, source: "signup", requestedAt: new Date(Date.now() + 1_000).toISOString() });
    await service.provision(again, { deadline: Date.now() + 8_000, workerId: "w3" });
    const resignedUp = await get(statusEvent(tenant.tenantId));
    expect(resignedUp.body).toMatchObject({ source: "signup", generation: 3, desired: "PRESENT", registeredAt });
  });

  it("a tenant with a failed step: 200, succeeded false, the step's last error and next attempt", async () => {
    const tenant = await provisionWithSlsFailing();
    const reply = await get(statusEvent(tenant.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body.succeeded).toBe(false);
    const sls = reply.body.steps?.find((s) => s["step"] === "sls-consumer-group");
    expect(sls).toMatchObject({ status: "FAILED_RETRYABLE", lastError: { provider: "sls", code: "InternalServerError" } });
    expect(Date.parse(String(sls?.["nextAttemptAt"]))).toBeGreaterThan(Date.now());
  });

  it("a step that failed and then succeeded shows no lastError, only previousError", async () => {
    const tenant = await provisionWithSlsFailing();
    // The retry, as the backfill would make it, succeeds.
    const claim = await service.store.claimStep(tenant.tenantId, "sls-consumer-group", { owner: "w2", leaseMs: 60_000 });
    if (!claim.claimed) throw new Error(`not claimed: ${claim.reason}`);
    await service.store.completeStep(claim.record, { status: "SUCCEEDED", resource: { consumerGroup: `tenant-${tenant.tenantId}` } });

    const reply = await get(statusEvent(tenant.tenantId));
    const step = reply.body.steps?.find((s) => s["step"] === "sls-consumer-group");
    expect(step).toMatchObject({ status: "SUCCEEDED", previousError: { provider: "sls", code: "InternalServerError" } });
    expect(step).not.toHaveProperty("lastError");
  });

  it("an offboarding that failed on the way and then removed the group: DELETED with previousError, no lastError", async () => {
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    fx.stack.sls.faults.configure({ rules: [{ ...slsFailsFor(tenant.tenantId), operation: "DeleteConsumerGroup" }] });
    try {
      const first = await service.offboard({ tenantId: tenant.tenantId, requestedAt: "now", source: "api" }, { deadline: Date.now() + 8_000, workerId: "w2" });
      expect(first.steps.find((s) => s.step === "sls-consumer-group")?.status).toBe("FAILED_RETRYABLE");
    } finally {
      fx.stack.sls.faults.configure({});
    }
    // The re-drive (as the backfill would make it, once due) removes the group.
    await makeStepDue(service, tenant.tenantId, "sls-consumer-group");
    await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: Date.now() + 8_000, workerId: "w3" });

    const reply = await get(statusEvent(tenant.tenantId));
    expect(reply.body).toMatchObject({ desired: "ABSENT", succeeded: true });
    const step = reply.body.steps?.find((s) => s["step"] === "sls-consumer-group");
    expect(step).toMatchObject({ status: "DELETED", previousError: { provider: "sls", code: "InternalServerError" } });
    expect(step).not.toHaveProperty("lastError");
  });
  it("shows the outcome event's delivery: published, or given up with the refusing error code", async () => {
    const ok = parseTenantOnboarding(sampleTenant());
    await service.provision(ok, { deadline: Date.now() + 8_000, workerId: "w1" });
    expect((await get(statusEvent(ok.tenantId))).body).toMatchObject({ announcement: { generation: 1, outcome: "TenantProvisioned", state: "published", attempts: 0 } });

    const refused = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1, "MalformedDetail", "Detail is malformed.");
    await service.provision(refused, { deadline: Date.now() + 8_000, workerId: "w1" });
    const reply = await get(statusEvent(refused.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({
      announcement: { generation: 1, outcome: "TenantProvisioned", state: "gave-up", attempts: 1, lastError: { code: "MalformedDetail", message: expect.stringContaining("MalformedDetail") } },
    });
  });
  it("shows an older generation still owed its outcome event (its publish failed, then an update was declared)", async () => {
    const request = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1, "ThrottlingException", "Rate exceeded");
    await service.provision(request, { deadline: Date.now() + 8_000, workerId: "w1" });
    const update = parseTenantOnboarding({ ...request, consumerGroup: { ...request.consumerGroup, timeout: 90 }, requestedAt: new Date(Date.parse(request.requestedAt) + 1_000).toISOString() });
    const second = await service.provision(update, { deadline: Date.now() + 8_000, workerId: "w2" });
    expect([second.generation, second.succeeded]).toEqual([2, true]);
    const reply = await get(statusEvent(request.tenantId));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatchObject({
      announcement: { generation: 1, outcome: "TenantProvisioned", state: "retrying", attempts: 1, owed: [{ generation: 1, outcome: "TenantProvisioned" }] },
    });
  });
});
