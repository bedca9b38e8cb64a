import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The deadline of the invocation an AWS call is made for. A Lambda process serves one invocation
 * at a time, but the local service and the tests run many at once in one process, so the deadline
 * travels with the invocation's async context rather than in a module variable: whatever an
 * invocation awaits (middlewares, the core, credential caches) sees its own deadline.
 */
const scope = new AsyncLocalStorage<{ deadline?: number }>();

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
  return scope.run({}, fn);
}

/**
 * Sets the current invocation's deadline (epoch ms) for AWS calls; a no-op outside
 * {@link withAwsCallScope}.
 *
 * @example
 * ```ts
 * setAwsCallDeadline(Date.now() + context.getRemainingTimeInMillis() - 500);
 * ```
 */
export function setAwsCallDeadline(deadline: number): void {
  const current = scope.getStore();
  if (current) current.deadline = deadline;
}

/**
 * The current invocation's deadline for AWS calls (epoch ms), if one was set.
 *
 * @example
 * ```ts
 * const deadline = awsCallDeadline(); // undefined outside an invocation
 * ```
 */
export function awsCallDeadline(): number | undefined {
  return scope.getStore()?.deadline;
}
