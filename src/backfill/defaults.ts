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
  /**
   * Tenants provisioned at once; the providers' rate limiters pace the calls. The lanes must cover
   * a tenant's latency (three 20 ms provider calls, ~7 DynamoDB requests) at IM's pace with room
   * to spare, or IM slots pass with no lane waiting for them: at 32 lanes (1.9x the latency's
   * need at 195/s) 200-590 slots per 10,000 tenants passed with nobody waiting, at 48 about 35.
   */
  concurrency: 48,
  /**
   * Unfinished steps read per page. A page is parsed in one go while the lanes wait on their
   * rate-limit slots, and a slot woken later than its tolerance (5.1 ms at IM's highest pace,
   * 195/s) is budget lost: a 1,000-step page held the event loop 10-26 ms (about 10 µs per entry
   * warm, twice that cold or on a busy machine) and cost slots on every page; 250 stays within the
   * tolerance, for one more Query per 83 tenants.
   */
  pageSize: 250,
  /** Time one tenant may take; none is started with less than this left. */
  perTenantBudgetMs: 10_000,
} as const;
