/**
 * The backfill and steps waiting for their backoff: a run says how many tenants it left waiting
 * (`notDue`) instead of counting them as tried and still retryable, and an operator's run with
 * `ignoreBackoff` (`npm run cli -- backfill --now`) runs them at once without moving the scheduled
 * runs' saved place. A probe found `{"tenants":65,"succeeded":0,"retryable":65}` after freeing
 * logstore room: nothing had been tried, and nothing said so.
 */
import { describe, expect, it } from "vitest";
import { runBackfill } from "../../../src/backfill/backfill.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import type { Service } from "../../../src/service.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { slsFailsFor } from "../../handlers/harness.ts";

const fx = useLocalStack();
const soon = () => Date.now() + 60_000;

/** A whole run as the CLI wires it. */
function backfill(service: Service, ignoreBackoff = false) {
  let run = 0;
  return runBackfill(
    { deadline: Date.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 100, ignoreBackoff },
    { store: service.store, positions: service.positions, reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: `bf-${++run}`, ...walk }) },
  );
}

describe("backfill and steps waiting for their next attempt", () => {
  it("counts a tenant it left waiting as notDue (not retryable), and --now runs it at once, leaving the saved place alone", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [slsFailsFor(tenant.tenantId)] });
    try {
      await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const sls = async () => (await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group");
    expect(await sls()).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });
    const calls = fx.stack.sls.state().calls;

    const scheduled = await backfill(service);

    expect(scheduled).toMatchObject({ tenants: 1, succeeded: 0, retryable: 0, notDue: 1, complete: true });
    expect(fx.stack.sls.state().calls).toEqual(calls);
    expect(await sls()).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });

    // A scheduled run's place, mid-walk: an operator's run neither resumes from it nor moves it.
    const place = { dueBefore: new Date(Date.now() - 5_000).toISOString(), cursor: undefined };
    await service.positions.save(place);

    const now = await backfill(service, true);

    expect(now).toMatchObject({ tenants: 1, succeeded: 1, retryable: 0, notDue: 0, complete: true });
    expect(await sls()).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(await service.positions.load()).toEqual(place);
  });
});
