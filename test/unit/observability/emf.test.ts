/**
 * The EMF emitter's rules: a metric CloudWatch would refuse (or drop) is a typed error before
 * anything is written, a blank dimension is left out with a warning (the metric still counts),
 * and a disabled emitter writes nothing. The documents' shape is held to Powertools' own output
 * in powertools-compat.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createEmfEmitter, type EmfOutput, MAX_DIMENSIONS, type MetricUnit, MetricValidationError } from "../../../src/observability/emf.ts";

function recording(): EmfOutput & { documents: Array<Record<string, unknown>>; warnings: string[] } {
  const documents: Array<Record<string, unknown>> = [];
  const warnings: string[] = [];
  return { documents, warnings, document: (line) => void documents.push(JSON.parse(line) as Record<string, unknown>), warning: (text) => void warnings.push(text) };
}

const emitter = (output: EmfOutput, disabled = false) => createEmfEmitter({ namespace: "Ns", defaultDimensions: { service: "svc" }, disabled, output });

function refusal(emit: () => void): MetricValidationError {
  try {
    emit();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricValidationError);
    return error as MetricValidationError;
  }
  throw new Error("expected a MetricValidationError");
}

describe("createEmfEmitter", () => {
  it("writes one document: timestamp, namespace, the default dimensions first, the value under the metric's name", () => {
    const output = recording();
    const before = Date.now();
    emitter(output).emit("Calls", "Count", 2, { provider: "sls", code: "X" });
    expect(output.documents).toEqual([
      {
        _aws: { Timestamp: expect.any(Number), CloudWatchMetrics: [{ Namespace: "Ns", Dimensions: [["service", "provider", "code"]], Metrics: [{ Name: "Calls", Unit: "Count" }] }] },
        service: "svc",
        provider: "sls",
        code: "X",
        Calls: 2,
      },
    ]);
    const stamp = (output.documents[0]!["_aws"] as { Timestamp: number }).Timestamp;
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });

  it("refuses, typed and before writing, what CloudWatch would not take", () => {
    const output = recording();
    const emf = emitter(output);
    expect(refusal(() => emf.emit("", "Count", 1)).field).toBe("name");
    expect(refusal(() => emf.emit("x".repeat(256), "Count", 1)).field).toBe("name");
    expect(refusal(() => emf.emit("M", "Counts" as MetricUnit, 1)).field).toBe("unit");
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, "1" as unknown as number]) {
      expect(refusal(() => emf.emit("M", "Count", value)).field).toBe("value");
    }
    const tooMany = Object.fromEntries(Array.from({ length: MAX_DIMENSIONS }, (_, i) => [`d${i}`, "v"]));
    expect(refusal(() => emf.emit("M", "Count", 1, tooMany)).field).toBe("dimensions");
    expect(refusal(() => emf.emit("provider", "Count", 1, { provider: "sls" })).field).toBe("dimensions");
    expect(refusal(() => emf.emit("M", "Count", 1, { _aws: "x" })).field).toBe("dimensions");
    expect(refusal(() => createEmfEmitter({ namespace: " ", defaultDimensions: {} })).field).toBe("namespace");
    expect(output.documents).toEqual([]);
  });

  it("takes CloudWatch's limits themselves: 30 dimensions, a 255-character name", () => {
    const output = recording();
    const thirty = Object.fromEntries(Array.from({ length: MAX_DIMENSIONS - 1 }, (_, i) => [`d${i}`, "v"]));
    emitter(output).emit("n".repeat(255), "Count", 0, thirty);
    const [directive] = (output.documents[0]!["_aws"] as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics;
    expect(directive?.Dimensions[0]).toHaveLength(30);
  });

  it("leaves a blank dimension out with a warning, and still counts the metric", () => {
    const output = recording();
    emitter(output).emit("StepFailed", "Count", 1, { provider: "sls", code: "" });
    expect(output.warnings).toEqual(["The dimension code doesn't meet the requirements and won't be added. Ensure the dimension name and value are non empty strings"]);
    expect(output.documents[0]).toMatchObject({ service: "svc", provider: "sls", StepFailed: 1 });
    expect(output.documents[0]).not.toHaveProperty("code");
  });

  it("disabled, validates but writes nothing", () => {
    const output = recording();
    const emf = emitter(output, true);
    emf.emit("M", "Count", 1);
    expect(refusal(() => emf.emit("M", "Count", Number.NaN)).field).toBe("value");
    expect(output.documents).toEqual([]);
  });
});
