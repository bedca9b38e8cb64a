import { describe, expect, it } from "vitest";
import { ConfigurationError, ProvisionerError } from "../../../src/errors.ts";
import { SecretLoadError } from "../../../src/credentials/index.ts";

describe("SecretLoadError", () => {
  it("is a ConfigurationError naming the secret, field and rule", () => {
    const error = new SecretLoadError("app/sls", "invalid-shape", [{ field: "accessKeySecret", rule: "must be a string" }]);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(ProvisionerError);
    expect(error.name).toBe("SecretLoadError");
    expect(error.message).toBe('Secrets Manager secret "app/sls": accessKeySecret: must be a string');
  });

  it("is retryable only when Secrets Manager was unavailable", () => {
    expect(new SecretLoadError("s", "unavailable", []).retryable).toBe(true);
    for (const reason of ["not-found", "access-denied", "not-json", "invalid-shape", "binary"] as const) {
      expect(new SecretLoadError("s", reason, []).retryable).toBe(false);
    }
  });

  it("keeps the SDK cause for debugging but out of its JSON form", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const error = new SecretLoadError("s", "unavailable", [{ field: "", rule: "unavailable" }], { code: "ECONNREFUSED", cause });
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "SecretLoadError",
      secretId: "s",
      reason: "unavailable",
      code: "ECONNREFUSED",
      retryable: true,
      issues: [{ field: "", rule: "unavailable" }],
      message: 'Secrets Manager secret "s": (root): unavailable',
    });
  });
});
