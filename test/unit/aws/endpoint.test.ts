/**
 * The one reading of configured AWS endpoints (src/aws/endpoint.ts) that DynamoDB, EventBridge
 * and SQS share, as the SDK's `getEndpointFromConfig` (@smithy/core/endpoints, not exported; its
 * environment selector) reads them: the service's variable first, then the global one, empty
 * values unset, none with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. The endpoint rules around
 * it are compared with the SDK's own in test/integration/aws/dynamodb-wire.test.ts and
 * test/integration/events/put-events.test.ts.
 */
import { describe, expect, it } from "vitest";
import { configuredEndpoint, endpointFlag } from "../../../src/aws/endpoint.ts";
import { ConfigurationError } from "../../../src/errors.ts";

describe("configuredEndpoint", () => {
  it.each([
    ["the service's own variable first", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2", AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "http://127.0.0.1:2"],
    ["the global one when the service's is unset", { AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "http://127.0.0.1:1"],
    ["the global one when the service's is empty", { AWS_ENDPOINT_URL_DYNAMODB: "", AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "http://127.0.0.1:1"],
    ["none at all", {}, undefined],
    ["none when both are empty", { AWS_ENDPOINT_URL_DYNAMODB: "", AWS_ENDPOINT_URL: "" }, undefined],
    ["none when told to ignore them", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" }, undefined],
    ["the configured one when ignoring is off", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "false" }, "http://127.0.0.1:2"],
    ["another service's variable is not ours", { AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:3" }, undefined],
  ])("%s", (_label, env: Record<string, string>, expected: string | undefined) => {
    expect(configuredEndpoint("DynamoDB", env)).toBe(expected);
  });

  it("names the service's variable by its SDK service id (upper case, spaces as _)", () => {
    expect(configuredEndpoint("Secrets Manager", { AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://127.0.0.1:4" })).toBe("http://127.0.0.1:4");
    expect(configuredEndpoint("EventBridge", { AWS_ENDPOINT_URL_EVENTBRIDGE: "http://127.0.0.1:5" })).toBe("http://127.0.0.1:5");
  });
});

describe("endpointFlag", () => {
  it("is true or false as written, false when unset, and a ConfigurationError naming the variable otherwise", () => {
    expect(endpointFlag({ AWS_USE_FIPS_ENDPOINT: "true" }, "AWS_USE_FIPS_ENDPOINT", "DynamoDB")).toBe(true);
    expect(endpointFlag({ AWS_USE_FIPS_ENDPOINT: "false" }, "AWS_USE_FIPS_ENDPOINT", "DynamoDB")).toBe(false);
    expect(endpointFlag({}, "AWS_USE_FIPS_ENDPOINT", "DynamoDB")).toBe(false);
    const error = (() => {
      try {
        return endpointFlag({ AWS_USE_FIPS_ENDPOINT: "yes" }, "AWS_USE_FIPS_ENDPOINT", "DynamoDB");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String((error as Error).message)).toMatch(/AWS_USE_FIPS_ENDPOINT: must be "true" or "false"/);
  });
});
