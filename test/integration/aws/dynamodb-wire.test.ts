/**
 * The service's own DynamoDB document client (src/aws/dynamodb over src/aws/json-rpc.ts) against
 * the official SDK, `@aws-sdk/client-dynamodb` + `@aws-sdk/lib-dynamodb` (devDependencies: tests
 * only): the same request on the wire for the same command (method, path, protocol headers, body
 * bytes, credential scope, a signature that verifies), the same reading of answers (attribute maps
 * unmarshalled the same way), the same errors (name, fault, status, ConditionalCheckFailed's
 * `Item`), DynamoDB's retries as the SDK sets them, and the endpoint its rules pick.
 */
import type { ServerResponse } from "node:http";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as Sdk from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type AnyDocumentCommand,
  ConditionalCheckFailedException,
  DeleteCommand,
  DYNAMODB_RETRY,
  DynamoDBDocumentClient,
  dynamoDbEndpoint,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "../../../src/aws/dynamodb/index.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { systemClock } from "../../../src/http/clock.ts";
import type { Clock } from "../../../src/http/types.ts";
import { type CapturedRequest as Captured, type CapturingServer, expectSdkRequest, recordingClock, startCapturingServer } from "../../support/aws-wire.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };
const REGION = "eu-west-1";
const HEADERS = ["content-type", "x-amz-target", "host", "content-length", "x-amz-security-token", "x-amz-content-sha256"];

const answerWith = (body: unknown, status = 200) => (_req: Captured, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `req-${status}` });
  res.end(JSON.stringify(body));
};

let wire: CapturingServer;
beforeAll(async () => {
  wire = await startCapturingServer(answerWith({}));
});
afterAll(() => wire.close());
afterEach(() => wire.reset());

const ours = (options: { clock?: Clock; maxAttempts?: number } = {}) => new DynamoDBDocumentClient({ region: REGION, credentials: CREDENTIALS, endpoint: wire.origin, ...options });
const sdk = () =>
  Sdk.DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: wire.origin, maxAttempts: 1 }), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** The SDK's command for ours: the same class name in lib-dynamodb, the same input. */
function sdkCommandFor(command: AnyDocumentCommand) {
  const SdkClass = (Sdk as unknown as Record<string, new (input: object) => Parameters<Sdk.DynamoDBDocumentClient["send"]>[0]>)[command.constructor.name];
  if (!SdkClass) throw new Error(`no SDK command ${command.constructor.name}`);
  return new SdkClass(command.input);
}

async function bothSend(command: AnyDocumentCommand): Promise<{ fromSdk: unknown; fromOurs: unknown }> {
  const theirs = sdk();
  const mine = ours();
  try {
    const outcome = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e: unknown) => ({ error: e }));
    const fromSdk = await outcome(theirs.send(sdkCommandFor(command)));
    const fromOurs = await outcome(mine.send(command));
    return { fromSdk, fromOurs };
  } finally {
    theirs.destroy();
    mine.destroy();
  }
}

/** Values of every kind the store writes and some it does not: text JSON must escape, sets, nested maps and lists, null, binary, undefined members. */
const VALUES = {
  ":s": "Zoë's café ✓ 🚀 \"quoted\" \\ \u0001 \u2028",
  ":n": 42,
  ":f": -0.5,
  ":big": 2 ** 53 - 1,
  ":b": true,
  ":null": null,
  ":ss": new Set(["b", "a"]),
  ":ns": new Set([3, 1]),
  ":list": [1, "two", { three: 3, skip: undefined }, [false]],
  ":map": { z: 1, a: { nested: ["x"] }, gone: undefined },
  ":bin": new Uint8Array([0, 1, 254, 255]),
  ":undef": undefined,
};

