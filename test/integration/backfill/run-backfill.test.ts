import { describe, expect, it, vi } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { BackfillPositionStore } from "../../../src/backfill/cursor-store.ts";
import { STEP_NAMES } from "../../../src/outcomes/constants.ts";
import type { TenantOutcomes } from "../../../src/outcomes/types.ts";
import type { ProvisionResult } from "../../../src/provisioning/types.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

// The walk over a real outcome table (dynalite): tenants registered with both steps PENDING, so
// each tenant has two entries in the unfinished index. Reconciling is replaced by a recorder: the
// subject here is which tenants the walk hands out, when, and where it leaves its place.
const newTable = useDynalite();

async function seed(count: number) {
  const clock = new FakeClock();
  const fixture = await newTable({ clock, shards: 1 });
  const ids = Array.from({ length: count }, (_, i) => `walk-${i}`);
  for (const id of ids) {
    await fixture.store.registerTenant(id, { tenantId: id, displayName: id, admin: { userId: `${id}-admin`, name: "A" }, requestedAt: new Date(clock.now()).toISOString(), source: "backfill" }, "backfill", STEP_NAMES);
  }
  clock.advance(60_000); // registered a minute ago: due
  const positions = new BackfillPositionStore(fixture.docClient, fixture.tableName);
  return { ...fixture, clock, ids, positions };
}

const ok = (): ProvisionResult => ({ succeeded: true, retryable: false }) as ProvisionResult;

describe("runBackfill's page walk", () => {
  it("re-drives a tenant listed on two pages once per run, and finishes the walk", async () => {
    const { store, clock, ids, positions } = await seed(5);
    const calls: string[] = [];
    const report = await runBackfill(
      { deadline: clock.now() + 600_000, perTenantBudgetMs: 10_000, concurrency: 2, pageSize: 1 },
      {
        store,
        positions,
        clock,
        reconcile: async (state: TenantOutcomes) => {
          calls.push(state.tenant!.tenantId);
          return ok();
        },
      },
    );
    expect(report).toMatchObject({ tenants: 5, succeeded: 5, complete: true });
    expect([...calls].sort()).toEqual([...ids].sort());
    expect(await positions.load()).toBeUndefined();
  });

  it("keeps its lanes busy past a page whose slowest tenant is still running", async () => {
    const { store, clock, ids, positions } = await seed(6);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    const walk = runBackfill(
      { deadline: clock.now() + 600_000, perTenantBudgetMs: 10_000, concurrency: 2, pageSize: 2 },
      {
        store,
        positions,
        clock,
        reconcile: async (state: TenantOutcomes) => {
          calls.push(state.tenant!.tenantId);
          if (calls.length === 1) await held; // the first tenant of the first page hangs on
          return ok();
        },
      },
    );
    // Every other tenant, on later pages, is handled while the first one still runs.
    await vi.waitFor(() => expect(calls).toHaveLength(ids.length), { ...HANG_CAP, interval: 5 });
    // Its page is unfinished, so no position past it has been saved yet.
    expect(await positions.load()).toBeUndefined();
    release();
    expect(await walk).toMatchObject({ tenants: 6, complete: true });
  });
});
