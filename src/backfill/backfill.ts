import { ValidationError } from "../errors.ts";
import { ImmutableFieldError, RequestedAtAheadError } from "../provisioning/errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { MalformedOutcomeItemError } from "../outcomes/errors.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { TenantOutcomes } from "../outcomes/types.ts";
import { admitTenantOnboarding, type StoredTenantReader } from "../provisioning/stored-text.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../provisioning/tenant.ts";
import type { ProvisionLogger, ProvisionResult } from "../provisioning/types.ts";
import { forEachWithin } from "../concurrency/for-each-within.ts";
import type { BackfillPosition } from "./cursor-store.ts";
import { walkPages } from "./page-walk.ts";
import { waitingOnly } from "../provisioning/waiting.ts";

/** Counts per outcome of one backfill run. */
export interface BackfillReport {
  /**
   * Tenants this run handled (each may have had one or two unfinished steps): `succeeded`,
   * `retryable`, `permanent` and `notDue` together.
   */
  tenants: number;
  succeeded: number;
  /** Attempted and still FAILED_RETRYABLE or IN_PROGRESS after this run: the next run tries again. */
  retryable: number;
  /**
   * Not attempted: every unfinished step failed retryably and waits for its `nextAttemptAt`
   * (backoff up to an hour). `npm run cli -- backfill --now` runs them anyway.
   */
  notDue: number;
  /** Ended FAILED_PERMANENT or CONFLICT in some step. */
  permanent: number;
  /**
   * Tenants whose re-drive was refused as invalid input (a ValidationError, logged with its
   * issues). A stored request no shape reads is not one: its steps are recorded FAILED_PERMANENT
   * (`StoredRequestUnreadable`, once per generation) and counted in `permanent`. In an import
   * ({@link backfillTenants}): entries refused.
   */
  invalid: number;
  /** Unfinished steps with no tenant item to re-drive from (logged as errors; written before the fix that orders registration). */
  orphaned: number;
  /**
   * Tenants whose items the store cannot read (MalformedOutcomeItemError: a hand edit or a
   * corruption of a field the store relies on), logged as errors naming the item's key and the
   * broken fields, and passed over: one bad item never stops the run from working the others.
   */
  malformed: number;
  /** The walk reached its end (nothing due is left behind this run). */
  complete: boolean;
}

/** What the backfill works with. */
export interface BackfillDependencies {
  store: Pick<OutcomeStore, "listUnfinished" | "getTenant">;
  positions: { load(): Promise<BackfillPosition | undefined>; save(p: BackfillPosition | undefined): Promise<void> };
  /** Reconciles a recorded tenant (its records just read) toward its stored desired state. */
  reconcile: (state: TenantOutcomes, deadline: number, options: { dueBefore: string }) => Promise<ProvisionResult>;
  /**
   * Reconciles a tenant from what its page listed (tenant item and steps) without reading it,
   * when that is enough; `undefined` when not, and the tenant is then read and reconciled.
   */
  reconcileListed?: (listed: TenantOutcomes, deadline: number, options: { dueBefore: string }) => Promise<ProvisionResult | undefined>;
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
  /**
   * An operator's re-drive (`backfill --now`): every unfinished step runs, however far off its
   * `nextAttemptAt`; the walk starts at the beginning and leaves the scheduled runs' saved place
   * as it is.
   */
  ignoreBackoff?: boolean | undefined;
}

/** The walk bound of a run that ignores backoff: after every `nextAttemptAt` there can be. */
const END_OF_TIME = "9999-12-31T23:59:59.999Z";

/**
 * Re-drives unfinished steps found through the sparse index, within the run's time budget. The
 * pages are walked by {@link walkPages}: the next page is read while the current one is worked
 * on, and lanes move on to it without waiting for the current page's slowest tenant, so the
 * providers' rate limits, not page boundaries, set the pace. The walk's place is saved after
 * each page whose tenants were all handled (in page order); a run that stops mid-page leaves that
 * page's start, and the next run repeats it cheaply (finished steps are skipped without a
 * provider call). A tenant listed on two pages (one unfinished step on each) is re-driven once.
 *
 * @example
 * ```ts
 * const report = await runBackfill({ deadline, perTenantBudgetMs: 10_000, concurrency: 16, pageSize: 100 }, deps);
 * ```
 */
export async function runBackfill(options: BackfillOptions, deps: BackfillDependencies): Promise<BackfillReport> {
  const clock = deps.clock ?? systemClock;
  const report: BackfillReport = { tenants: 0, succeeded: 0, retryable: 0, notDue: 0, permanent: 0, invalid: 0, orphaned: 0, malformed: 0, complete: false };
  const redriveAll = options.ignoreBackoff === true;
  const saved = redriveAll ? undefined : await deps.positions.load();
  const dueBefore = redriveAll ? END_OF_TIME : (saved?.dueBefore ?? new Date(clock.now()).toISOString());
  const hasTime = () => options.deadline - clock.now() >= options.perTenantBudgetMs;
  const started = new Set<string>();
  // What each page listed of the tenants it handed out, until they are re-driven.
  const listed = new Map<string, TenantOutcomes>();

  report.complete = await walkPages({
    start: saved?.cursor,
    fetchPage: async (cursor) => {
      const page = await deps.store.listUnfinished({ limit: options.pageSize, cursor, dueBefore });
      // Steps that need work, and tenants whose generation is not yet settled and announced; a
      // tenant already handed out this run (listed on an earlier page too) is not re-driven again.
      const tenantIds = [...new Set([...page.items.map((item) => item.tenantId), ...page.tenants])].filter((id) => !started.has(id));
      for (const id of tenantIds) started.add(id);
      if (deps.reconcileListed) {
        const fresh = new Set(tenantIds);
        for (const tenant of page.tenantRecords) if (fresh.has(tenant.tenantId)) listed.set(tenant.tenantId, { tenant, steps: [] });
        for (const step of page.items) listed.get(step.tenantId)?.steps.push(step);
      }
      return { items: tenantIds, cursor: page.cursor };
    },
    concurrency: options.concurrency,
    canStart: hasTime,
    work: (tenantId) => {
      const hint = listed.get(tenantId);
      listed.delete(tenantId);
      return redriveTenant(tenantId, hint, dueBefore, options, deps, clock, report);
    },
    pageDone: async (next) => {
      if (!redriveAll) await deps.positions.save(next === undefined ? undefined : { dueBefore, cursor: next });
    },
  });
  if (!report.complete) deps.logger?.info(redriveAll ? "backfill --now stopped for time; run it again to go on (no position is kept)" : "backfill stopped for time; position saved", { dueBefore });
  return report;
}