const COMMANDS: [string, AnyDocumentCommand][] = [
  [
    "UpdateItem",
    new UpdateCommand({
      UpdateExpression: "SET #s = :s, #n = :n ADD #ss :ss",
      ReturnValues: "ALL_NEW",
      Key: { sk: "STEP#im-group", pk: "TENANT#t-1" },
      TableName: "outcomes",
      ConditionExpression: "attribute_not_exists(#pk) OR #n < :n",
      ExpressionAttributeNames: { "#s": "s", "#n": "n", "#ss": "ss", "#pk": "pk" },
      ExpressionAttributeValues: VALUES,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    }),
  ],
  ["PutItem", new PutCommand({ Item: { pk: "TENANT#t-1", sk: "STATE", ...Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k.slice(1), v])) }, TableName: "outcomes", ConditionExpression: "attribute_not_exists(pk)" })],
  ["GetItem", new GetCommand({ ConsistentRead: true, TableName: "outcomes", Key: { pk: "TENANT#t-1", sk: "STATE" }, ProjectionExpression: "#s", ExpressionAttributeNames: { "#s": "state" } })],
  [
    "Query",
    new QueryCommand({
      TableName: "outcomes",
      IndexName: "by-due",
      KeyConditionExpression: "#pk = :pk AND #due <= :now",
      FilterExpression: "#st <> :done",
      ExpressionAttributeNames: { "#pk": "duePk", "#due": "dueAt", "#st": "status" },
      ExpressionAttributeValues: { ":pk": "DUE#3", ":now": 1_764_504_000_123, ":done": "SUCCEEDED" },
      ExclusiveStartKey: { pk: "TENANT#t-0", sk: "STATE", duePk: "DUE#3", dueAt: 5 },
      Limit: 100,
      ScanIndexForward: false,
      ConsistentRead: false,
    }),
  ],
  ["Scan", new ScanCommand({ TableName: "outcomes", Limit: 25, ExclusiveStartKey: undefined, Segment: 1, TotalSegments: 4, FilterExpression: "begins_with(pk, :p)", ExpressionAttributeValues: { ":p": "TENANT#" } })],
  ["DeleteItem", new DeleteCommand({ TableName: "outcomes", Key: { pk: "TENANT#t-1", sk: "STATE" }, ReturnValues: "ALL_OLD" })],
];

describe("DynamoDBDocumentClient: the SDK's request", () => {
  it.each(COMMANDS)("%s: what the SDK sends for the same command (method, path, protocol headers, body bytes, credential scope, a valid signature)", async (operation, command) => {
    const { fromSdk, fromOurs } = await bothSend(command);
    expect(fromOurs).toEqual(fromSdk);
    expect(wire.captured).toHaveLength(2);
    const [sdkRequest, ourRequest] = wire.captured as [Captured, Captured];
    await expectSdkRequest(sdkRequest, ourRequest, HEADERS, { service: "dynamodb", region: REGION, credentials: CREDENTIALS, origin: wire.origin }, (b) => b.replace("outcomes", "outcomez"));
    expect(ourRequest.headers["x-amz-target"]).toBe(`DynamoDB_20120810.${operation}`);
    expect(ourRequest.headers["content-type"]).toBe("application/x-amz-json-1.0");
  });
});

