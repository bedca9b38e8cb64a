import { withAwsCallScope } from "../../src/aws/call-deadline.ts";

/**
 * The same Lambda handler (middy's `.use` and friends included) with each invocation run in its
 * own AWS-call scope, so the deadline `invocationDeadline` sets bounds every AWS call that
 * invocation makes, from any middleware or the core, and no other invocation's.
 *
 * @example
 * ```ts
 * export const handler = inAwsCallScope(middy().use(invocationDeadline({ marginMs: 1_000 })).handler(fn));
 * ```
 */
export function inAwsCallScope<H extends (...args: never[]) => unknown>(handler: H): H {
  return new Proxy(handler, {
    apply: (target, thisArg, args) => withAwsCallScope(() => Reflect.apply(target, thisArg, args)),
  });
}