/**
 * An entry of an explicit list is an import: like the other entry points, the backfill sets
 * `source` to `import`, and an entry that names another source is refused naming the field (it
 * was kept, so an import file could record a tenant as having come from the webhook).
 */
function asImported(entry: unknown): unknown {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return entry;
  const named: unknown = (entry as Record<string, unknown>)["source"];
  if (Object.hasOwn(entry, "source") && named !== "import") throw new ValidationError([{ field: "source", rule: 'set by the entry point: leave it out (or "import")' }]);
  return { ...entry, source: "import" };
}

/**
 * Provisions an explicit list of tenants (e.g. those that signed up before the service
 * existed), within the run's budget. Each entry is validated first (`source` is set to
 * `import`; an entry that names another is invalid); invalid ones are counted and named in the log, never sent to a provider.
 * With `readStored`, an entry refused only by text rules is accepted when those texts are the
 * ones stored for its tenant (re-importing a tenant an earlier release stored; see `admitTenantOnboarding`).
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
    readStored?: StoredTenantReader;
  },
): Promise<BackfillReport & { notStarted: number }> {
  const clock = deps.clock ?? systemClock;
  const report = { tenants: 0, succeeded: 0, retryable: 0, notDue: 0, permanent: 0, invalid: 0, orphaned: 0, malformed: 0, complete: false, notStarted: 0 };
  const valid: TenantOnboarding[] = [];
  const readStored = deps.readStored;
  for (const [index, input] of tenants.entries()) {
    try {
      const request = asImported(input);
      valid.push(readStored ? await admitTenantOnboarding(request, readStored) : parseTenantOnboarding(request));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      report.invalid++;
      deps.logger?.warn("backfill tenant rejected", { index, issues: error.issues });
    }
  }
  let started = 0;
  const hasTime = () => options.deadline - clock.now() >= options.perTenantBudgetMs;
  report.complete = await forEachWithin(valid, options.concurrency, hasTime, async (tenant) => {
    started++;
    try {
      tally(report, await deps.provision(tenant, Math.min(options.deadline, clock.now() + options.perTenantBudgetMs)));
    } catch (error) {
      // A request the lifecycle refuses (nothing was written) is one bad entry, not a failed import.
      if (!(error instanceof ImmutableFieldError || error instanceof RequestedAtAheadError)) throw error;
      report.invalid++;
      deps.logger?.warn("backfill tenant refused", { tenantId: tenant.tenantId, field: error.field, rule: error.rule });
    }
  });
  report.notStarted = valid.length - started;
  return report;
}

async function redriveTenant(
  tenantId: string,
  hint: TenantOutcomes | undefined,
  dueBefore: string,
  options: BackfillOptions,
  deps: BackfillDependencies,
  clock: Clock,
  report: BackfillReport,
): Promise<void> {
  const deadline = () => Math.min(options.deadline, clock.now() + options.perTenantBudgetMs);
  try {
    // The page listed the tenant and its steps: often enough to run it without reading it.
    const fromListing = hint && deps.reconcileListed ? await deps.reconcileListed(hint, deadline(), { dueBefore }) : undefined;
    if (fromListing) {
      tally(report, fromListing);
      return;
    }
    const state = await deps.store.getTenant(tenantId);
    if (!state.tenant) {
      report.orphaned++;
      deps.logger?.error("unfinished steps without a tenant item: cannot re-drive", { tenantId });
      return;
    }
    tally(report, await deps.reconcile(state, deadline(), { dueBefore }));
  } catch (error) {
    // The tenant's own data: count it, say which, and go on with the others. Anything else (the
    // table or a provider failing the whole run) still fails the run.
    if (error instanceof MalformedOutcomeItemError) {
      report.malformed++;
      deps.logger?.error("tenant items cannot be read: not re-driven", { tenantId, pk: error.pk, sk: error.sk, error: error.message });
      return;
    }
    if (!(error instanceof ValidationError)) throw error;
    report.invalid++;
    deps.logger?.error("tenant re-drive refused as invalid input", { tenantId, issues: error.issues });
  }
}

function tally(report: BackfillReport, result: ProvisionResult): void {
  report.tenants++;
  if (result.succeeded) report.succeeded++;
  else if (result.retryable && waitingOnly(result)) report.notDue++;
  else if (result.retryable) report.retryable++;
  else report.permanent++;
}
