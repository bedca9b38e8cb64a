import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { MiddlewareObj } from "@middy/core";

/** The part of a Powertools {@link Metrics} buffer this middleware uses. */
export type StoredMetrics = Pick<Metrics, "hasStoredMetrics" | "publishStoredMetrics">;

/**
 * Publishes the metrics stored in `metrics` during the invocation once the handler returns or
 * throws, and does nothing when none were stored.
 *
 * Powertools' `logMetrics` also publishes, but it logs the warning "No application metrics to
 * publish" whenever the buffer is empty, and here it always is: the service's metrics go out as
 * single-metric documents the moment they happen (src/observability/metrics.ts). So every
 * invocation of every function wrote one WARN line. This keeps the flush (for anything stored
 * later) without the noise.
 *
 * @example
 * ```ts
 * middy(handler).use(publishStoredMetrics(metrics));
 * ```
 */
export function publishStoredMetrics<TEvent, TResult, TErr, TContext>(metrics: StoredMetrics): MiddlewareObj<TEvent, TResult, TErr, TContext> {
  const publish = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { name: "publishStoredMetrics", after: publish, onError: publish };
}
