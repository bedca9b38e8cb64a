import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { setAwsCallDeadline } from "../../src/aws/call-deadline.ts";

/**
 * A Lambda context that knows when the handler must be done. Optional, so a plain Lambda
 * `Context` still fits the handler's signature; read it with {@link deadlineOf}.
 */
export interface DeadlineContext extends Context {
  /** Absolute epoch-ms: the invocation's end minus the margin (or sooner, when capped). */
  deadline?: number;
  /** Absolute epoch-ms: the invocation's own end minus the margin, whatever the cap. */
  invocationEnd?: number;
  /** The grace AWS calls get past `deadline` (three quarters of the margin). */
  deadlineGraceMs?: number;
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
 * time) after half the margin, one started after it (what follows work cut off) after three
 * quarters; the last quarter is the reply's. A hand-off that must not be cut short (the webhook
 * enqueueing the tenant) calls {@link allowAwsCallsUntilInvocationEnd} first.
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
      request.context.invocationEnd = now() + Math.max(0, remaining);
      request.context.deadlineGraceMs = (options.marginMs * 3) / 4;
      setAwsCallDeadline(request.context.deadline, request.context.deadlineGraceMs);
    },
  };
}

/**
 * Lets the invocation's AWS calls from now on run until its own end less the margin, past a
 * capped budget. For a hand-off that must not be lost once the budget is spent (the webhook
 * enqueueing the tenant): the cap limits the work done in the request, not the hand-off, and
 * cutting the hand-off short turns a slow queue under load into a 5xx for a request that was fine.
 *
 * @example
 * ```ts
 * allowAwsCallsUntilInvocationEnd(context);
 * await queue.enqueue(tenant);
 * ```
 */
export function allowAwsCallsUntilInvocationEnd(context: DeadlineContext): void {
  if (context.invocationEnd === undefined) throw new Error("invocationDeadline middleware did not run");
  setAwsCallDeadline(context.invocationEnd);
}

/**
 * Runs `fn` with the invocation's AWS calls allowed until its own end (less the margin), then
 * puts the capped budget back for what follows. For a write the request cannot go on without and
 * that the cap (meant for the work done inline) must not cut short: the webhook's replay guard.
 * Under load (the chaos run at load 20) a guard write cut at the 3 s cap made 18% of the replies
 * 5xx; waited for, the request goes on with whatever budget is left (none: straight to the queue).
 *
 * @example
 * ```ts
 * const delivery = await withAwsCallsUntilInvocationEnd(context, () => guard.remember(id, body));
 * ```
 */
export async function withAwsCallsUntilInvocationEnd<T>(context: DeadlineContext, fn: () => Promise<T>): Promise<T> {
  if (context.invocationEnd === undefined) throw new Error("invocationDeadline middleware did not run");
  return withAwsCallsUntil(context, context.invocationEnd, fn);
}

/**
 * Runs `fn` with the invocation's AWS calls allowed for `windowMs` from now (never past the
 * invocation's own end less the margin), then puts the capped budget back. For a short write
 * after the budget is spent that is worth trying but not worth waiting long for: the webhook
 * releasing a cut request's creation lease (against a hung DynamoDB it gives up, and the lease
 * lapses by itself), before the hand-off that must not be lost.
 *
 * @example
 * ```ts
 * await withAwsCallsFor(context, 1_000, () => store.releaseCreationLease(tenantId, context.awsRequestId));
 * ```
 */
export async function withAwsCallsFor<T>(context: DeadlineContext, windowMs: number, fn: () => Promise<T>, now: () => number = Date.now): Promise<T> {
  if (context.invocationEnd === undefined) throw new Error("invocationDeadline middleware did not run");
  return withAwsCallsUntil(context, Math.min(context.invocationEnd, now() + windowMs), fn);
}

async function withAwsCallsUntil<T>(context: DeadlineContext, until: number, fn: () => Promise<T>): Promise<T> {
  if (context.deadline === undefined) throw new Error("invocationDeadline middleware did not run");
  setAwsCallDeadline(until);
  try {
    return await fn();
  } finally {
    setAwsCallDeadline(context.deadline, context.deadlineGraceMs ?? 0);
  }
}
