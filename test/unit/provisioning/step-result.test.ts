import { describe, expect, it } from "vitest";
import { ConfigurationError, ProviderError, ValidationError, type ErrorClass } from "../../../src/errors.ts";
import { SecretLoadError } from "../../../src/credentials/errors.ts";
import { ProvisionerError } from "../../../src/errors.ts";
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

  it("an `exists` provider error (the name is taken by something not ours) is permanent, with no retry time", () => {
    const r = stepResultFromError(providerError("exists"), "sls", { attempts: 1, now });
    expect(r).toEqual({ status: "FAILED_PERMANENT", error: expect.objectContaining({ errorClass: "exists", message: "boom" }) });
    expect(stepResultFromError(providerError("conflict"), "sls", { attempts: 1, now })).not.toHaveProperty("nextAttemptAt");
  });

  it("a throttled provider error backs off from 2 minutes, doubling per attempt, capped at the hour", () => {
    const due = (attempts: number) => {
      const r = stepResultFromError(providerError("throttled"), "sls", { attempts, now });
      return "nextAttemptAt" in r ? Date.parse(r.nextAttemptAt ?? "") - now : NaN;
    };
    expect([due(1), due(2), due(6)]).toEqual([120_000, 240_000, 3_600_000]);
    // Attempt counts below 1 (a step never tried) start at the base, never below it.
    expect([nextAttemptDelayMs(0, false), nextAttemptDelayMs(0, true), rotationRetryDelayMs(0)]).toEqual([30_000, 120_000, 300_000]);
    expect(nextAttemptDelayMs(2, false)).toBe(60_000);
    expect(rotationRetryDelayMs(50)).toBe(3_600_000);
  });

  it("a validation error keeps its message (field and rule) and the step's provider, with status 0", () => {
    const error = new ValidationError([{ field: "name", rule: "too long" }]);
    const r = stepResultFromError(error, "tencent-im", { attempts: 1, now });
    expect(r).toEqual({
      status: "FAILED_PERMANENT",
      error: { provider: "tencent-im", code: "Validation", message: error.message, httpStatus: 0, errorClass: "permanent" },
    });
  });

  it("a wrong configuration waits 15 minutes for an operator; an unavailable Secrets Manager backs off like a transient fault", () => {
    const wrong = stepResultFromError(new ConfigurationError("secret prod/im", [{ field: "secretKey", rule: "required" }]), "tencent-im", { attempts: 3, now });
    expect(wrong).toEqual({
      status: "FAILED_RETRYABLE",
      error: { provider: "tencent-im", code: "Configuration", message: "secret prod/im: secretKey: required", httpStatus: 0, errorClass: "permanent" },
      nextAttemptAt: new Date(now + 15 * 60_000).toISOString(),
    });
    const unavailable = new SecretLoadError("prod/im", "unavailable", [{ field: "", rule: "Secrets Manager did not answer" }]);
    expect(unavailable.retryable).toBe(true);
    expect(stepResultFromError(unavailable, "tencent-im", { attempts: 3, now })).toMatchObject({
      status: "FAILED_RETRYABLE",
      error: { code: "Configuration", errorClass: "transient" },
      nextAttemptAt: new Date(now + 120_000).toISOString(),
    });
  });

  it("no rate-limit token in time, or a transport failure, is recorded as throttled with the throttled backoff", () => {
    expect(stepResultFromError(new RateLimitDeadlineError("no token before the deadline"), "tencent-im", { attempts: 1, now })).toEqual({
      status: "FAILED_RETRYABLE",
      error: { provider: "tencent-im", code: "RateLimited", message: "no token before the deadline", httpStatus: 0, errorClass: "throttled" },
      nextAttemptAt: new Date(now + 120_000).toISOString(),
    });
    expect(stepResultFromError(new TransportError("reset", "socket hang up", true), "sls", { attempts: 2, now })).toEqual({
      status: "FAILED_RETRYABLE",
      error: { provider: "sls", code: "Transport.reset", message: "socket hang up", httpStatus: 0, errorClass: "throttled" },
      nextAttemptAt: new Date(now + 240_000).toISOString(),
    });
  });

  it("an unknown error of our own keeps its message; a thrown non-Error records its type; both retry like a transient fault", () => {
    expect(stepResultFromError(new ProvisionerError("lease lost"), "sls", { attempts: 2, now })).toEqual({
      status: "FAILED_RETRYABLE",
      error: { provider: "sls", code: "Internal", message: "lease lost", httpStatus: 0, errorClass: "transient" },
      nextAttemptAt: new Date(now + 60_000).toISOString(),
    });
    expect(stepResultFromError("a string", "sls", { attempts: 1, now })).toMatchObject({ error: { message: "unexpected string" } });
    // Even `throw null` / `throw undefined` are recorded, not a TypeError while recording them.
    expect(stepResultFromError(null, "sls", { attempts: 1, now })).toMatchObject({ status: "FAILED_RETRYABLE", error: { message: "unexpected object" } });
    expect(stepResultFromError(undefined, "sls", { attempts: 1, now })).toMatchObject({ status: "FAILED_RETRYABLE", error: { message: "unexpected undefined" } });
  });
});
