/**
 * The AWS SDK clients' request handler against a real endpoint that never answers: which path
 * ends the call (invocation deadline, not started, per-attempt request timeout) is read from the
 * error and from what the stalled server saw, never from the clock. The one time bound asserted is
 * a generous ceiling that only a call left hanging would break.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setAwsCallDeadline, withAwsCallScope, awsCallCutoff } from "../../../src/aws/call-deadline.ts";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, awsClientOptions } from "../../../src/aws/client-options.ts";
import { DeadlineBoundHttpHandler } from "../../../src/aws/deadline-bound-http-handler.ts";
import { AwsCallDeadlineError } from "../../../src/aws/errors.ts";
import { ProvisionerError } from "../../../src/errors.ts";
import { until } from "../../handlers/harness.ts";
import { startStallingServer, type StallingServer } from "../../support/stalling-server.ts";

let hung: StallingServer;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  hung = await startStallingServer();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(() => hung.close());

/** A DynamoDB client as the service builds one (SDK retries left on), pointed at the hung endpoint. */
function dynamodb(options: { requestHandler: DeadlineBoundHttpHandler } = awsClientOptions()): DynamoDBClient {
  const client = new DynamoDBClient({ ...options, endpoint: hung.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  clients.push(client);
  return client;
}

const getItem = () => new GetItemCommand({ TableName: "outcomes", Key: { pk: { S: "TENANT#t1" }, sk: { S: "TENANT" } } });

async function failure(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the call succeeded against a server that never answers");
}

describe("AWS calls inside an invocation end at its deadline", () => {
  it("a call in flight is cut off at the deadline: one attempt, abandoned, AwsCallDeadlineError (not retried)", async () => {
    const client = dynamodb();
    // The deadline falls 300 ms after the request leaves the SDK's pipeline (signing and the rest),
    // not 300 ms after send(): a cold client's first call on a loaded machine spent that long in
    // the pipeline and was refused before sending, which is the next test's path, not this one's.
    let armed = false;
    client.middlewareStack.add(
      (next) => (args) => {
        if (!armed) setAwsCallDeadline(Date.now() + 300);
        armed = true;
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "deadlineAtSend" },
    );
    const before = { requests: hung.requests(), abandoned: hung.abandoned() };
    const started = Date.now();
    const error = await withAwsCallScope(() => failure(() => client.send(getItem())));
    expect(error).toBeInstanceOf(AwsCallDeadlineError);
    expect(error).toBeInstanceOf(ProvisionerError);
    expect((error as AwsCallDeadlineError).retryable).toBe(false);
    expect(hung.requests() - before.requests, "the SDK did not retry past the deadline").toBe(1);
    await until(() => hung.abandoned() - before.abandoned === 1, "the client to close the stalled request");
    // Generous: without the cut-off the call never ends (the request timeout alone is 5 s per attempt, 3 attempts).
    expect(Date.now() - started).toBeLessThan(AWS_REQUEST_TIMEOUT_MS);
  });

  it("a call that would start after the deadline (and its grace) is refused without a connection", async () => {
    const client = dynamodb();
    const before = { requests: hung.requests(), connections: hung.connections() };
    const error = await withAwsCallScope(() => {
      setAwsCallDeadline(Date.now() - 1_000, 500);
      return failure(() => client.send(getItem()));
    });
    expect(error).toBeInstanceOf(AwsCallDeadlineError);
    expect(hung.requests()).toBe(before.requests);
    expect(hung.connections()).toBe(before.connections);
  });

  it("a call in flight at the deadline gets two thirds of the grace; one started after it the whole grace", () => {
    withAwsCallScope(() => {
      setAwsCallDeadline(10_000, 750);
      expect(awsCallCutoff(9_999)).toBe(10_500);
      expect(awsCallCutoff(10_000)).toBe(10_750);
    });
    expect(awsCallCutoff(0), "no invocation, no cut-off").toBeUndefined();
  });

  it("each invocation sees its own deadline (concurrent scopes do not mix)", async () => {
    const seen = await Promise.all(
      [1_000, 2_000].map((deadline) =>
        withAwsCallScope(async () => {
          setAwsCallDeadline(deadline);
          await new Promise((resolve) => setImmediate(resolve));
          return awsCallCutoff(0);
        }),
      ),
    );
    expect(seen).toEqual([1_000, 2_000]);
  });

  it("a caller's own abort signal still aborts the call", async () => {
    const client = dynamodb();
    const controller = new AbortController();
    const stalledBefore = hung.stalled();
    const pending = withAwsCallScope(() => {
      setAwsCallDeadline(Date.now() + 60_000);
      return failure(() => client.send(getItem(), { abortSignal: controller.signal }));
    });
    await until(() => hung.stalled() > stalledBefore, "the request to reach the server");
    controller.abort();
    const error = await pending;
    expect(error.name).toBe("AbortError");
    expect(error).not.toBeInstanceOf(AwsCallDeadlineError);
  });
});

describe("outside an invocation, the per-attempt timeouts bound the call", () => {
  it("the request timeout ends a stalled attempt with TimeoutError", async () => {
    const client = dynamodb({ requestHandler: new DeadlineBoundHttpHandler({ requestTimeout: 200, throwOnRequestTimeout: true }) });
    const error = await failure(() => client.send(getItem(), {}));
    expect(error.name).toBe("TimeoutError");
    expect(error).not.toBeInstanceOf(AwsCallDeadlineError);
  });

  it("awsClientOptions() sets connection and request timeouts that throw", async () => {
    const configs = awsClientOptions().requestHandler.httpHandlerConfigs();
    expect(configs.connectionTimeout).toBe(AWS_CONNECTION_TIMEOUT_MS);
    expect(configs.requestTimeout).toBe(AWS_REQUEST_TIMEOUT_MS);
    expect(configs.throwOnRequestTimeout).toBe(true);
  });
});