describe("DynamoDBDocumentClient: answers and errors", () => {
  it("reads answers as lib-dynamodb does: items, attributes, pages and keys unmarshalled (numbers, sets, binary, nested), the rest as sent", async () => {
    const item = {
      pk: { S: "TENANT#t-1" },
      n: { N: "42" },
      f: { N: "-0.5" },
      huge: { N: "12345678901234567890" },
      ss: { SS: ["a", "b"] },
      ns: { NS: ["1", "3"] },
      bs: { BS: ["AAH+/w=="] },
      bin: { B: "AAH+/w==" },
      nul: { NULL: true },
      m: { M: { l: { L: [{ S: "x" }, { BOOL: false }] } } },
    };
    const answers: [AnyDocumentCommand, unknown][] = [
      [new GetCommand({ TableName: "t", Key: { pk: "a" } }), { Item: item, ConsumedCapacity: { TableName: "t", CapacityUnits: 0.5 } }],
      [new UpdateCommand({ TableName: "t", Key: { pk: "a" }, ReturnValues: "ALL_NEW" }), { Attributes: item, ItemCollectionMetrics: { ItemCollectionKey: { pk: { S: "a" } }, SizeEstimateRangeGB: [0, 1] } }],
      [new QueryCommand({ TableName: "t" }), { Items: [item, { pk: { S: "b" } }], Count: 2, ScannedCount: 3, LastEvaluatedKey: { pk: { S: "b" }, n: { N: "7" } } }],
      [new ScanCommand({ TableName: "t" }), { Items: [], Count: 0, ScannedCount: 0 }],
      [new GetCommand({ TableName: "t", Key: { pk: "absent" } }), {}],
    ];
    for (const [command, answer] of answers) {
      wire.answers = [answerWith(answer), answerWith(answer)];
      const { fromSdk, fromOurs } = await bothSend(command);
      const withoutMetadata = (r: unknown) => {
        const { $metadata, ...rest } = (r as { ok: Record<string, unknown> }).ok;
        return { rest, $metadata: $metadata as { httpStatusCode: number; requestId: string; attempts: number } };
      };
      expect(withoutMetadata(fromOurs).rest).toEqual(withoutMetadata(fromSdk).rest);
      expect(withoutMetadata(fromOurs).$metadata).toMatchObject({ httpStatusCode: 200, requestId: "req-200", attempts: 1, totalRetryDelay: 0 });
      expect(withoutMetadata(fromOurs).$metadata).toMatchObject({ httpStatusCode: withoutMetadata(fromSdk).$metadata.httpStatusCode, requestId: withoutMetadata(fromSdk).$metadata.requestId });
    }
    // A number beyond 2^53 comes back as a BigInt, sets as Set: the SDK's default reading, not the JSON's.
    wire.answers = [answerWith({ Item: item })];
    const { Item } = await ours().send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));
    expect(Item?.["huge"]).toBe(12345678901234567890n);
    expect(Item?.["ss"]).toEqual(new Set(["a", "b"]));
  });

  it("ConditionalCheckFailedException: the SDK's name, fault, status, message, and the old item as DynamoDB sent it; not retried", async () => {
    const refusal = answerWith({ __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "The conditional request failed", Item: { pk: { S: "TENANT#t-1" }, n: { N: "1" } } }, 400);
    wire.answers = [refusal, refusal];
    const command = new UpdateCommand({ TableName: "t", Key: { pk: "TENANT#t-1" }, UpdateExpression: "SET n = :n", ConditionExpression: "n > :n", ExpressionAttributeValues: { ":n": 2 }, ReturnValuesOnConditionCheckFailure: "ALL_OLD" });
    const { fromSdk, fromOurs } = await bothSend(command);
    const sdkError = (fromSdk as { error: Error & { $fault: string; $metadata: { httpStatusCode: number; requestId: string }; Item?: unknown } }).error;
    const ourError = (fromOurs as { error: unknown }).error;
    expect(ourError).toBeInstanceOf(ConditionalCheckFailedException);
    const e = ourError as ConditionalCheckFailedException;
    expect({ name: e.name, fault: e.$fault, status: e.$metadata.httpStatusCode, requestId: e.$metadata.requestId, message: e.message, Item: e.Item }).toEqual({
      name: sdkError.name,
      fault: sdkError.$fault,
      status: sdkError.$metadata.httpStatusCode,
      requestId: sdkError.$metadata.requestId,
      message: sdkError.message,
      Item: sdkError.Item,
    });
    expect(e.Item).toEqual({ pk: { S: "TENANT#t-1" }, n: { N: "1" } });
    expect(wire.captured).toHaveLength(2);
  });

  it("throttling and 5xx are retried as the SDK's DynamoDB client retries them: 4 attempts, 25 ms base, 1 s after throttling", async () => {
    const throttled = answerWith({ __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", message: "slow down" }, 400);
    const internal = answerWith({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "inside" }, 500);
    wire.answers = [throttled, internal, throttled];
    const clock = recordingClock();
    const out = await ours({ clock }).send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));
    expect(wire.captured).toHaveLength(4);
    expect(out.$metadata).toMatchObject({ attempts: 4, totalRetryDelay: clock.sleeps.reduce((a, b) => a + b, 0) });
    expect(clock.sleeps).toHaveLength(3);
    // Full jitter under caps of 1 s x 2^0, 25 ms x 2^1, 1 s x 2^2.
    expect(clock.sleeps[0]).toBeLessThan(1_000);
    expect(clock.sleeps[1]).toBeLessThan(50);
    expect(clock.sleeps[2]).toBeLessThan(4_000);
    // The SDK's own client says 4 attempts (amz-sdk-request: max=4) without our client options.
    const plain = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: wire.origin });
    expect(await plain.config.maxAttempts()).toBe(DYNAMODB_RETRY.maxAttempts);
    plain.destroy();

    wire.reset();
    wire.answers = [throttled, throttled, throttled, throttled];
    const error = await ours({ clock: recordingClock() }).send(new GetCommand({ TableName: "t", Key: { pk: "a" } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ProvisionedThroughputExceededException", $fault: "client", $metadata: { httpStatusCode: 400 } });
    expect(wire.captured).toHaveLength(4);
  });
});

