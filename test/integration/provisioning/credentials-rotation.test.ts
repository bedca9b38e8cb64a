/**
 * Credential-shaped failures end to end: a rotation that lands within the secret cache's reuse
 * window, a key rotated at the provider before Secrets Manager (FAILED_RETRYABLE with a long
 * backoff and a metric, then SUCCEEDED without an operator), a wrong IM key fixed and re-driven,
 * and a clock more than 15 minutes off (re-signed on the server's clock).
 */
import { describe, expect, it } from "vitest";
import type { ProvisionMetrics } from "../../../src/observability/metrics.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;

class RecordingMetrics implements ProvisionMetrics {
  readonly rejected: string[] = [];
  stepFinished(): void {}
  providerRetry(): void {}
  credentialsRejected(provider: string, code: string): void {
    this.rejected.push(`${provider}:${code}`);
  }
}

const putSls = (value: { accessKeyId: string; accessKeySecret: string }) => fx.stack.secrets.putSecret(LOCAL.secrets.sls, JSON.stringify(value));
const putIm = (value: { sdkAppId: number; secretKey: string; adminIdentifier: string }) => fx.stack.secrets.putSecret(LOCAL.secrets.im, JSON.stringify(value));

describe("credential rotation", () => {
  it("a rotation that lands within the cache's 1 s reuse window is picked up in the same run", async () => {
    const good = fx.stack.credentials.sls;
    putSls({ accessKeyId: "LTAIstale0000000", accessKeySecret: "stale-secret" });
    try {
      const service = fx.service();
      await service.credentials.sls.get(); // the stale key is cached now
      putSls(good); // the rotation completes a moment later
      const result = await service.provision(parseTenantOnboarding(sampleTenant()), { deadline: soon(), workerId: "w1" });
      expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    } finally {
      putSls(good);
    }
  });

  it("a key rotated at the provider before Secrets Manager: FAILED_RETRYABLE with a long backoff and a metric, then SUCCEEDED without an operator", async () => {
    const good = fx.stack.credentials.sls;
    const metrics = new RecordingMetrics();
    const clock = new ShiftedClock();
    putSls({ accessKeyId: "LTAIrotatedaway0", accessKeySecret: "old-secret" });
    const service = fx.service({ metrics, clock });
    const tenant = parseTenantOnboarding(sampleTenant());
    try {
      const first = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
      const sls = first.steps.find((s) => s.step === "sls-consumer-group");
      expect(sls).toMatchObject({ status: "FAILED_RETRYABLE", error: { code: "InvalidAccessKeyId", errorClass: "credentials" } });
      expect(first.steps.find((s) => s.step === "im-group")?.status).toBe("SUCCEEDED");
      expect(metrics.rejected).toEqual(["sls:InvalidAccessKeyId"]);
      const record = (await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "sls-consumer-group");
      expect(Date.parse(record?.nextAttemptAt ?? "") - clock.now()).toBeGreaterThanOrEqual(299_000);
    } finally {
      putSls(good); // Secrets Manager catches up
    }
    // The backfill, once the backoff has passed (and the cached secret aged out).
    clock.advance(6 * 60_000);
    const due = new Date(clock.now()).toISOString();
    const later = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: soon(), workerId: "backfill", dueBefore: due });
    expect(later.succeeded).toBe(true);
    expect(later.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED", action: "ran", providerOutcome: "created" });
  });

  it("a wrong IM key (70009): FAILED_RETRYABLE, not permanent; the secret fixed, `retry` runs it now with exactly one create", async () => {
    const good = fx.stack.credentials.im;
    putIm({ ...good, secretKey: "0".repeat(64) });
    const metrics = new RecordingMetrics();
    const service = fx.service({ metrics });
    const tenant = parseTenantOnboarding(sampleTenant());
    try {
      const first = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
      expect(first.steps.find((s) => s.step === "im-group")).toMatchObject({ status: "FAILED_RETRYABLE", error: { code: "70009", errorClass: "credentials" } });
      expect(metrics.rejected).toEqual(["tencent-im:70009"]);
    } finally {
      putIm(good);
    }
    const creates = fx.stack.im.state().counters.createGroupApplied;
    // Nothing finished failed, so no new generation; the run re-drives the retryable step now.
    const { declared, result } = await service.retry({ tenantId: tenant.tenantId }, { deadline: soon(), workerId: "operator" });
    expect(declared.change).toBe("unchanged");
    expect(result.succeeded).toBe(true);
    expect(fx.stack.im.state().counters.createGroupApplied - creates).toBe(1);
  });

  it("a clock more than 15 minutes off: SLS answers RequestTimeExpired once, the client re-signs on the server's clock", async () => {
    const clock = new ShiftedClock(-20 * 60_000);
    const service = fx.service({ clock });
    const before = fx.stack.sls.state().rejections["RequestTimeExpired"] ?? 0;
    // The request was made on our (skewed) clock: only SLS's clock differs.
    const request = sampleTenant({ requestedAt: new Date(clock.now()).toISOString() });
    const result = await service.provision(parseTenantOnboarding(request), { deadline: soon(), workerId: "w1" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")).toMatchObject({ status: "SUCCEEDED" });
    expect((fx.stack.sls.state().rejections["RequestTimeExpired"] ?? 0) - before).toBe(1);
  });
});
