import { describe, expect, it } from "vitest";
import { capacityFrom, capacityTableLines, LAMBDA_MB_PER_VCPU, type WarmFigures } from "../../../bench/capacity.ts";

function warm(overrides: { cpuMs?: number; createGroup?: number } = {}): WarmFigures {
  return {
    tenants: 300,
    perTenant: { cpuMs: overrides.cpuMs ?? 9, wallMs: 30, ddbRequests: 6, providerRequests: 3 },
    firstTenantUsage: {
      dynamodb: {
        requests: 6,
        outcomeStoreRequests: 5,
        imLimiterRequests: 1,
        readRequests: 1,
        writeRequests: 5,
        byOperation: { "outcomeStore.Query": 1, "outcomeStore.PutItem": 3, "outcomeStore.UpdateItem": 1, "imLimiter.UpdateItem": 1 },
        readRequestUnits: 1,
        writeRequestUnits: 5,
        indexWriteRequestUnitsEstimated: 2,
      },
      imCallsByCommand: { account_import: 1, create_group: overrides.createGroup ?? 1 },
      secretsManagerCalls: 0,
      outcomeEvents: 1,
    },
  };
}
const deployed = { signupMemoryMb: 256, signupBatchSize: 10, signupMaxConcurrency: 5, imRatePerSecond: 190 };

describe("capacityFrom", () => {
  it("prices 10,000 tenants from the measured units and list prices", () => {
    const c = capacityFrom(warm(), deployed);
    // (5 table + 2 index) WRU × $0.625/M + 1 RRU × $0.125/M, per 10,000 tenants.
    expect(c.costPer10kTenantsUsd.dynamodb).toBeCloseTo(0.045, 6);
    // 9 ms on a full core at 256/1769 of a vCPU, 0.25 GB; plus 1,000 invocations (batches of 10).
    const seconds = 0.009 / (256 / LAMBDA_MB_PER_VCPU);
    expect(c.perFirstTimeTenant.lambda.seconds).toBeCloseTo(seconds, 4);
    expect(c.costPer10kTenantsUsd.lambda).toBeCloseTo(0.25 * seconds * 10_000 * 0.0000166667 + 1_000 * 0.2e-6, 6);
    // SendMessage + (Receive + DeleteBatch) / 10 = 1.2 requests; 2 custom events (signup + outcome).
    expect(c.costPer10kTenantsUsd.sqs).toBeCloseTo(12_000 * 0.4e-6, 8);
    expect(c.costPer10kTenantsUsd.eventBridge).toBeCloseTo(20_000 * 1e-6, 8);
    expect(c.costPer10kTenantsUsd.total).toBeCloseTo(
      c.costPer10kTenantsUsd.dynamodb + c.costPer10kTenantsUsd.lambda + c.costPer10kTenantsUsd.sqs + c.costPer10kTenantsUsd.eventBridge,
      4,
    );
  });

  it("names the lowest limit: CPU of the bounded signup fleet, or IM's per-command rate when calls per tenant grow", () => {
    const cpuBound = capacityFrom(warm(), deployed);
    expect(cpuBound.tenantsPerHour).toBe(Math.floor((5 * 3600) / (0.009 / (256 / LAMBDA_MB_PER_VCPU))));
    expect(cpuBound.boundBy).toMatch(/signup Lambda CPU/);
    const imBound = capacityFrom(warm({ cpuMs: 1, createGroup: 2 }), deployed);
    expect(imBound.tenantsPerHour).toBe((190 / 2) * 3600);
    expect(imBound.boundBy).toMatch(/Tencent IM 200\/s per command/);
    expect(imBound.slsProject.tenantsPerProject).toBe(6000);
  });

  it("renders README's table with the run it came from", () => {
    const lines = capacityTableLines(capacityFrom(warm(), deployed), "2026-11-30T17:00:00.000Z");
    expect(lines[0]).toContain("2026-11-30T17:00:00.000Z");
    expect(lines.find((l) => l.startsWith("| DynamoDB"))).toContain("60000 requests (10000 reads, 50000 writes; 10000 of them IM limiter leases)");
  });
});
