/**
 * The module bundled in place of `@smithy/node-http-handler` for the SDK clients' runtime configs
 * (scripts/bundle/given-request-handler-only.js) hands back a client's own request handler as the
 * SDK's `NodeHttpHandler.create` does, collects answer streams with the SDK's collector, and
 * refuses a client built without a handler (the SDK's would make a NodeHttpHandler of its own).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler as SdkHandler, streamCollector as sdkStreamCollector } from "@smithy/node-http-handler";
import { describe, expect, it } from "vitest";
import { NodeHttpHandler as BundledHandler, streamCollector } from "../../../scripts/bundle/given-request-handler-only.js";
import { awsClientOptions } from "../../../src/aws/client-options.ts";

describe("the bundled stand-in for the SDK's NodeHttpHandler", () => {
  it("hands back the request handler a client is built with, as the SDK's create does", () => {
    const { requestHandler } = awsClientOptions();
    expect(BundledHandler.create(requestHandler)).toBe(requestHandler);
    expect(SdkHandler.create(requestHandler)).toBe(requestHandler);
  });

  it("collects answer streams with the SDK's own collector", () => {
    expect(streamCollector).toBe(sdkStreamCollector);
  });

  it("refuses a client built without a request handler, naming what to pass", () => {
    // The SDK's runtime config passes its defaults-mode provider (a function) or options when none is given.
    for (const given of [undefined, {}, { requestTimeout: 1_000 }, async () => ({})]) {
      expect(() => BundledHandler.create(given)).toThrow(/without a request handler.*awsClientOptions\(\)/);
      expect(SdkHandler.create(given)).toBeInstanceOf(SdkHandler);
    }
    expect(() => new BundledHandler()).toThrow(/awsClientOptions\(\)/);
  });

  it("is what the clients of the service are given: their handler is ours, not the SDK's", async () => {
    const client = new DynamoDBClient({ ...awsClientOptions(), region: "us-east-1" });
    expect(client.config.requestHandler).not.toBeInstanceOf(SdkHandler);
    expect(typeof (client.config.requestHandler as { handle?: unknown }).handle).toBe("function");
    client.destroy();
  });
});
