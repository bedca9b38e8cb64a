/**
 * publishStoredMetrics on a real Powertools Metrics buffer, its output captured: what was stored is
 * published once after the handler (also when it throws), and an invocation that stored nothing
 * writes nothing (Powertools' logMetrics wrote a "No application metrics" warning then, on every
 * invocation of this service).
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publishStoredMetrics } from "../../../handlers/middleware/publish-stored-metrics.ts";

/**
 * A Metrics buffer whose every line (EMF documents and warnings alike) lands in `lines`: with
 * POWERTOOLS_DEV set, Powertools writes through the global console, watched here.
 */
function capturedMetrics(): { metrics: Metrics; lines: string[] } {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(record);
  vi.stubEnv("POWERTOOLS_DEV", "true");
  // Dev mode turns publishing off unless it is turned on explicitly.
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  const metrics = new Metrics({ namespace: "Test", serviceName: "svc" });
  return { metrics, lines };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("publishStoredMetrics", () => {
  it("writes nothing for an invocation that stored no metric", async () => {
    const { metrics, lines } = capturedMetrics();
    const handler = middy(async () => "ok").use(publishStoredMetrics(metrics));
    await expect(handler({}, {} as never)).resolves.toBe("ok");
    expect(lines).toEqual([]);
  });

  it("publishes what the handler stored, once, after it returns", async () => {
    const { metrics, lines } = capturedMetrics();
    const handler = middy(async () => {
      metrics.addMetric("Provisioned", MetricUnit.Count, 2);
      return "ok";
    }).use(publishStoredMetrics(metrics));
    await handler({}, {} as never);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ Provisioned: 2, service: "svc" });
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it("publishes what was stored before the handler threw, and the error goes on", async () => {
    const { metrics, lines } = capturedMetrics();
    const handler = middy(async () => {
      metrics.addMetric("StepFailed", MetricUnit.Count, 1);
      throw new Error("boom");
    }).use(publishStoredMetrics(metrics));
    await expect(handler({}, {} as never)).rejects.toThrow("boom");
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([expect.objectContaining({ StepFailed: 1 })]);
  });
});
