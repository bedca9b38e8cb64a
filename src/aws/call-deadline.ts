import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The deadline of the invocation an AWS call is made for. A Lambda process serves one invocation
 * at a time, but the local service and the tests run many at once in one process, so the deadline
 * travels with the invocation's async context rather than in a module variable: whatever an
 * invocation awaits (middlewares, the core, credential caches) sees its own deadline.
 */
const scope = new AsyncLocalStorage<{ deadline?: number; graceMs: number }>();

/**
 * Runs `fn` as one invocation: AWS calls it makes are bounded by the deadline set inside it with
 * {@link setAwsCallDeadline} (none until then).
 *
 * @example
 * ```ts
 * const reply = await withAwsCallScope(() => handler(event, context));
 * ```
 */
export function withAwsCallScope<T>(fn: () => T): T {
  return scope.run({ graceMs: 0 }, fn);
}

/**
 * Sets the current invocation's deadline (epoch ms) for AWS calls, and the grace beyond it: a call
 * in flight at the deadline (recording the outcome of work done in time) may run two thirds of the
 * grace longer; a call started after it (what follows work cut off, e.g. handing the rest to a
 * queue) until the whole grace has passed. A no-op outside {@link withAwsCallScope}.
 *
 * @example
 * ```ts
 * setAwsCallDeadline(Date.now() + context.getRemainingTimeInMillis() - 1_000, 500);
 * ```
 */
export function setAwsCallDeadline(deadline: number, graceMs = 0): void {
  const current = scope.getStore();
  if (current) Object.assign(current, { deadline, graceMs });
}

/**
 * When an AWS call starting at `now` must be over (epoch ms): two thirds of the grace after the
 * invocation's deadline for a call started before it, the whole grace after it for one started later.
 * Undefined outside an invocation.
 *
 * @example
 * ```ts
 * const cutoff = awsCallCutoff(Date.now()); // undefined outside an invocation
 * ```
 */
export function awsCallCutoff(now: number): number | undefined {
  const current = scope.getStore();
  if (current?.deadline === undefined) return undefined;
  return current.deadline + (now < current.deadline ? (current.graceMs * 2) / 3 : current.graceMs);
}