describe("DynamoDBDocumentClient: a caller's abort", () => {
  it("ends the call in flight with the signal's reason, and it is not retried (as the SDK's abortSignal)", async () => {
    // An endpoint that never answers this request: only the abort can end it.
    wire.answers = [() => {}];
    const controller = new AbortController();
    const client = ours({ clock: recordingClock() });
    const pending = client.send(new UpdateCommand({ TableName: "t", Key: { pk: "LIMIT#im" }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 1 } }), { abortSignal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(wire.captured).toHaveLength(1), HANG_CAP);
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    controller.abort(reason);
    expect(await pending).toBe(reason);
    client.destroy();
    expect(wire.captured).toHaveLength(1);
    // A signal aborted before the call sends nothing.
    const late = await ours().send(new GetCommand({ TableName: "t", Key: { pk: "a" } }), { abortSignal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(late).toBe(reason);
    expect(wire.captured).toHaveLength(1);
  });
});

describe("DynamoDBDocumentClient: a caller's abort during a retry's backoff", () => {
  // The schedule store bounds each lease write with AbortSignal.timeout(1 s); a throttled
  // answer's backoff (up to 1 s, then 2 s, 4 s: 1 s base for throttling) slept on past that
  // abort, then the next attempt failed with it: the limiter waited seconds beyond its bound.
  it("ends the call at once with the signal's reason, and no further attempt is made", async () => {
    const throttled = answerWith({ __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", message: "slow down" }, 400);
    wire.answers = [throttled, throttled, throttled, throttled];
    let sleeping!: () => void;
    const asleep = new Promise<void>((resolve) => (sleeping = resolve));
    // The real clock's sleep (a ~999 ms backoff, the jitter pinned near its cap), told when it starts.
    const clock: Clock = { now: () => Date.now(), sleep: (ms, signal) => (sleeping(), systemClock.sleep(ms, signal)) };
    const client = new DynamoDBDocumentClient({ region: REGION, credentials: CREDENTIALS, endpoint: wire.origin, clock, random: () => 0.999 });
    const controller = new AbortController();
    let settled = false;
    const pending = client
      .send(new UpdateCommand({ TableName: "t", Key: { pk: "LIMIT#im" }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 1 } }), { abortSignal: controller.signal })
      .catch((e: unknown) => e)
      .finally(() => (settled = true));
    await asleep;
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    controller.abort(reason);
    // Settled before any timer could fire (the backoff's would in ~1 s): the abort ended the sleep.
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(true);
    expect(await pending).toBe(reason);
    expect(wire.captured).toHaveLength(1);
    client.destroy();
  });
});

describe("dynamoDbEndpoint", () => {
  it("goes to the endpoint the SDK's rules pick: region partitions, FIPS, dual-stack, a configured endpoint, and their errors", async () => {
    const client = new DynamoDBClient({ region: "us-east-1" });
    const sdkEndpoint = async (params: { Region?: string; UseFIPS: boolean; UseDualStack: boolean; Endpoint?: string }) => {
      try {
        return new URL((await client.config.endpointProvider({ ...params, AccountIdEndpointMode: "disabled" })).url.toString()).origin;
      } catch {
        return "error";
      }
    };
    const oursFor = (region: string, env: Record<string, string>) => {
      try {
        return dynamoDbEndpoint(region, env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return "error";
      }
    };
    const regions = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "us-gov-east-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1", "ap-southeast-7", "xx-nowhere-9"];
    const rows: string[][] = [];
    for (const region of regions) {
      for (const UseFIPS of [false, true]) {
        for (const UseDualStack of [false, true]) {
          const env = { ...(UseFIPS ? { AWS_USE_FIPS_ENDPOINT: "true" } : {}), ...(UseDualStack ? { AWS_USE_DUALSTACK_ENDPOINT: "true" } : {}) };
          rows.push([region, String(UseFIPS), String(UseDualStack), oursFor(region, env), await sdkEndpoint({ Region: region, UseFIPS, UseDualStack })]);
        }
      }
      for (const [UseFIPS, UseDualStack] of [[false, false], [true, false], [false, true]] as const) {
        const env = { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:4010", ...(UseFIPS ? { AWS_USE_FIPS_ENDPOINT: "true" } : {}), ...(UseDualStack ? { AWS_USE_DUALSTACK_ENDPOINT: "true" } : {}) };
        rows.push([region, String(UseFIPS), String(UseDualStack), oursFor(region, env), await sdkEndpoint({ Region: region, UseFIPS, UseDualStack, Endpoint: "http://127.0.0.1:4010" })]);
      }
    }
    client.destroy();
    expect(rows.filter((r) => r[3] !== r[4]).map((r) => r.join(" ")), "rows where ours and the SDK differ").toEqual([]);
    expect(rows.filter((r) => r[3] === "error").length, "some combinations are refused").toBeGreaterThan(0);
    expect(dynamoDbEndpoint("eu-west-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:1" })).toBe("http://127.0.0.1:1");
    expect(dynamoDbEndpoint("eu-west-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2" })).toBe("http://127.0.0.1:2");
    expect(dynamoDbEndpoint("eu-west-1", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" })).toBe("https://dynamodb.eu-west-1.amazonaws.com");
    expect(() => dynamoDbEndpoint("", {})).toThrow(/AWS_REGION/);
  });
});
