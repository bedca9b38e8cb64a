/**
 * `leaseTenant`: the lease the backfill takes on a tenant its page listed, in place of a read
 * (src/provisioning/provision.ts reconcileListed). Only one run holds it, only at the listed
 * generation, never over a claimed announcement; and `finishOwnAnnouncement` under it clears an
 * older generation's given-up announcement as `finishAnnouncement` does.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();
const snapshot = { tenantId: "t-1", admin: { userId: "u-1", nick: "Ann" } };
const inMs = (clock: FakeClock, ms: number) => new Date(clock.now() + ms).toISOString();

describe("leaseTenant", () => {
  it("answers with the tenant item for one run at a time, at the listed generation, until the lease lapses", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-1", snapshot, "webhook");
    expect(await store.leaseTenant("t-1", 2, "run-a", inMs(clock, 60_000))).toBeUndefined();
    expect(await store.leaseTenant("t-missing", 1, "run-a", inMs(clock, 60_000))).toBeUndefined();
    const leased = await store.leaseTenant("t-1", 1, "run-a", inMs(clock, 60_000));
    expect(leased).toMatchObject({ tenantId: "t-1", generation: 1, leaseOwner: "run-a", leaseExpiresAt: inMs(clock, 60_000) });
    // Held: neither another run's lease nor its claim of the announcement.
    expect(await store.leaseTenant("t-1", 1, "run-b", inMs(clock, 60_000))).toBeUndefined();
    expect(await store.claimAnnouncement("t-1", 1, "TenantProvisioned", 60_000)).toBe(false);
    // Lapsed (its run died): the next run takes it.
    clock.advance(60_000);
    expect(await store.leaseTenant("t-1", 1, "run-b", inMs(clock, 60_000))).toMatchObject({ leaseOwner: "run-b" });
    // The holder announces with one write, which ends the lease; after that nobody leases generation 1.
    expect(await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "run-b")).toBe(true);
    const { tenant } = await store.getTenant("t-1");
    expect(tenant).toMatchObject({ announcedGeneration: 1 });
    expect(tenant?.leaseOwner).toBeUndefined();
    expect(await store.leaseTenant("t-1", 1, "run-c", inMs(clock, 60_000))).toBeUndefined();
  });

  it("is refused over an announcement another run claimed (that run, or a take-over when overdue, publishes)", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-2", snapshot, "webhook");
    expect(await store.claimAnnouncement("t-2", 1, "TenantProvisioned", 60_000)).toBe(true);
    expect(await store.leaseTenant("t-2", 1, "run-a", inMs(clock, 60_000))).toBeUndefined();
  });

  it("is refused while an older generation's announcement is owed (those go out first, oldest first, without a lease)", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const asRead = await store.putNewTenant("t-owes", snapshot, "webhook");
    if (!asRead) throw new Error("not recorded");
    const owed = { generation: 1, outcome: "TenantProvisioned" as const, occurredAt: inMs(clock, 0), steps: [] };
    const next = await store.changeDesired("t-owes", 1, { desired: "PRESENT", source: "webhook", snapshot: { ...snapshot, admin: { userId: "u-1", nick: "Bo" } }, owe: { announcement: owed, asRead } });
    expect(next?.owedAnnouncements).toHaveLength(1);
    expect(await store.leaseTenant("t-owes", 2, "run-a", inMs(clock, 60_000))).toBeUndefined();
  });

  it("rejects bad input naming the method and field", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await expect(store.leaseTenant("t-3", 1, "", inMs(clock, 1))).rejects.toThrow(ValidationError);
    await expect(store.leaseTenant("t-3", 1, "run", "tomorrow")).rejects.toThrow(/leaseTenant.*expiresAt/s);
  });

  it("finishOwnAnnouncement under it clears an older generation's given-up announcement from the failures listing", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-4", snapshot, "webhook");
    expect(await store.claimAnnouncement("t-4", 1, "TenantProvisioned", 60_000)).toBe(true);
    expect(await store.recordAnnouncementFailure("t-4", 1, { attempts: 1, code: "AccessDeniedException", message: "no" })).toBe(true);
    expect((await store.listFailedAnnouncements({ limit: 10 })).map((t) => t.tenantId)).toEqual(["t-4"]);
    const next = await store.changeDesired("t-4", 1, { snapshot: { ...snapshot, admin: { userId: "u-1", nick: "Bo" } }, source: "webhook", desired: "PRESENT" });
    expect(next?.generation).toBe(2);
    expect(await store.leaseTenant("t-4", 2, "run-a", inMs(clock, 60_000))).toBeDefined();
    expect(await store.finishOwnAnnouncement("t-4", 2, "TenantProvisioned", "run-a")).toBe(true);
    expect(await store.listFailedAnnouncements({ limit: 10 })).toEqual([]);
    expect((await store.getTenant("t-4")).tenant?.announceFailure).toBeUndefined();
  });
});
