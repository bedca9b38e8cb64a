/**
 * The published OpenAPI 3.1 description of the HTTP API: it is valid, it describes every route
 * the deployment serves, and the checker the handler tests use (`expectReplyMatchesOpenApi`)
 * really refuses replies that stray from it. The handler tests check their own replies.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { STEP_NAME_PATTERN } from "../../src/outcomes/constants.ts";
import { parseTenantOnboarding, TENANT_SOURCES } from "../../src/provisioning/tenant.ts";
import { TENANT_ID_PATTERN } from "../../src/validation/tenant-id.ts";
import { MAX_WEBHOOK_ID_BYTES } from "../../src/webhook/verify.ts";
import { expectReplyMatchesOpenApi, openApi } from "../support/openapi.ts";

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const succeededStep = {
  step: "sls-consumer-group",
  status: "SUCCEEDED",
  attempts: 2,
  resource: { consumerGroup: "tenant-acme" },
  updatedAt: "2026-11-30T10:00:00.000Z",
};
const recordedError = { provider: "sls", code: "InternalServerError", message: "CreateConsumerGroup failed", httpStatus: 500, errorClass: "transient" };
const status = (steps: unknown[]) => ({ tenantId: "acme", source: "webhook", registeredAt: "2026-11-30T09:59:00.000Z", desired: "PRESENT", generation: 1, succeeded: true, steps });

describe("openapi/http-api.yaml", () => {
  it("is a valid OpenAPI 3.1 document (swagger-parser)", async () => {
    const api = await openApi();
    expect(api.openapi).toMatch(/^3\.1\./);
  });

  it("publishes the service's own id rules, not copies that could drift (tenant id, step name, webhook-id)", async () => {
    const api = await openApi();
    const schemas = api.components?.schemas as Record<string, { pattern?: string }>;
    expect(schemas.TenantId?.pattern).toBe(TENANT_ID_PATTERN.source);
    expect(schemas.StepName?.pattern).toBe(STEP_NAME_PATTERN.source);
    const webhookId = api.paths?.["/webhooks/tenant-signup"]?.post?.parameters?.find((p) => "name" in p && p.name === "webhook-id");
    expect(webhookId && "schema" in webhookId ? (webhookId.schema as { pattern?: string }).pattern : undefined).toBe(`^[\\x21-\\x7e]{1,${MAX_WEBHOOK_ID_BYTES}}$`);
  });

  it("lists every source a signup or update request can carry among the status's documented sources", async () => {
    const api = await openApi();
    const schemas = (api.components?.schemas ?? {}) as Record<string, { properties?: Record<string, { enum?: string[] }> }>;
    const statusSchema = schemas["TenantStatus"];
    expect(statusSchema?.properties?.["source"]?.enum).toEqual(expect.arrayContaining([...TENANT_SOURCES]));
  });

  // It said 1999 members while the service refuses a 100th (IM allows 100 with the owner): a sender
  // built from the description got 400s it was told it would not.
  it("publishes the member limit the service enforces: maxItems members pass, one more is refused", async () => {
    const api = await openApi();
    const request = ((api.components?.schemas ?? {}) as Record<string, { properties?: Record<string, { maxItems?: number }> }>).TenantRequest;
    const maxItems = request?.properties?.members?.maxItems ?? 0;
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ userId: `member-${i}` }));
    const tenant = (n: number) => ({ tenantId: "acme", displayName: "Acme", admin: { userId: "owner" }, members: members(n), requestedAt: "2026-11-30T10:00:00Z", source: "webhook" });
    expect(() => parseTenantOnboarding(tenant(maxItems))).not.toThrow();
    expect(() => parseTenantOnboarding(tenant(maxItems + 1))).toThrow(/members/);
  });

  it("describes every HTTP API route serverless.yml deploys", async () => {
    const api = await openApi();
    const yml = await readFile(join(import.meta.dirname, "../../serverless.yml"), "utf8");
    const routes = [...yml.matchAll(/- httpApi:\s*\n\s*method: (\w+)\s*\n\s*path: (\S+)/g)].map((m) => [String(m[1]).toLowerCase(), String(m[2])] as const);
    expect(routes.length).toBeGreaterThan(0);
    for (const [method, path] of routes) expect(api.paths?.[path]?.[method as "get"], `${method} ${path}`).toBeDefined();
  });

  it("describes the offboarding route (issue 9): 200 finished, 202 continuing in the backfill, 409 a stored request removal cannot read", async () => {
    const api = await openApi();
    const del = api.paths?.["/tenants/{tenantId}"]?.delete as Record<string, unknown> | undefined;
    expect(del?.["x-status"]).toBeUndefined();
    expect(Object.keys((del?.["responses"] as object) ?? {}).sort()).toEqual(["200", "202", "400", "403", "404", "409", "500"]);
  });
});

describe("the reply checker refuses what the description does not allow", () => {
  it("accepts a described reply", async () => {
    await expectReplyMatchesOpenApi("get", "/tenants/{tenantId}", json(200, status([{ ...succeededStep, previousError: recordedError }])));
    await expectReplyMatchesOpenApi("post", "/webhooks/tenant-signup", json(202, { tenantId: "acme", steps: [], continuing: "in-progress-elsewhere" }));
  });

  it.each([
    ["an undescribed status", "post", "/webhooks/tenant-signup", json(418, {}), /status not described/],
    ["an undescribed route", "get", "/nowhere", json(200, {}), /not described/],
    ["a reply that is not JSON", "get", "/tenants/{tenantId}", { statusCode: 404, headers: { "content-type": "text/plain" }, body: "x" }, /content type/],
    ["an extra property", "get", "/tenants/{tenantId}", json(404, { error: "not-found", tenantId: "acme", leaseOwner: "w1" }), /must NOT have additional properties/],
    ["a SUCCEEDED step with a lastError", "get", "/tenants/{tenantId}", json(200, status([{ ...succeededStep, lastError: recordedError }])), /must NOT be valid/],
    ["a 409 for an in-progress tenant (the old reply)", "post", "/webhooks/tenant-signup", json(409, { tenantId: "acme", steps: [], error: "in-progress" }), /does not match/],
    ["more than 50 issues", "post", "/webhooks/tenant-signup", json(400, { error: "invalid-request", issues: Array.from({ length: 51 }, (_, i) => ({ field: `data.u${i}`, rule: "unknown field" })) }), /must NOT have more than 50 items/],
  ] as const)("%s", async (_label, method, path, reply, message) => {
    await expect(expectReplyMatchesOpenApi(method, path, reply)).rejects.toThrow(message);
  });
});
