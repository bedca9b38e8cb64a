/**
 * Every outcome-store method refuses broken input before writing, with a ValidationError whose
 * message starts with the method's own name (what an operator greps the logs for), and the list
 * methods page through every shard up to their limit.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { STEP_NAMES, type StepRecord } from "../../../src/outcomes/index.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();
const bad = "bad id!";
const now = "2026-11-30T10:00:00.000Z";
const record = { tenantId: "t-1", step: "im-group", status: "IN_PROGRESS", leaseOwner: "w", attempts: 0, resource: {}, observedGeneration: 1, version: 1, createdAt: now, updatedAt: now } as StepRecord;

describe("outcome store input errors name their method", () => {
  it.each<[string, (store: Awaited<ReturnType<typeof newTable>>["store"]) => Promise<unknown>]>([
    ["registerTenant", (s) => s.registerTenant(bad, {}, "webhook", [...STEP_NAMES])],
    ["putNewTenant", (s) => s.putNewTenant(bad, {}, "webhook")],
    ["addMissingSteps", (s) => s.addMissingSteps(bad, 1, [], [...STEP_NAMES])],
    ["putStepOutcome", (s) => s.putStepOutcome(record, { status: "DONE" } as never)],
    ["getTenant", (s) => s.getTenant(bad)],
    ["listUnfinished", (s) => s.listUnfinished({ limit: 0 })],
    ["claimAnnouncement", (s) => s.claimAnnouncement(bad, 1, "TenantProvisioned", 60_000)],
    ["reclaimAnnouncement", (s) => s.reclaimAnnouncement(bad, 1, now, 60_000)],
    ["finishAnnouncement", (s) => s.finishAnnouncement(bad, 1)],
    ["finishOwnAnnouncement", (s) => s.finishOwnAnnouncement(bad, 1, "TenantProvisioned", "w")],
    ["releaseCreationLease", (s) => s.releaseCreationLease(bad, "w")],
    ["recordAnnouncementFailure", (s) => s.recordAnnouncementFailure(bad, 1, { attempts: 1, code: "X", message: "m" })],
    ["redriveAnnouncement", (s) => s.redriveAnnouncement(bad, 1)],
    ["listFailedAnnouncements", (s) => s.listFailedAnnouncements({ limit: 0 })],
    ["listFailures", (s) => s.listFailures({ limit: 0 })],
  ])("%s", async (method, call) => {
    const { store } = await newTable({ clock: new FakeClock() });
    const error = await call(store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message.startsWith(`${method}: invalid input: `)).toBe(true);
  });
});

describe("listFailures", () => {
  it("gathers permanent failures from every shard, exactly `limit` of them when there are more", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock, shards: 4 });
    const tenants = Array.from({ length: 7 }, (_, i) => `t-${i}`);
    for (const tenantId of tenants) {
      await store.registerTenant(tenantId, {}, "webhook", ["im-group"]);
      const claim = await store.claimStep(tenantId, "im-group", { owner: "w", leaseMs: 60_000 });
      if (!claim.claimed) throw new Error("not claimed");
      await store.completeStep(claim.record, { status: "FAILED_PERMANENT", error: { provider: "tencent-im", code: "10004", message: "bad", httpStatus: 200, errorClass: "permanent" } });
      clock.advance(1_000);
    }
    const all = await store.listFailures({ limit: 100 });
    expect(all.map((r) => r.tenantId).sort()).toEqual(tenants);
    expect(all.every((r) => r.status === "FAILED_PERMANENT")).toBe(true);
    for (const limit of [1, 3, 7]) {
      const some = await store.listFailures({ limit });
      expect(some, `limit ${limit}`).toHaveLength(limit);
      expect(new Set(some.map((r) => r.tenantId)).size).toBe(limit);
    }
  });
});
