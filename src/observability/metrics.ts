import { createEmfEmitter, type EmfOutput, type MetricUnit, processOutput } from "./emf.ts";
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

/** `POWERTOOLS_METRICS_DISABLED` as Powertools read it (1, y, yes, t, true, on): no document is written. */
function metricsDisabled(env: NodeJS.ProcessEnv): boolean {
  return ["1", "y", "yes", "t", "true", "on"].includes(env["POWERTOOLS_METRICS_DISABLED"]?.trim().toLowerCase() ?? "");
}

/**
 * CloudWatch EMF metrics (./emf.ts), one single-metric document the moment each happens, so a
 * metric's dimensions never reach another: `Provisioned` and `Deprovisioned` (by step),
 * `StepFailed` (by provider and code), `ProviderRetry`, `ProviderLatency` (per provider),
 * `CredentialsRejected` (per provider and code: a rotation in progress) and `LimiterFallback`
 * (per provider and command), in namespace `TenantProvisioner`, each with the dimension
 * `service=tenant-provisioner`. Nothing is buffered, so nothing needs publishing at the end of an
 * invocation.
 *
 * @example
 * ```ts
 * const { sink } = createProvisionMetrics();
 * sink.providerRetry("sls", "InternalServerError");
 * ```
 */
export function createProvisionMetrics(namespace = "TenantProvisioner", options: { env?: NodeJS.ProcessEnv; output?: EmfOutput } = {}): { sink: ProvisionMetrics } {
  const emf = createEmfEmitter({
    namespace,
    defaultDimensions: { service: "tenant-provisioner" },
    disabled: metricsDisabled(options.env ?? process.env),
    ...(options.output ? { output: options.output } : {}),
  });
  const { warning } = options.output ?? processOutput;
  // The core calls the sink between a provider's answer and the outcome's record: a metric the
  // emitter refuses (a NaN latency from a clock gone wrong) is a warning, never a lost outcome.
  const emit = (name: string, unit: MetricUnit, value: number, dimensions: Record<string, string>): void => {
    try {
      emf.emit(name, unit, value, dimensions);
    } catch (error) {
      warning(`metric ${name} not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const sink: ProvisionMetrics = {
    stepFinished({ step, provider, status, errorCode, durationMs }) {
      emit("ProviderLatency", "Milliseconds", durationMs, { provider });
      if (status === "SUCCEEDED") emit("Provisioned", "Count", 1, { step });
      // A removal that succeeded: counted as StepFailed, every offboarding set off failure alarms.
      else if (status === "DELETED") emit("Deprovisioned", "Count", 1, { step });
      else emit("StepFailed", "Count", 1, { provider, code: errorCode ?? status });
    },
    providerRetry(provider, code) {
      emit("ProviderRetry", "Count", 1, { provider, code });
    },
    credentialsRejected(provider, code) {
      emit("CredentialsRejected", "Count", 1, { provider, code });
    },
    limiterFallback(provider, command) {
      emit("LimiterFallback", "Count", 1, { provider, command });
    },
  };
  return { sink };
}
