/**
 * What the service's Logger does beyond Powertools' output (held in powertools-compat.test.ts):
 * where Powertools 2.35.0 threw from a log call, a log call here never fails its caller.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Logger } from "../../../src/observability/logger.ts";

afterEach(() => vi.restoreAllMocks());

describe("Logger", () => {
  it("logs an error whose chain of causes comes back to itself, ending the chain there (Powertools overflowed the stack)", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    new Logger({ serviceName: "svc", env: {} }).error("cycle", { error: a });
    const error = (JSON.parse(lines[0] ?? "{}") as { error: { message: string; cause: { message: string; cause?: unknown } } }).error;
    expect(error.message).toBe("a");
    expect(error.cause.message).toBe("b");
    expect(error.cause.cause).toBeUndefined();
  });

  it("a stream that throws on write does not fail the log call", () => {
    vi.spyOn(process.stdout, "write").mockImplementation(() => {
      throw new Error("EPIPE");
    });
    expect(() => new Logger({ serviceName: "svc", env: {} }).info("lost")).not.toThrow();
  });
});
