/**
 * The log lines and EMF documents the service writes, compared with what Powertools for AWS Lambda
 * 2.35.0 (Logger, logger/middleware injectLambdaContext, Metrics) wrote for the same calls. Platform
 * teams have Logs Insights queries, metric filters and alarms on that output, so it must not change.
 *
 * The expected output in ./fixtures/powertools-2.35.0-output.json was recorded from Powertools
 * itself (this test passing against it, before the service's own modules replaced it); never
 * re-record it from our code. Every line is compared parsed, key order included; only the values
 * of `timestamp` and `_aws.Timestamp` are ignored (their format is checked instead).
 */
import { readFileSync } from "node:fs";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { injectLambdaContext } from "../../../handlers/middleware/inject-lambda-context.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { createProvisionMetrics } from "../../../src/observability/metrics.ts";

/** One written line: the stream, and the parsed JSON (or the text when it is not JSON). */
interface Line {
  stream: "stdout" | "stderr";
  json?: unknown;
  text?: string;
}

const FIXTURE = new URL("./fixtures/powertools-2.35.0-output.json", import.meta.url);
const expected = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, Line[]>;

/** Every variable Powertools (or ours) reads; each scenario starts with all of them unset. */
const VARIABLES = [
  "LOG_LEVEL",
  "POWERTOOLS_LOG_LEVEL",
  "AWS_LAMBDA_LOG_LEVEL",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_MAX_CONCURRENCY",
  "_X_AMZN_TRACE_ID",
  "POWERTOOLS_DEV",
  "POWERTOOLS_SERVICE_NAME",
  "POWERTOOLS_LOGGER_SAMPLE_RATE",
  "POWERTOOLS_LOGGER_LOG_EVENT",
  "POWERTOOLS_METRICS_DISABLED",
  "POWERTOOLS_METRICS_NAMESPACE",
  "POWERTOOLS_METRICS_FUNCTION_NAME",
  "TZ",
];

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The line with its timestamps' values replaced, after checking their format. */
function normalise(line: Line): Line {
  if (typeof line.json !== "object" || line.json === null) return line;
  const json = line.json as Record<string, unknown>;
  if ("timestamp" in json) {
    expect(json["timestamp"]).toMatch(ISO_UTC);
    json["timestamp"] = "<timestamp>";
  }
  const aws = json["_aws"] as { Timestamp?: unknown } | undefined;
  if (aws && "Timestamp" in aws) {
    expect(Math.abs(Number(aws.Timestamp) - Date.now())).toBeLessThan(60_000);
    aws.Timestamp = 0;
  }
  return line;
}

/** Runs `run` with the scenario's environment and returns every line it wrote to stdout and stderr. */
async function capture(env: Record<string, string>, run: () => void | Promise<void>): Promise<Line[]> {
  for (const name of VARIABLES) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const lines: Line[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    vi.spyOn(process[stream], "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const text of String(chunk).split("\n").filter((l) => l.length > 0)) {
        try {
          lines.push({ stream, json: JSON.parse(text) });
        } catch {
          lines.push({ stream, text });
        }
      }
      return true;
    });
  }
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.map(normalise);
}

/** A Lambda context as the runtime hands it over. */
function lambdaContext(awsRequestId: string, extra: Record<string, unknown> = {}): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "tp-dev-webhook",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:tp-dev-webhook",
    memoryLimitInMB: "1024",
    awsRequestId,
    logGroupName: "/aws/lambda/tp-dev-webhook",
    logStreamName: "2026/12/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 3000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...extra,
  };
}

/** An error with a fixed stack, so `location` and `stack` do not depend on where the test runs. */
function errorWith<E extends Error>(error: E, stack: string | undefined): E {
  error.stack = stack as string;
  return error;
}

class CodedError extends Error {
  override name = "CodedError";
  code = "E42";
  $metadata = { httpStatusCode: 500, attempts: 2 };
}

class ListNode {
  value = 1;
  next: ListNode | undefined;
}

type Scenario = { env?: Record<string, string>; run: () => void | Promise<void> };

