import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import type { InvocationContext } from "../../src/observability/logger.ts";

/** The part of the service's {@link import("../../src/observability/logger.ts").Logger} this middleware drives. */
export interface ContextLogger {
  addContext(context: InvocationContext): void;
  resetKeys(): void;
}

/**
 * Puts the invocation's context on every log line the invocation writes (`function_request_id`,
 * `function_name`, `function_arn`, `function_memory_size`, `cold_start` true for the process's
 * first invocation only) and, with `resetKeys`, drops the keys the invocation appended once it
 * returns or throws, so one tenant's keys never reach the next invocation's lines. What Powertools'
 * `injectLambdaContext` middleware did for the service (it used no other option of it).
 *
 * @example
 * ```ts
 * middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
 * ```
 */
export function injectLambdaContext<TEvent, TResult, TErr, TContext extends Context>(
  logger: ContextLogger,
  options: { resetKeys?: boolean } = {},
): MiddlewareObj<TEvent, TResult, TErr, TContext> {
  const reset = (): void => {
    if (options.resetKeys) logger.resetKeys();
  };
  return { name: "injectLambdaContext", before: (request) => logger.addContext(request.context), after: reset, onError: reset };
}
