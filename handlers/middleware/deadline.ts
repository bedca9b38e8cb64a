import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { setAwsCallDeadline } from "../../src/aws/call-deadline.ts";

/**
 * A Lambda context that knows when the handler must be done. Optional, so a plain Lambda
 * `Context` still fits the handler's signature; read it with {@link deadlineOf}.
 */
export interface DeadlineContext extends Context {
  /** Absolute epoch-ms: the invocation's end minus the margin. */
  deadline?: number;
}

/**
 * The deadline {@link invocationDeadline} set.
 *
 * @example
 * ```ts
 * await service.provision(tenant, deadlineOf(context), context.awsRequestId);
 * ```
 */
export function deadlineOf(context: DeadlineContext): number {
  if (context.deadline === undefined) throw new Error("invocationDeadline middleware did not run");
  return context.deadline;
}

/**
 * Sets `context.deadline` from the time Lambda gives the invocation, less `marginMs` kept to
 * shape and return the reply. Optionally capped (`maxBudgetMs`), e.g. for an HTTP request that
 * should answer quickly and hand the rest to the queue.
 *
 * AWS calls of the invocation (run in `inAwsCallScope`) are cut off soon after the deadline, so a
 * call that hangs cannot outlive the budget: one in flight at the deadline (recording work done in
 * time) after half the margin, one started after it (what follows work cut off, e.g. the webhook
 * handing the tenant to the signup queue) after three quarters; the last quarter is the reply's.
 *
 * @example
 * ```ts
 * middy(handler).use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: 3_000 }));
 * ```
 */
export function invocationDeadline(options: { marginMs: number; maxBudgetMs?: number; now?: () => number }): MiddlewareObj<unknown, unknown, Error, DeadlineContext> {
  const now = options.now ?? Date.now;
  return {
    name: "invocationDeadline",
    before: (request) => {
      const remaining = request.context.getRemainingTimeInMillis() - options.marginMs;
      const budget = options.maxBudgetMs === undefined ? remaining : Math.min(remaining, options.maxBudgetMs);
      request.context.deadline = now() + Math.max(0, budget);
      setAwsCallDeadline(request.context.deadline, (options.marginMs * 3) / 4);
    },
  };
}
