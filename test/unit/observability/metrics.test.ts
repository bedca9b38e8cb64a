/** The EMF documents the core's metrics sink writes: each carries its own dimensions only. */
import { describe, expect, it } from "vitest";
import { createProvisionMetrics } from "../../../src/observability/metrics.ts";

type Emf = { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } } & Record<string, unknown>;

/** The JSON lines `write` prints on stdout. */
function documents(write: () => void): Emf[] {
  const original = process.stdout.write;
  const chunks: string[] = [];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    write();
  } finally {
    process.stdout.write = original;
  }
  return chunks.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Emf);
}

const summary = (d: Emf) => {
  const [directive] = d._aws.CloudWatchMetrics;
  const dims = (directive?.Dimensions[0] ?? []).filter((name) => name !== "service");
  return { metric: directive?.Metrics[0]?.Name, dims: Object.fromEntries(dims.map((name) => [name, d[name]])), namespace: directive?.Namespace };
};

describe("createProvisionMetrics", () => {
  it("writes one document per metric, each with only its own dimensions, however many came before", () => {
    const { sink } = createProvisionMetrics();
    const docs = documents(() => {
      sink.stepFinished({ step: "im-group", provider: "tencent-im", status: "SUCCEEDED", durationMs: 41 });
      sink.stepFinished({ step: "sls-consumer-group", provider: "sls", status: "FAILED_RETRYABLE", errorCode: "InternalServerError", durationMs: 12 });
      sink.providerRetry("tencent-im", "10006");
      sink.credentialsRejected("sls", "SignatureNotMatch");
      sink.limiterFallback?.("tencent-im", "create_group");
      sink.stepFinished({ step: "im-group", provider: "tencent-im", status: "SUCCEEDED", durationMs: 7 });
      sink.stepFinished({ step: "sls-consumer-group", provider: "sls", status: "DELETED", durationMs: 9 });
    });
    expect(docs.map(summary)).toEqual(
      [
        { metric: "ProviderLatency", dims: { provider: "tencent-im" } },
        { metric: "Provisioned", dims: { step: "im-group" } },
        { metric: "ProviderLatency", dims: { provider: "sls" } },
        { metric: "StepFailed", dims: { provider: "sls", code: "InternalServerError" } },
        { metric: "ProviderRetry", dims: { provider: "tencent-im", code: "10006" } },
        { metric: "CredentialsRejected", dims: { provider: "sls", code: "SignatureNotMatch" } },
        { metric: "LimiterFallback", dims: { provider: "tencent-im", command: "create_group" } },
        { metric: "ProviderLatency", dims: { provider: "tencent-im" } },
        { metric: "Provisioned", dims: { step: "im-group" } },
        // An offboarding's removal is a success of its own, never a StepFailed.
        { metric: "ProviderLatency", dims: { provider: "sls" } },
        { metric: "Deprovisioned", dims: { step: "sls-consumer-group" } },
      ].map((d) => ({ ...d, namespace: "TenantProvisioner" })),
    );
    expect(docs[0]?.["ProviderLatency"]).toBe(41);
    expect(docs[7]?.["ProviderLatency"]).toBe(7);
    // The service dimension of every document (as Powertools' default dimension was).
    for (const d of docs) expect(d["service"]).toBe("tenant-provisioner");
  });

  it("writes nothing with POWERTOOLS_METRICS_DISABLED set to a true value (as Powertools read it)", () => {
    for (const value of ["true", "1", "yes", "on", " TRUE "]) {
      const { sink } = createProvisionMetrics("TenantProvisioner", { env: { POWERTOOLS_METRICS_DISABLED: value } });
      expect(documents(() => sink.providerRetry("sls", "X")), value).toEqual([]);
    }
    for (const value of ["false", "0", ""]) {
      const { sink } = createProvisionMetrics("TenantProvisioner", { env: { POWERTOOLS_METRICS_DISABLED: value } });
      expect(documents(() => sink.providerRetry("sls", "X")), value).toHaveLength(1);
    }
  });

  it("a metric the emitter refuses (a latency that is not a number) is a warning on stderr, never a throw into the core, and the other metrics of the step still go out", () => {
    const warnings: string[] = [];
    const lines: string[] = [];
    const { sink } = createProvisionMetrics("TenantProvisioner", { env: {}, output: { document: (line) => lines.push(line), warning: (text) => warnings.push(text) } });
    expect(() => sink.stepFinished({ step: "im-group", provider: "tencent-im", status: "SUCCEEDED", durationMs: Number.NaN })).not.toThrow();
    expect(warnings).toEqual(["metric ProviderLatency not written: metric ProviderLatency: a finite number"]);
    expect(lines.map((line) => (JSON.parse(line) as Emf)._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name)).toEqual(["Provisioned"]);
  });
});
