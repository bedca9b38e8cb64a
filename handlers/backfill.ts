import { randomUUID } from "node:crypto";
import middy from "@middy/core";
import { injectLambdaContext } from "./middleware/inject-lambda-context.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import type { ScheduledEvent } from "aws-lambda";
import { backfillTenants, runBackfill, type BackfillReport } from "../src/backfill/backfill.ts";
import { BACKFILL_DEFAULTS } from "../src/backfill/defaults.ts";
import type { FleetLimiterStats } from "../src/limits/fleet-limiter.ts";
import { storedTenantReader } from "../src/provisioning/stored-text.ts";
import { ValidationError } from "../src/errors.ts";
import type { CoreService, BackfillParts } from "../src/service.ts";
import { logger } from "./lib/runtime.ts";
import { runtimeBackfillService } from "./lib/runtime-service.ts";
import { deadlineOf, invocationDeadline, type DeadlineContext } from "./middleware/deadline.ts";

/** A direct invocation with tenants that signed up before the service existed. */
export interface ExplicitBackfillEvent {
  tenants: unknown[];
}

/**
 * What a run returns and logs: the walk's counts, and what the process's IM limiter did meanwhile
 * (slots leased and used, slots that passed unused, DynamoDB requests it sent): lapsed slots are
 * IM budget nobody used, e.g. lanes too few to be ready for every slot.
 */
export type BackfillRunReport = BackfillReport & { imLimiter: FleetLimiterStats };

/** Tunables of one run. */
export interface BackfillHandlerOptions {
  concurrency?: number;
  pageSize?: number;
  perTenantBudgetMs?: number;
  /**
   * Caps a run's budget below what Lambda gives it (less the 2 s margin): a shorter run saves its
   * place sooner. Lambda's remaining time stays the hard limit (middy's early timeout).
   */
  maxBudgetMs?: number;
}

/**
 * Scheduled backfill: re-drives unfinished steps through the sparse index within the run's time
 * and the providers' rate limits, leaving its place for the next run; or, invoked with
 * `{ tenants: [...] }`, provisions those tenants. Returns and logs counts per outcome.
 *
 * @example
 * ```ts
 * export const handler = createBackfillHandler(runtimeBackfillService());
 * ```
 */
export function createBackfillHandler(service: CoreService & BackfillParts, options: BackfillHandlerOptions = {}) {
  const concurrency = options.concurrency ?? BACKFILL_DEFAULTS.concurrency;
  const perTenantBudgetMs = options.perTenantBudgetMs ?? BACKFILL_DEFAULTS.perTenantBudgetMs;
  const lambda = middy<ScheduledEvent | ExplicitBackfillEvent, BackfillRunReport, Error, DeadlineContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(invocationDeadline({ marginMs: 2_000, maxBudgetMs: options.maxBudgetMs }))
    .handler(async (event, context) => {
      // One worker id per run of a tenant: a creation lease's owner runs steps as the only run that
      // can have touched them, so two runs must never share one. A list may name a tenant twice
      // and Lambda retries an async invocation with the same request id: both made duplicates.
      const workerId = (tenantId: string | undefined) => `${context.awsRequestId}/${tenantId ?? "unknown"}/${randomUUID()}`;
      const provision = (tenant: Parameters<CoreService["provision"]>[0], deadline: number) =>
        service.provision(tenant, { deadline, workerId: workerId(tenant.tenantId) });
      const reconcile = (state: Parameters<CoreService["reconcile"]>[0], deadline: number, walk: { dueBefore: string }) =>
        service.reconcile(state, { deadline, workerId: workerId(state.tenant?.tenantId), ...walk });
      const reconcileListed = (listed: Parameters<CoreService["reconcileListed"]>[0], deadline: number, walk: { dueBefore: string }) =>
        service.reconcileListed(listed, { deadline, workerId: workerId(listed.tenant?.tenantId), ...walk });
      // An explicit invocation whose `tenants` is not a list is a mistake, not a scheduled run.
      if ("tenants" in event && !Array.isArray(event.tenants)) {
        throw new ValidationError([{ field: "tenants", rule: "must be an array of tenant requests" }], "backfill invocation");
      }
      const limiterBefore = service.imLimiter.stats();
      const walk =
        "tenants" in event
          ? await backfillTenants(event.tenants, { deadline: deadlineOf(context), concurrency, perTenantBudgetMs }, { provision, logger, readStored: storedTenantReader(service.store) })
          : await runBackfill(
              { deadline: deadlineOf(context), concurrency, perTenantBudgetMs, pageSize: options.pageSize ?? BACKFILL_DEFAULTS.pageSize },
              { store: service.store, positions: service.positions, reconcile, reconcileListed, logger },
            );
      const imLimiter = service.imLimiter.stats();
      for (const key of Object.keys(imLimiter) as Array<keyof FleetLimiterStats>) imLimiter[key] -= limiterBefore[key];
      const report = { ...walk, imLimiter };
      logger.info("backfill finished", { report });
      return report;
    });
  return inAwsCallScope(lambda);
}

export const handler = createBackfillHandler(runtimeBackfillService());
