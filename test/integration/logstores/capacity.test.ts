
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { forEachWithin } from "../../../src/concurrency/for-each-within.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const LOGSTORES = 40;
const TENANTS = 1_000;
const fx = useLocalStack({ slsLogstoreCount: LOGSTORES });

/**
 * The service's DynamoDB client with per-request timeouts that are hang caps, not the 5 s of
 * src/aws/client-options.ts: 64 provisions at once queue on the one in-process dynalite, and on
 * the loaded 2-core machine a request waited over 5 s three times in a row, so provision threw
 * (an SQS redelivery in production). This test is about capacity under concurrency, not latency.
 */
function patientDocumentClient(): DynamoDBDocumentClient {
  return new DynamoDBDocumentClient({ requestTimeoutMs: 60_000 });
}

describe("1,000 tenants over 40 logstores of 30", () => {
  it("end SUCCEEDED with none over capacity, and the registry counts what exists", { timeout: 240_000 }, async () => {
    const services = Array.from({ length: 4 }, () => fx.service({ documentClient: patientDocumentClient(), steps: (builtIn) => builtIn.filter((s) => s.name === "sls-consumer-group") }));
    const byHand = [0, 7, 19].map((i) => `${LOCAL.slsLogstorePrefix}${i}`);
    for (const [i, logstore] of byHand.entries()) {
      for (let g = 0; g < 10 + i * 5; g++) await services[0]!.slsClientFor(logstore).createConsumerGroup({ name: `by-hand-${i}-${g}`, timeout: 60, order: false }, { deadline: Date.now() + 10_000 });
    }
    const tenants = Array.from({ length: TENANTS }, () => parseTenantOnboarding(sampleTenant()));
    const outcomes = new Map<string, string | undefined>();
    await Promise.all(
      services.map((service, s) =>
        forEachWithin(tenants.filter((_, i) => i % services.length === s), 16, () => true, async (tenant) => {
          const result = await service.provision(tenant, { deadline: Date.now() + 60_000, workerId: `w${s}` });
          const step = result.steps[0];
          outcomes.set(tenant.tenantId, step?.status === "SUCCEEDED" ? step.resource["logstore"] : `${step?.status} ${step?.error?.code}`);
        }),
      ),
    );

    const groups = fx.stack.sls.state().groups[LOCAL.slsProject] ?? {};
    const registry = await services[1]!.logstores.list({ fresh: true });
    expect(registry).toHaveLength(LOGSTORES);
    const failed = [...outcomes].filter(([, o]) => !o?.startsWith(LOCAL.slsLogstorePrefix));
    expect(failed).toEqual([]);
    expect(outcomes.size).toBe(TENANTS);
    for (const entry of registry) {
      const inSls = groups[entry.name] ?? [];
      const ours = inSls.filter((g) => g.name.startsWith("tenant-"));
      expect(inSls.length, entry.name).toBeLessThanOrEqual(30);
      expect(entry.assigned, entry.name).toBeLessThanOrEqual(entry.capacity);
      // Exactly the tenants' groups that exist there (hand-made ones are not the registry's).
      expect(entry.assigned, entry.name).toBe(ours.length);
      // Every recorded placement is where the group is.
      expect(ours.map((g) => g.name.slice("tenant-".length)).sort(), entry.name).toEqual([...outcomes].filter(([, l]) => l === entry.name).map(([t]) => t).sort());
    }
    expect(registry.reduce((n, e) => n + e.assigned, 0)).toBe(TENANTS);
    expect(Object.values(groups).reduce((n, g) => n + g.length, 0)).toBe(TENANTS + 10 + 15 + 20);
    // The logstores SLS refused are marked full; 200 slots were free, so at most those three are.
    const full = registry.filter((e) => e.full).map((e) => e.name);
    for (const name of full) expect(byHand).toContain(name);
  });
});
