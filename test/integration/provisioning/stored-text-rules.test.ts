/**
 * The text rules of 2026-12-01 (src/validation/readable-text.ts) apply to new requests only. A
 * tenant an earlier release stored with a name they refuse (here a zero-width space) stays
 * readable on every path that reads the stored request back (dynalite, both sandboxes over HTTP):
 * the backfill re-drives it, an update is judged against it (its immutable fields hold), and it
 * can be offboarded; while a new request with the same name is refused naming `displayName`.
 */
import { describe, expect, it } from "vitest";
import { backfillTenants } from "../../../src/backfill/backfill.ts";
import { ValidationError } from "../../../src/errors.ts";
import { lifecycleEventFromQueueBody, tenantFromWebhookBody } from "../../../src/inputs/unwrap.ts";
import { STEP_NAMES } from "../../../src/outcomes/constants.ts";
import type { JsonObject } from "../../../src/outcomes/types.ts";
import { ImmutableFieldError } from "../../../src/provisioning/errors.ts";
import { storedTenantReader } from "../../../src/provisioning/stored-text.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { NEW_TEXT_RULES } from "../../../src/validation/readable-text.ts";
import { backfillOnce, sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { rejection } from "../../support/rejection.ts";

const fx = useLocalStack();
const soon = () => Date.now() + 60_000;
/** A display name the earlier rule took and the new one refuses (U+200B between two words). */
const STORED_NAME = "Acme\u200bCorp";
const imGroup = (tenantId: string) => fx.stack.im.state().groups.find((g) => g.groupId === `tenant-${tenantId}`);
const later = (request: Record<string, unknown>, changes: Record<string, unknown>) => ({
  ...request,
  ...changes,
  requestedAt: new Date(Date.parse(String(request["requestedAt"])) + 1_000).toISOString(),
});

/**
 * A tenant as an earlier release stored it: the request as it came, through the store's own
 * writes (never through today's input rule, which refuses it). `"declared"`: the tenant item
 * alone, as a signup whose run died before its first step left it; `"registered"`: with both
 * steps PENDING, so the backfill re-drives it from its listing.
 */
async function storedByEarlierRelease(service: Service, how: "declared" | "registered") {
  const request = sampleTenant({ displayName: STORED_NAME });
  if (how === "declared") {
    expect(await service.store.putNewTenant(request.tenantId, { ...request } as JsonObject, request.source, { desiredAt: request.requestedAt })).toBeDefined();
  } else {
    await service.store.registerTenant(request.tenantId, { ...request } as JsonObject, request.source, STEP_NAMES);
  }
  return request;
}

describe("a tenant stored with a name the new text rules refuse", () => {
  it.each(["declared", "registered"] as const)("(%s by an earlier release) is re-driven to SUCCEEDED by the backfill; IM gets the name as stored", async (how) => {
    const service = fx.service();
    const request = await storedByEarlierRelease(service, how);
    const report = await backfillOnce(service);
    expect(report).toMatchObject({ invalid: 0, permanent: 0, complete: true });
    const { tenant, steps } = await service.store.getTenant(request.tenantId);
    expect(steps.map((s) => [s.step, s.status]).sort()).toEqual([
      ["im-group", "SUCCEEDED"],
      ["sls-consumer-group", "SUCCEEDED"],
    ]);
    expect(tenant).toMatchObject({ generation: 1, announcedGeneration: 1, announcedOutcome: "TenantProvisioned" });
    // Nothing of the stored request was rewritten or lost; IM (which has no such rule) took it.
    expect(tenant?.snapshot).toEqual(request);
    expect(imGroup(request.tenantId)?.name).toBe(STORED_NAME);
  });

  it("a new request with the same name is refused naming displayName and the rule, on every entry point, before anything is written", async () => {
    const service = fx.service();
    const fresh = sampleTenant({ displayName: STORED_NAME });
    const { source: _source, ...data } = fresh;
    const invisible = (field: string) => [{ field, rule: `${NEW_TEXT_RULES.invisible}: U+200B at character 5` }];
    const issuesOf = async (parse: () => unknown) => {
      try {
        await parse();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues;
      }
      throw new Error("expected a ValidationError");
    };
    expect(await issuesOf(() => parseTenantOnboarding(fresh))).toEqual(invisible("displayName"));
    // The tenant is unknown: no stored request holds the name (src/provisioning/stored-text.ts).
    const readStored = storedTenantReader(service.store);
    expect(await issuesOf(() => tenantFromWebhookBody(JSON.stringify({ type: "tenant.created", data }), readStored))).toEqual(invisible("data.displayName"));
    const event = { "detail-type": "TenantSignedUp", source: "saas.signup", id: "e-1", detail: data };
    expect(await issuesOf(() => lifecycleEventFromQueueBody(JSON.stringify(event), readStored))).toEqual(invisible("detail.displayName"));
    expect((await service.store.getTenant(fresh.tenantId)).tenant).toBeUndefined();
  });

  it("an update is judged against it: a changed owner is refused as immutable, a corrected name renames the group; the stored name still breaks the input schema itself (only the core admits it as stored, test/handlers/stored-text.test.ts)", async () => {
    const service = fx.service();
    const request = await storedByEarlierRelease(service, "registered");
    await backfillOnce(service);
    expect(imGroup(request.tenantId)?.owner).toBe(request.admin.userId);

    // Were the stored request unreadable, the update would replace it and its owner with it.
    const hijack = parseTenantOnboarding(later(request, { displayName: "Acme Corp", admin: { userId: "mallory", name: "M" } }));
    expect(await rejection(service.provision(hijack, { deadline: soon(), workerId: "w-hijack" }))).toBeInstanceOf(ImmutableFieldError);
    expect((await service.store.getTenant(request.tenantId)).tenant).toMatchObject({ generation: 1, snapshot: request });

    expect(() => parseTenantOnboarding(later(request, { consumerGroup: { timeout: 120 } }))).toThrow(ValidationError);
    const corrected = parseTenantOnboarding(later(request, { displayName: "Acme Corp" }));
    const result = await service.provision(corrected, { deadline: soon(), workerId: "w-update" });
    expect(result).toMatchObject({ generation: 2, succeeded: true });
    expect(imGroup(request.tenantId)).toMatchObject({ name: "Acme Corp", owner: request.admin.userId });
  });

  it("an import (backfill --tenants) of the request as stored is accepted with the stored tenant's reader, refused without it", async () => {
    const service = fx.service();
    const request = await storedByEarlierRelease(service, "registered");
    await backfillOnce(service);
    const provision = (tenant: Parameters<Service["provision"]>[0], deadline: number) => service.provision(tenant, { deadline, workerId: "w-import" });
    const options = { deadline: soon(), concurrency: 1, perTenantBudgetMs: 20_000 };
    const { source: _source, ...entry } = request;
    expect(await backfillTenants([entry], options, { provision })).toMatchObject({ invalid: 1, tenants: 0 });
    expect(await backfillTenants([entry], options, { provision, readStored: storedTenantReader(service.store) })).toMatchObject({ invalid: 0, tenants: 1, succeeded: 1 });
    expect((await service.store.getTenant(request.tenantId)).tenant).toMatchObject({ snapshot: { displayName: STORED_NAME } });
  });

  it("an operator's offboarding removes its resources", async () => {
    const service = fx.service();
    const request = await storedByEarlierRelease(service, "registered");
    await backfillOnce(service);
    const result = await service.offboard({ tenantId: request.tenantId, requestedAt: "now", source: "api" }, { deadline: soon(), workerId: "w-offboard" });
    expect(result).toMatchObject({ generation: 2, desired: "ABSENT", succeeded: true });
    expect(imGroup(request.tenantId)).toBeUndefined();
  });
});
