import { describe, expect, it } from "vitest";
import { ConfigurationError, ProviderError, ValidationError, type ErrorClass } from "../../../src/errors.ts";
import { RateLimitDeadlineError, TransportError } from "../../../src/http/errors.ts";
import { nextAttemptDelayMs, rotationRetryDelayMs, stepResultFromError } from "../../../src/provisioning/step-result.ts";

const now = Date.parse("2026-11-23T10:00:00.000Z");

function providerError(errorClass: ErrorClass): ProviderError {
  return new ProviderError("boom", {
    provider: "sls",
    code: "InternalServerError",
    httpStatus: 500,
    requestId: "req-1",
    errorClass,
    ambiguous: false,
    operation: "CreateConsumerGroup",
  });
}

describe("stepResultFromError", () => {
  it.each([
    ["transient", "FAILED_RETRYABLE"],
    ["throttled", "FAILED_RETRYABLE"],
    // Still rejected after a fresh read of the secret: a rotation in progress, retried later.
    ["credentials", "FAILED_RETRYABLE"],
    ["permanent", "FAILED_PERMANENT"],
    ["conflict", "CONFLICT"],
  ] as const)("maps a %s provider error to %s keeping code, status and request id", (cls, status) => {
    const r = stepResultFromError(providerError(cls), "sls", { attempts: 1, now });
    expect(r.status).toBe(status);
    expect("error" in r && r.error).toMatchObject({ provider: "sls", code: "InternalServerError", httpStatus: 500, requestId: "req-1", errorClass: cls });
  });

  it("schedules retryable steps with a backoff that grows with attempts and is longer when throttled", () => {
    const first = stepResultFromError(providerError("transient"), "sls", { attempts: 1, now });
    const third = stepResultFromError(providerError("transient"), "sls", { attempts: 3, now });
    const throttled = stepResultFromError(providerError("throttled"), "sls", { attempts: 1, now });
    const due = (r: ReturnType<typeof stepResultFromError>) => ("nextAttemptAt" in r ? Date.parse(r.nextAttemptAt ?? "") - now : NaN);
    expect(due(first)).toBe(30_000);
    expect(due(third)).toBe(120_000);
    expect(due(throttled)).toBe(120_000);
    expect(nextAttemptDelayMs(50, false)).toBe(3_600_000);
  });

  it("retries credentials still rejected after a re-read (rotation in progress) after 5 minutes, doubling to the hour", () => {
    const due = (attempts: number) => {
      const r = stepResultFromError(providerError("credentials"), "sls", { attempts, now });
      return "nextAttemptAt" in r ? Date.parse(r.nextAttemptAt ?? "") - now : NaN;
    };
    expect([due(1), due(2), due(3), due(10)]).toEqual([300_000, 600_000, 1_200_000, 3_600_000]);
    expect(rotationRetryDelayMs(1)).toBe(300_000);
  });

  it("records validation errors as permanent and configuration errors as slow retries", () => {
    expect(stepResultFromError(new ValidationError([{ field: "name", rule: "too long" }]), "tencent-im", { attempts: 1, now }).status).toBe("FAILED_PERMANENT");
    const cfg = stepResultFromError(new ConfigurationError("secret prod/im", [{ field: "secretKey", rule: "required" }]), "tencent-im", { attempts: 1, now });
    expect(cfg.status).toBe("FAILED_RETRYABLE");
    expect("error" in cfg && cfg.error.code).toBe("Configuration");
  });

  it("treats a token that could not be had in time, or a stray transport error, as retryable", () => {
    expect(stepResultFromError(new RateLimitDeadlineError("no token"), "tencent-im", { attempts: 1, now }).status).toBe("FAILED_RETRYABLE");
    const t = stepResultFromError(new TransportError("timeout", "slow", true), "sls", { attempts: 1, now });
    expect("error" in t && t.error.code).toBe("Transport.timeout");
  });

  it("records only the name of an error of unknown origin, whose message may carry anything", () => {
    const r = stepResultFromError(new TypeError("token=SECRET123 leaked"), "sls", { attempts: 1, now });
    expect(r.status).toBe("FAILED_RETRYABLE");
    expect(JSON.stringify(r)).not.toContain("SECRET123");
    expect("error" in r && r.error.message).toBe("unexpected TypeError");
  });
});
