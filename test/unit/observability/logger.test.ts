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

  describe("attributes that cannot be read or serialised: the call returns and the line goes out without them, saying why", () => {
    const deep = (): Record<string, unknown> => {
      const root: Record<string, unknown> = {};
      let at = root;
      for (let i = 0; i < 200_000; i++) at = at["n"] = {} as Record<string, unknown>;
      return root;
    };
    const cases: Array<[string, () => Record<string, unknown>, string]> = [
      ["a getter that throws", () => ({ bad: Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new TypeError("secret-value"); } }) }), "TypeError"],
      ["a toJSON that throws", () => ({ bad: { toJSON: () => { throw new RangeError("secret-value"); } } }), "RangeError"],
      ["a Proxy whose keys cannot be listed", () => ({ bad: new Proxy({}, { ownKeys: () => { throw new TypeError("secret-value"); } }) }), "TypeError"],
      ["nesting deeper than the stack", deep, "RangeError"],
    ];
    it.each(cases)("%s", (_name, attributes, errorName) => {
      const lines: string[] = [];
      vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
      const logger = new Logger({ serviceName: "svc", env: {} });
      logger.addContext({ invokedFunctionArn: "arn", memoryLimitInMB: "256", functionName: "f", awsRequestId: "req-1" });
      expect(() => logger.info("step finished", attributes())).not.toThrow();
      expect(lines).toHaveLength(1);
      expect(lines[0]?.endsWith("\n")).toBe(true);
      const line = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
      expect(line).toMatchObject({ level: "INFO", message: "step finished", service: "svc", function_request_id: "req-1" });
      expect(line["log_error"]).toBe(`the line's attributes could not be written (${errorName})`);
      expect(lines[0]).not.toContain("secret-value");
    });
  });

  it("logs an error with a field pointing back to itself, leaving that field out (it overflowed the stack, and the line was lost)", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    const error = new Error("boom") as Error & { self?: unknown; code?: string };
    error.self = error;
    error.code = "E42";
    new Logger({ serviceName: "svc", env: {} }).error("failed", { error });
    const line = JSON.parse(lines[0] ?? "{}") as { error: Record<string, unknown>; log_error?: string };
    expect(line.log_error).toBeUndefined();
    expect(line.error).toMatchObject({ name: "Error", message: "boom", code: "E42" });
    expect(line.error).not.toHaveProperty("self");
  });
});
