/**
 * The scheduled backfill's defaults (handlers/backfill.ts), in one place so the benchmark reports
 * what it ran rather than a copy that goes stale.
 *
 * @example
 * ```ts
 * const pageSize = options.pageSize ?? BACKFILL_DEFAULTS.pageSize;
 * ```
 */
export const BACKFILL_DEFAULTS = {
  /** Tenants provisioned at once; the providers' rate limiters pace the calls. */
  concurrency: 32,
  /** Unfinished steps read per page (the store's largest page). */
  pageSize: 1000,
  /** Time one tenant may take; none is started with less than this left. */
  perTenantBudgetMs: 10_000,
} as const;
