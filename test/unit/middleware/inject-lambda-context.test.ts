/**
 * injectLambdaContext with the service's Logger, through middy as the handlers use it: each
 * invocation's lines carry its context, `cold_start` is true on the process's first invocation
 * only, and with `resetKeys` the keys an invocation appended never reach the next one, also when
 * it throws (a tenant id on another tenant's lines would mislead every query by tenant).
 */
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { injectLambdaContext } from "../../../handlers/middleware/inject-lambda-context.ts";
import { Logger } from "../../../src/observability/logger.ts";

function context(awsRequestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "fn",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:fn",
    memoryLimitInMB: "512",
    awsRequestId,
    logGroupName: "/aws/lambda/fn",
    logStreamName: "s",
    getRemainingTimeInMillis: () => 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON lines written to stdout while the test runs. */
function stdoutLines(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
    return true;
  });
  return lines;
}

afterEach(() => vi.restoreAllMocks());

/** A handler that appends the event's tenant, logs once and fails when asked. */
function handlerWith(logger: Logger, options: { resetKeys?: boolean }) {
  return middy(async (event: { tenant?: string; fail?: boolean }) => {
    if (event.tenant) logger.appendKeys({ tenantId: event.tenant });
    logger.info("inside");
    if (event.fail) throw new Error("failed");
    return "ok";
  }).use(injectLambdaContext(logger, options));
}

describe("injectLambdaContext", () => {
  it("puts each invocation's context on its lines, cold_start true for the first invocation only", async () => {
    const lines = stdoutLines();
    const logger = new Logger({ serviceName: "svc", env: { AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" } });
    const handler = handlerWith(logger, { resetKeys: true });
    await handler({}, context("r1"));
    await handler({}, context("r2"));
    expect(lines.map((l) => [l["function_request_id"], l["cold_start"]])).toEqual([
      ["r1", true],
      ["r2", false],
    ]);
    expect(lines[0]).toMatchObject({ function_name: "fn", function_arn: "arn:aws:lambda:eu-central-1:123456789012:function:fn", function_memory_size: "512" });
  });

  it("cold_start is false outside on-demand environments (provisioned concurrency, unknown)", async () => {
    const lines = stdoutLines();
    for (const env of [{ AWS_LAMBDA_INITIALIZATION_TYPE: "provisioned-concurrency" }, {}]) {
      await handlerWith(new Logger({ serviceName: "svc", env }), {})({}, context("r"));
    }
    expect(lines.map((l) => l["cold_start"])).toEqual([false, false]);
  });

  it("with resetKeys, drops the appended keys after each invocation, also one that threw", async () => {
    const lines = stdoutLines();
    const logger = new Logger({ serviceName: "svc", env: {} });
    const handler = handlerWith(logger, { resetKeys: true });
    await handler({ tenant: "a" }, context("r1"));
    await expect(handler({ tenant: "b", fail: true }, context("r2"))).rejects.toThrow("failed");
    await handler({}, context("r3"));
    expect(lines.map((l) => l["tenantId"])).toEqual(["a", "b", undefined]);
  });

  it("without resetKeys, appended keys stay", async () => {
    const lines = stdoutLines();
    const logger = new Logger({ serviceName: "svc", env: {} });
    const handler = handlerWith(logger, {});
    await handler({ tenant: "a" }, context("r1"));
    await handler({}, context("r2"));
    expect(lines.map((l) => l["tenantId"])).toEqual(["a", "a"]);
  });
});
