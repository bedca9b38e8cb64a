import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ProviderName } from "../errors.ts";
import type { StepName, StepStatus } from "../outcomes/types.ts";

/** What the core reports, independent of where it goes (CloudWatch EMF here). */
export interface ProvisionMetrics {
  /** One step of one run ended. */
  stepFinished(info: { step: StepName; provider: ProviderName; status: StepStatus; errorCode?: string | undefined; durationMs: number }): void;
  /** A provider call was retried in-process. */
  providerRetry(provider: ProviderName, code: string): void;
  /**
   * A provider kept rejecting our credentials after a fresh read of the secret: a key rotation is
   * in progress (or went wrong). The step retries later; alarm on this metric.
   */
  credentialsRejected(provider: ProviderName, code: string): void;
  /** A fleet rate limiter lost the table and paces this process locally (src/limits). */
  limiterFallback?(provider: string, command: string): void;
}

/**
 * CloudWatch EMF metrics through Powertools: `Provisioned` and `Deprovisioned` (by step),
 * `StepFailed` (by provider and code),
 * `ProviderRetry`, `ProviderLatency` (per provider), `CredentialsRejected` (per provider and
 * code: a rotation in progress) and `LimiterFallback` (per provider and command), in namespace
 * `TenantProvisioner`.
 *
 * @example
 * ```ts
 * const { metrics, sink } = createProvisionMetrics();
 * sink.providerRetry("sls", "InternalServerError");
 * metrics.publishStoredMetrics();
 * ```
 */
export function createProvisionMetrics(namespace = "TenantProvisioner"): { metrics: Metrics; sink: ProvisionMetrics } {
  const metrics = new Metrics({ namespace, serviceName: "tenant-provisioner" });
  // Metrics with their own dimensions go out as single-metric documents so dimensions never leak
  // into the other metrics of the same invocation. One single-metric instance serves them all:
  // each addMetric publishes at once and clears its dimensions, and nothing is awaited between
  // adding the dimensions and the metric. A new instance per metric (Powertools' singleMetric()
  // builds a whole Metrics) was ~4% of the backfill's CPU, two per step.
  let single: Metrics | undefined;
  const singleMetric = (): Metrics => (single ??= metrics.singleMetric());
  const sink: ProvisionMetrics = {
    stepFinished({ step, provider, status, errorCode, durationMs }) {
      const latency = singleMetric();
      latency.addDimension("provider", provider);
      latency.addMetric("ProviderLatency", MetricUnit.Milliseconds, durationMs);
      if (status === "SUCCEEDED") {
        const ok = singleMetric();
        ok.addDimension("step", step);
        ok.addMetric("Provisioned", MetricUnit.Count, 1);
      } else if (status === "DELETED") {
        // A removal that succeeded: counted as StepFailed, every offboarding set off failure alarms.
        const removed = singleMetric();
        removed.addDimension("step", step);
        removed.addMetric("Deprovisioned", MetricUnit.Count, 1);
      } else {
        const failed = singleMetric();
        failed.addDimensions({ provider, code: errorCode ?? status });
        failed.addMetric("StepFailed", MetricUnit.Count, 1);
      }
    },
    providerRetry(provider, code) {
      const retry = singleMetric();
      retry.addDimensions({ provider, code });
      retry.addMetric("ProviderRetry", MetricUnit.Count, 1);
    },
    credentialsRejected(provider, code) {
      const rejected = singleMetric();
      rejected.addDimensions({ provider, code });
      rejected.addMetric("CredentialsRejected", MetricUnit.Count, 1);
    },
    limiterFallback(provider, command) {
      const fallback = singleMetric();
      fallback.addDimensions({ provider, command });
      fallback.addMetric("LimiterFallback", MetricUnit.Count, 1);
    },
  };
  return { metrics, sink };
}
