/**
 * The handlers' one import of the logger's per-invocation middleware, so the implementation
 * behind it can change without touching the five handlers (Powertools' for now).
 *
 * @example
 * ```ts
 * middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
 * ```
 */
export { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
