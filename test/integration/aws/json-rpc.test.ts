/**
 * The service's own AWS JSON client (src/aws/json-rpc.ts) reading answers that are not what the
 * protocol promises, over real HTTP: a 2xx whose body is not a JSON object is a typed error naming
 * the service and operation (never a bare SyntaxError), and it is not retried (the SDK does not
 * retry a 2xx it cannot read either: the call may have taken effect).
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS } from "../../../src/aws/client-options.ts";
import { setAwsCallDeadline, withAwsCallScope } from "../../../src/aws/call-deadline.ts";
import { AwsCallDeadlineError } from "../../../src/aws/errors.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { AWS_STANDARD_RETRY, AwsJsonRpcClient, AwsResponseParseError } from "../../../src/aws/json-rpc.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import type { Clock } from "../../../src/http/types.ts";
import { ManualTimers } from "../../support/manual-timers.ts";

let server: Server;
let origin: string;
let requests = 0;
let answer: (res: ServerResponse) => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests += 1;
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
afterEach(() => {
  requests = 0;
});

/** Sleeps recorded, never waited: a retry would show here. */
const clock = (): Clock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  return { sleeps, now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
};
const client = (c: Clock, random?: () => number) =>
  new AwsJsonRpcClient({
    random,
    signingName: "events",
    targetPrefix: "AWSEvents",
    jsonVersion: "1.1",
    region: "us-east-1",
    credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
    clock: c,
  });

describe("AwsJsonRpcClient: retries that would cross the invocation's deadline", () => {
  // The webhook hands a tenant to the queue on AwsCallDeadlineError; a throttled call given up
  // because its next backoff (1 s after throttling) would pass the deadline used to surface as the
  // raw ThrottlingException, a 500 instead of the hand-off.
  it("gives up with AwsCallDeadlineError (the last failure as its cause), not the raw throttling error", async () => {
    // The deadline is 10 s away in real time, so the first attempt is sent however loaded the
    // machine (with 300 ms, a stall before sending would make it a refusal with no request); the
    // client's clock jumps to 200 ms before it once the throttled answer is written.
    let ahead = 0;
    answer = (res) => {
      ahead = 9_800;
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-throttled" });
      res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
    };
    // Jitter pinned to half the cap: the first backoff after throttling is 500 ms, past the
    // deadline. (With the system's jitter, three short draws used to fit all four attempts
    // and the test failed in CI about one run in a few hundred.)
    const jumping = { ...clock(), now: () => Date.now() + ahead };
    const rpc = client(jumping, () => 0.5);
    try {
      const error = await withAwsCallScope(() => {
        setAwsCallDeadline(Date.now() + 10_000);
        return rpc.call(origin, "PutEvents", { Entries: [] }).catch((e: unknown) => e);
      });
      expect(error).toBeInstanceOf(AwsCallDeadlineError);
      expect((error as Error).cause).toMatchObject({ name: "ThrottlingException" });
      expect(requests).toBe(1);
    } finally {
      rpc.close();
    }
  });

  it("retries that all fit before the deadline end with the last failure itself, not a deadline error", async () => {
    answer = (res) => {
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-throttled" });
      res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
    };
    // Zero jitter: every backoff is 0 ms, so every attempt of the standard policy runs inside the deadline.
    const rpc = client(clock(), () => 0);
    try {
      const error = await withAwsCallScope(() => {
        setAwsCallDeadline(Date.now() + 10_000);
        return rpc.call(origin, "PutEvents", { Entries: [] }).catch((e: unknown) => e);
      });
      expect(error).not.toBeInstanceOf(AwsCallDeadlineError);
      expect(error).toMatchObject({ name: "ThrottlingException" });
      expect(requests).toBe(AWS_STANDARD_RETRY.maxAttempts);
    } finally {
      rpc.close();
    }
  });

  it("a failure that is not retried stays itself", async () => {
    answer = (res) => {
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ __type: "ValidationException", message: "bad" }));
    };
    const rpc = client(clock());
    try {
      const error = await withAwsCallScope(() => {
        // Far enough that the attempt is always sent (300 ms could pass before it on a loaded machine).
        setAwsCallDeadline(Date.now() + 10_000);
        return rpc.call(origin, "PutEvents", { Entries: [] }).catch((e: unknown) => e);
      });
      expect(error).toMatchObject({ name: "ValidationException" });
    } finally {
      rpc.close();
    }
  });
});