const LEVELS: Array<[string, Record<string, string>]> = [
  ["default", {}],
  ["LOG_LEVEL=DEBUG", { LOG_LEVEL: "DEBUG" }],
  ["LOG_LEVEL=debug", { LOG_LEVEL: "debug" }],
  ["LOG_LEVEL=TRACE", { LOG_LEVEL: "TRACE" }],
  ["LOG_LEVEL=WARN", { LOG_LEVEL: "WARN" }],
  ["LOG_LEVEL=ERROR", { LOG_LEVEL: "ERROR" }],
  ["LOG_LEVEL=SILENT", { LOG_LEVEL: "SILENT" }],
  ["LOG_LEVEL=' DEBUG '", { LOG_LEVEL: " DEBUG " }],
  ["LOG_LEVEL=bogus", { LOG_LEVEL: "bogus" }],
  ["LOG_LEVEL=bogus POWERTOOLS_LOG_LEVEL=ERROR", { LOG_LEVEL: "bogus", POWERTOOLS_LOG_LEVEL: "ERROR" }],
  ["LOG_LEVEL='' POWERTOOLS_LOG_LEVEL=DEBUG", { LOG_LEVEL: "", POWERTOOLS_LOG_LEVEL: "DEBUG" }],
  ["POWERTOOLS_LOG_LEVEL=DEBUG alone", { POWERTOOLS_LOG_LEVEL: "DEBUG" }],
  ["AWS_LAMBDA_LOG_LEVEL=ERROR over LOG_LEVEL=DEBUG", { AWS_LAMBDA_LOG_LEVEL: "ERROR", LOG_LEVEL: "DEBUG" }],
  ["AWS_LAMBDA_LOG_LEVEL=WARN", { AWS_LAMBDA_LOG_LEVEL: "WARN" }],
  ["AWS_LAMBDA_LOG_LEVEL=DEBUG under LOG_LEVEL=INFO", { AWS_LAMBDA_LOG_LEVEL: "DEBUG", LOG_LEVEL: "INFO" }],
  ["AWS_LAMBDA_LOG_LEVEL=FATAL", { AWS_LAMBDA_LOG_LEVEL: "FATAL" }],
  ["AWS_LAMBDA_LOG_LEVEL=bogus LOG_LEVEL=WARN", { AWS_LAMBDA_LOG_LEVEL: "bogus", LOG_LEVEL: "WARN" }],
];

