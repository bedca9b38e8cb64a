import { ValidationError } from "../errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { TenantOutcomes } from "../outcomes/types.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../provisioning/tenant.ts";
import type { ProvisionLogger, ProvisionResult } from "../provisioning/types.ts";
import { forEachWithin } from "../concurrency/for-each-within.ts";
import type { BackfillPosition } from "./cursor-store.ts";

/** Counts per outcome of one backfill run. */
export interface BackfillReport {
  /** Tenants this run provisioned (each may have had one or two unfinished steps). */
  tenants: number;
  succeeded: number;
  /** Still FAILED_RETRYABLE or IN_PROGRESS after this run: the next run tries again. */
  retryable: number;
  /** Ended FAILED_PERMANENT or CONFLICT in some step. */
  permanent: number;
  /** Tenants whose stored request no longer validates (recorded, skipped). */
  invalid: number;
  /** Unfinished steps with no tenant item to re-drive from (logged as errors; written before the fix that orders registration). */
  orphaned: number;
  /** The walk reached its end (nothing due is left behind this run). */
  complete: boolean;
}

/** What the backfill works with. */
export interface BackfillDependencies {
  store: Pick<OutcomeStore, "listUnfinished" | "getTenant">;
  positions: { load(): Promise<BackfillPosition | undefined>; save(p: BackfillPosition | undefined): Promise<void> };
  /** Reconciles a recorded tenant (its records just read) toward its stored desired state. */
  reconcile: (state: TenantOutcomes, deadline: number, options: { dueBefore: string }) => Promise<ProvisionResult>;
  clock?: Clock;
  logger?: ProvisionLogger;
}

/** Limits of one run. */
export interface BackfillOptions {
  /** Absolute epoch-ms by which the run must have returned. */
  deadline: number;
  /** Time one tenant may take; no tenant is started with less than this left. */
  perTenantBudgetMs: number;
  /** Tenants provisioned at once (the providers' rate limiters pace the calls). */
  concurrency: number;
  /** Unfinished steps read per page. */
  pageSize: number;
}

/**
 * Re-drives unfinished steps found through the sparse index, page by page, within the run's
 * time budget. The walk's place is saved after each page whose tenants were all handled; a run
 * that stops mid-page leaves the page's start, and the next run repeats that page cheaply
 * (finished steps are skipped without a provider call).
 *
 * @example
 * ```ts
 * const report = await runBackfill({ deadline, perTenantBudgetMs: 10_000, concurrency: 16, pageSize: 100 }, deps);
 * ```
 */
export async function runBackfill(options: BackfillOptions, deps: BackfillDependencies): Promise<BackfillReport> {
  const clock = deps.clock ?? systemClock;
  const report: BackfillReport = { tenants: 0, succeeded: 0, retryable: 0, permanent: 0, invalid: 0, orphaned: 0, complete: false };
  const saved = await deps.positions.load();
  let position: BackfillPosition = saved ?? { dueBefore: new Date(clock.now()).toISOString() };
  const hasTime = () => options.deadline - clock.now() >= options.perTenantBudgetMs;

  while (hasTime()) {
    const page = await deps.store.listUnfinished({ limit: options.pageSize, cursor: position.cursor, dueBefore: position.dueBefore });
    // Steps that need work, and tenants whose generation is not yet settled and announced.
    const tenantIds = [...new Set([...page.items.map((item) => item.tenantId), ...page.tenants])];
    const finishedPage = await forEachWithin(tenantIds, options.concurrency, hasTime, async (tenantId) => {
      await redriveTenant(tenantId, position.dueBefore, options, deps, clock, report);
    });
    if (!finishedPage) break;
    if (page.cursor === undefined) {
      report.complete = true;
      await deps.positions.save(undefined);
      return report;
    }
    position = { dueBefore: position.dueBefore, cursor: page.cursor };
    await deps.positions.save(position);
  }
  deps.logger?.info("backfill stopped for time; position saved", { dueBefore: position.dueBefore });
  return report;
}

/**
 * Provisions an explicit list of tenants (e.g. those that signed up before the service
 * existed), within the run's budget. Each entry is validated first; invalid ones are counted and
 * named in the log, never sent to a provider.
 *
 * @example
 * ```ts
 * await backfillTenants([{ tenantId: "old-1", ... }], options, deps);
 * ```
 */
export async function backfillTenants(
  tenants: readonly unknown[],
  options: Omit<BackfillOptions, "pageSize">,
  deps: Pick<BackfillDependencies, "clock" | "logger"> & {
    provision: (tenant: TenantOnboarding, deadline: number) => Promise<ProvisionResult>;
  },
): Promise<BackfillReport & { notStarted: number }> {
  const clock = deps.clock ?? systemClock;
  const report = { tenants: 0, succeeded: 0, retryable: 0, permanent: 0, invalid: 0, orphaned: 0, complete: false, notStarted: 0 };
  const valid: TenantOnboarding[] = [];
  tenants.forEach((input, index) => {
    try {
      valid.push(parseTenantOnboarding(input));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      report.invalid++;
      deps.logger?.warn("backfill tenant rejected", { index, issues: error.issues });
    }
  });
  let started = 0;
  const hasTime = () => options.deadline - clock.now() >= options.perTenantBudgetMs;
  report.complete = await forEachWithin(valid, options.concurrency, hasTime, async (tenant) => {
    started++;
    tally(report, await deps.provision(tenant, Math.min(options.deadline, clock.now() + options.perTenantBudgetMs)));
  });
  report.notStarted = valid.length - started;
  return report;
}

async function redriveTenant(
  tenantId: string,
  dueBefore: string,
  options: BackfillOptions,
  deps: BackfillDependencies,
  clock: Clock,
  report: BackfillReport,
): Promise<void> {
  const state = await deps.store.getTenant(tenantId);
  if (!state.tenant) {
    report.orphaned++;
    deps.logger?.error("unfinished steps without a tenant item: cannot re-drive", { tenantId });
    return;
  }
  try {
    tally(report, await deps.reconcile(state, Math.min(options.deadline, clock.now() + options.perTenantBudgetMs), { dueBefore }));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    report.invalid++;
    deps.logger?.error("stored tenant request no longer validates", { tenantId, issues: error.issues });
  }
}

function tally(report: BackfillReport, result: ProvisionResult): void {
  report.tenants++;
  if (result.succeeded) report.succeeded++;
  else if (result.retryable) report.retryable++;
  else report.permanent++;
}