describe("AwsJsonRpcClient: no region", () => {
  // With an endpoint configured (AWS_ENDPOINT_URL_*) but no AWS_REGION, the call failed with a
  // plain Error the CLI printed as "Error: AWS region is missing: ...", not a typed one.
  it("fails the call with a ConfigurationError naming AWS_REGION, sending nothing", async () => {
    vi.stubEnv("AWS_REGION", undefined);
    const rpc = new AwsJsonRpcClient({
      signingName: "events",
      targetPrefix: "AWSEvents",
      jsonVersion: "1.1",
      credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
    });
    try {
      const error = await rpc.call(origin, "PutEvents", { Entries: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ message: "events signing region: AWS_REGION: is required (the region the call is signed for)" });
      expect(requests).toBe(0);
    } finally {
      rpc.close();
      vi.unstubAllEnvs();
    }
  });
});

describe("AwsJsonRpcClient: a large answer", () => {
  // A DynamoDB Query page holds up to 1 MB of item data, and its JSON is larger: an answer over the
  // transport's 1 MiB default used to fail as a "reset" on every attempt.
  it("reads an answer over 1 MiB (a full Query page's JSON) in one attempt", async () => {
    const items = Array.from({ length: 3_000 }, (_, i) => ({ pk: { S: `TENANT#t-${i}` }, request: { S: "x".repeat(600) } }));
    const body = JSON.stringify({ Count: items.length, Items: items });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024 * 1.5);
    answer = (res) => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "req-big" });
      res.end(body);
    };
    const rpc = client(clock());
    try {
      const output = await rpc.call(origin, "PutEvents", { Entries: [] });
      expect((output["Items"] as unknown[]).length).toBe(3_000);
      expect(requests).toBe(1);
    } finally {
      rpc.close();
    }
  });
});

describe("AwsJsonRpcClient: a 2xx answer it cannot read", () => {
  it.each([
    ["an HTML page", "text/html", "<html><body>Gateway says hi</body></html>"],
    ["truncated JSON", "application/x-amz-json-1.1", '{"FailedEntryCount":0,"Entr'],
    ["JSON that is not an object", "application/x-amz-json-1.1", "[1,2]"],
    ["JSON null", "application/x-amz-json-1.1", "null"],
  ])("%s: AwsResponseParseError naming the service and operation, status and request id; one attempt", async (_label, contentType, body) => {
    answer = (res) => {
      res.writeHead(200, { "content-type": contentType, "x-amzn-requestid": "req-odd" });
      res.end(body);
    };
    const c = clock();
    const rpc = client(c);
    const error = await rpc.call(origin, "PutEvents", { Entries: [] }).catch((e: unknown) => e);
    rpc.close();
    expect(error).toBeInstanceOf(AwsResponseParseError);
    const e = error as AwsResponseParseError;
    expect({ name: e.name, operation: e.operation, status: e.status, requestId: e.requestId, retryable: e.retryable }).toEqual({
      name: "AwsResponseParseError",
      operation: "AWSEvents.PutEvents",
      status: 200,
      requestId: "req-odd",
      retryable: false,
    });
    expect(e.message).toMatch(/^AWSEvents\.PutEvents: HTTP 200 answer is not a JSON object/);
    expect(e.message).toContain(`${Buffer.byteLength(body)} bytes`);
    // The body itself stays out of the message (an answer may echo what was sent).
    expect(e.message).not.toContain(body);
    expect(requests).toBe(1);
    expect(c.sleeps).toEqual([]);
  });

  it("an empty 2xx body is an empty answer, as the SDK reads it", async () => {
    answer = (res) => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end();
    };
    const rpc = client(clock());
    await expect(rpc.call(origin, "PutEvents", { Entries: [] })).resolves.toEqual({});
    rpc.close();
  });
});

describe("AwsJsonRpcClient: per-attempt limits", () => {
  it("bounds each new connection by AWS_CONNECTION_TIMEOUT_MS beside the attempt's AWS_REQUEST_TIMEOUT_MS, as the SDK clients' handler does", async () => {
    // The transport's own timers, recorded: what firing them does is request-wire.test.ts's to show.
    const timers = new ManualTimers();
    const rpc = new AwsJsonRpcClient({
      signingName: "events",
      targetPrefix: "AWSEvents",
      jsonVersion: "1.1",
      region: "us-east-1",
      credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      clock: clock(),
      transport: createHttpTransport({ timers }),
    });
    answer = (res) => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end("{}");
    };
    await expect(rpc.call(origin, "PutEvents", { Entries: [] })).resolves.toEqual({});
    rpc.close();
    expect(timers.armed).toEqual([AWS_REQUEST_TIMEOUT_MS, AWS_CONNECTION_TIMEOUT_MS]);
  });
});