const scenarios: Record<string, Scenario> = {
  "logger: a message at each level, no context": {
    run() {
      const logger = createLogger();
      logger.info("hello");
      logger.warn("careful");
      logger.error("bad");
      logger.debug("hidden at INFO");
    },
  },
  "logger: another service name": {
    run: () => createLogger("other-service").info("hello"),
  },
  "logger: the X-Ray trace id from the environment": {
    env: { _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" },
    run: () => createLogger().info("traced"),
  },
  "logger: an X-Ray trace id without fields": {
    env: { _X_AMZN_TRACE_ID: "1-5759e988-bd862e3fe1be46a994272793" },
    run: () => createLogger().info("traced"),
  },
  "logger: attribute objects merge shallowly, later wins, empty top-level values dropped": {
    run() {
      const logger = createLogger();
      logger.info(
        "step finished",
        { step: "im-group", status: "SUCCEEDED", nested: { a: 1, b: [1, { c: 2 }] } },
        { nested: { d: 3 }, empty: "", nothing: null, missing: undefined, zero: 0, no: false, deep: { x: null, y: "", z: undefined } },
      );
    },
  },
  "logger: appendKeys merges deeply, copies, and attributes of a call win": {
    run() {
      const logger = createLogger();
      const mutable = { v: 1 };
      logger.appendKeys({ tenantId: "acme-42", nested: { a: 1 }, mutable, list: [1, 2, 3] });
      logger.appendKeys({ nested: { b: 2 }, other: "x", list: [9] });
      mutable.v = 2;
      logger.info("first");
      logger.info("second", { tenantId: "override", nested: { c: 3 } });
      logger.appendKeys({ other: undefined, gone: undefined });
      logger.info("third");
    },
  },
  "logger: attributes named like the context keys take their place": {
    run() {
      createLogger().info("m", { zzz: 1, cold_start: "x", function_name: "f", xray_trace_id: "t", tenant_id: "T", function_arn: "" });
    },
  },
  "logger: reserved keys are dropped with a warning": {
    run() {
      const logger = createLogger();
      logger.appendKeys({ service: "appended", keep: 1 } as never); // Powertools types reserved keys out; a caller may still pass them.
      logger.info("m", { message: "x", level: "y", timestamp: 1, service: "s", sampling_rate: 2, ok: 1 });
    },
  },
  "logger: errors, their causes and their own fields": {
    run() {
      const logger = createLogger();
      const inner = errorWith(new TypeError("inner"), "TypeError: inner\n    at Object.<anonymous> (file:///var/task/x.mjs:3:9)\n    at next (/var/task/y.js:1:1)");
      const outer = errorWith(new Error("outer", { cause: inner }), "Error: outer\n    at handler (/var/task/index.cjs:10:5)\n    at run (/var/task/index.cjs:20:7)");
      const coded = errorWith(new CodedError("coded", { cause: "a plain string" }), "CodedError: coded\n    at send (/var/task/index.cjs:99:1)");
      const noStack = errorWith(new RangeError("no stack"), undefined);
      const bareFrames = errorWith(new Error("bare"), "Error: bare\n    at /var/task/index.cjs:1:2");
      logger.error("failed", { error: outer });
      logger.error("failed as a parameter", coded);
      logger.error("nested", { details: { list: [coded, noStack] }, other: bareFrames });
      logger.warn("with a string", "extra text");
      logger.info("skips nullish", { a: 1 }, null as never, undefined as never, { b: 2 });
    },
  },
  "logger: BigInt, Date, Map and circular values": {
    run() {
      const logger = createLogger();
      const self: Record<string, unknown> = { name: "a" };
      self["self"] = self;
      const list: unknown[] = [1];
      list.push(list);
      const node = new ListNode();
      node.next = node;
      const shared = { v: 1 };
      logger.info("values", { n: 10n, big: { v: 2n ** 70n }, at: new Date(0), map: new Map([["a", 1]]), set: new Set([1]) });
      logger.info("cycles", { self, list, node, x: shared, y: shared });
      logger.appendKeys({ appendedSelf: self });
      logger.info("appended cycle");
    },
  },
  ...Object.fromEntries(
    LEVELS.map(([name, env]) => [
      `logger: level ${name}`,
      {
        env,
        run() {
          const logger = createLogger();
          logger.debug("d");
          logger.info("i");
          logger.warn("w");
          logger.error("e");
        },
      },
    ]),
  ),
  "injectLambdaContext: context keys, cold start once, appended keys reset (also after an error)": {
    env: { AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" },
    async run() {
      const logger = createLogger();
      logger.appendKeys({ boot: 1 });
      logger.info("before any invocation");
      const handler = middy(async (event: { tenant?: string; fail?: boolean }) => {
        if (event.tenant) logger.appendKeys({ tenantId: event.tenant });
        logger.info("inside");
        if (event.fail) throw new Error("handler failed");
        return "ok";
      }).use(injectLambdaContext(logger, { resetKeys: true }));
      await handler({ tenant: "acme-1" }, lambdaContext("req-1"));
      await handler({ tenant: "acme-2", fail: true }, lambdaContext("req-2")).catch(() => undefined);
      await handler({}, lambdaContext("req-3", { tenantId: "lambda-tenant" }));
      logger.info("after the invocations");
    },
  },
  "injectLambdaContext: no cold start under provisioned concurrency": {
    env: { AWS_LAMBDA_INITIALIZATION_TYPE: "provisioned-concurrency" },
    async run() {
      const logger = createLogger();
      const handler = middy(async () => logger.info("inside")).use(injectLambdaContext(logger, { resetKeys: true }));
      await handler({}, lambdaContext("req-1"));
    },
  },
  "injectLambdaContext: no cold start when the initialization type is unknown": {
    async run() {
      const logger = createLogger();
      const handler = middy(async () => logger.info("inside")).use(injectLambdaContext(logger, { resetKeys: true }));
      await handler({}, lambdaContext("req-1"));
    },
  },
  "metrics: every document the sink writes": {
    run() {
      const { sink } = createProvisionMetrics();
      sink.stepFinished({ step: "im-group", provider: "tencent-im", status: "SUCCEEDED", durationMs: 41 });
      sink.stepFinished({ step: "sls-consumer-group", provider: "sls", status: "FAILED_RETRYABLE", errorCode: "InternalServerError", durationMs: 12.5 });
      sink.stepFinished({ step: "sls-consumer-group", provider: "sls", status: "FAILED_PERMANENT", durationMs: 3 });
      sink.stepFinished({ step: "sls-consumer-group", provider: "sls", status: "DELETED", durationMs: 9 });
      sink.providerRetry("tencent-im", "10006");
      sink.credentialsRejected("sls", "SignatureNotMatch");
      sink.limiterFallback?.("tencent-im", "create_group");
    },
  },
  "metrics: an empty dimension value is dropped with a warning": {
    run() {
      const { sink } = createProvisionMetrics("OtherNamespace");
      sink.stepFinished({ step: "im-group", provider: "tencent-im", status: "FAILED_RETRYABLE", errorCode: "", durationMs: 1 });
      sink.providerRetry("sls", " ");
    },
  },
};

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("output compatible with Powertools 2.35.0", () => {
  it("has a recorded expectation for every scenario and no other", () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(scenarios).sort());
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const lines = await capture(scenario.env ?? {}, scenario.run);
      // Compared as JSON text, so key order counts too.
      expect(JSON.stringify(lines, null, 1)).toBe(JSON.stringify(expected[name], null, 1));
    });
  }
});
