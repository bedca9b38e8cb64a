/**
 * The service's own PutEvents (src/events/put-events.ts over src/aws/json-rpc.ts) against the
 * official SDK, `@aws-sdk/client-eventbridge` (a devDependency: tests only): the same request on
 * the wire for the same input (method, path, protocol headers, body bytes, credential scope, a
 * signature that verifies), the endpoint its rules pick, the same reading of answers (per-entry
 * results, errors by name, fault and status), the SDK's standard retries, and the local
 * EventBridge stand-in answering both alike.
 */
import type { ServerResponse } from "node:http";
import { EventBridgeClient, InternalException as SdkInternalException, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AwsServiceError } from "../../../src/aws/json-rpc.ts";
import { ConfigurationError, ValidationError } from "../../../src/errors.ts";
import { EventBridgePutEventsClient, eventBridgeEndpoint, InternalException, type PutEventsRequestEntry } from "../../../src/events/put-events.ts";
import type { Clock } from "../../../src/http/types.ts";
import { type EventBridgeStandIn, localEventBusArn, startEventBridgeStandIn } from "../../../src/local/eventbridge.ts";
import { type CapturedRequest as Captured, type CapturingServer, expectSdkRequest, recordingClock, startCapturingServer } from "../../support/aws-wire.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };
const REGION = "eu-west-1";

/** PutEvents' success for every entry of the request. */
const success = (req: Captured, res: ServerResponse) => {
  const entries = (JSON.parse(req.body) as { Entries: unknown[] }).Entries;
  res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-ok" });
  res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `11710aed-b79e-4468-a20b-bb3c0c3b4${String(i).padStart(3, "0")}` })) }));
};
const eventsError = (status: number, type: string, message = `${type} happened`) => (_req: Captured, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-err" });
  res.end(JSON.stringify({ __type: type, message }));
};

let wire: CapturingServer;
let standIn: EventBridgeStandIn;

beforeAll(async () => {
  wire = await startCapturingServer(success);
  standIn = await startEventBridgeStandIn({ eventBuses: ["tenant-outcomes"] });
});
afterAll(async () => {
  await wire.close();
  await standIn.close();
});
afterEach(() => {
  wire.reset();
  standIn.reset();
});

const ours = (options: { endpoint?: string; clock?: Clock } = {}) =>
  new EventBridgePutEventsClient({ region: REGION, credentials: async () => CREDENTIALS, endpoint: wire.origin, ...options });
const sdk = (endpoint = wire.origin) => new EventBridgeClient({ region: REGION, credentials: CREDENTIALS, endpoint, maxAttempts: 1 });
async function sdkPut(entries: PutEventsRequestEntry[], endpoint?: string) {
  const client = sdk(endpoint);
  try {
    return await client.send(new PutEventsCommand({ Entries: entries as never }));
  } finally {
    client.destroy();
  }
}
const SIGNING = () => ({ service: "events", region: REGION, credentials: CREDENTIALS, origin: wire.origin });

/** Ten entries: every member, absent members, a bus by ARN, text that JSON must escape, milliseconds and whole seconds. */
const TEN: PutEventsRequestEntry[] = [
  {
    EventBusName: "tenant-outcomes",
    Detail: JSON.stringify({ name: "Zoë's café ✓ 🚀", quote: '"\\', control: "\u0001\t\n", separator: "\u2028" }),
    DetailType: "TenantProvisioned",
    Source: "tenant-provisioner",
    Time: new Date("2026-11-30T12:00:00.123Z"),
    Resources: ["arn:aws:s3:::bucket-1", "ü"],
    TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793",
  },
  { Source: "tenant-provisioner", DetailType: "TenantDeprovisioned", Detail: "{}" },
  { Source: "tenant-provisioner", DetailType: "TenantDeprovisioned", Detail: "{}", Time: new Date("2026-11-30T12:00:00.000Z"), EventBusName: localEventBusArn("tenant-outcomes") },
  ...Array.from({ length: 7 }, (_, i) => ({ Source: "s", DetailType: `d${i}`, Detail: JSON.stringify({ i }), Time: new Date(1_764_504_000_000 + i * 7), EventBusName: "b" })),
];

describe("EventBridgePutEventsClient: the SDK's request", () => {
  it("sends what the official SDK sends for the same ten entries: method, path, protocol headers, body bytes, credential scope, a valid signature", async () => {
    const fromSdkOutput = await sdkPut(TEN);
    const client = ours();
    const output = await client.putEvents({ Entries: TEN });
    client.close();
    expect(output).toEqual({ FailedEntryCount: fromSdkOutput.FailedEntryCount, Entries: fromSdkOutput.Entries });

    expect(wire.captured).toHaveLength(2);
    const [fromSdk, fromOurs] = wire.captured as [Captured, Captured];
    await expectSdkRequest(fromSdk, fromOurs, ["content-type", "x-amz-target", "host", "content-length", "x-amz-security-token", "x-amz-content-sha256"], SIGNING(), (b) => b.replace("Zoë", "Zoe"));
    expect(fromOurs.headers["x-amz-target"]).toBe("AWSEvents.PutEvents");
    expect(fromOurs.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(fromOurs.headers["x-amzn-query-mode"], "EventBridge is not query compatible").toBeUndefined();
  });

  it("goes to the endpoint the SDK's rules pick: region partitions, FIPS, dual-stack, and their errors", async () => {
    const client = new EventBridgeClient({ region: "us-east-1" });
    const sdkEndpoint = async (params: { Region?: string; UseFIPS: boolean; UseDualStack: boolean; Endpoint?: string }) => {
      try {
        return new URL((await client.config.endpointProvider(params)).url.toString()).origin;
      } catch {
        return "error";
      }
    };
    const oursFor = (region: string | undefined, env: Record<string, string>) => {
      try {
        return eventBridgeEndpoint(region, env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return "error";
      }
    };
    const regions = ["us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1", "ap-southeast-7", "xx-nowhere-9"];
    const rows: [string, boolean, boolean, string, string][] = [];
    for (const region of regions) {
      for (const UseFIPS of [false, true]) {
        for (const UseDualStack of [false, true]) {
          const env = { ...(UseFIPS ? { AWS_USE_FIPS_ENDPOINT: "true" } : {}), ...(UseDualStack ? { AWS_USE_DUALSTACK_ENDPOINT: "true" } : {}) };
          rows.push([region, UseFIPS, UseDualStack, oursFor(region, env), await sdkEndpoint({ Region: region, UseFIPS, UseDualStack })]);
        }
      }
      // A configured endpoint wins, alone; with FIPS or dual-stack the SDK refuses it.
      for (const [UseFIPS, UseDualStack] of [[false, false], [true, false], [false, true]] as const) {
        const env = { AWS_ENDPOINT_URL_EVENTBRIDGE: "http://127.0.0.1:4010", ...(UseFIPS ? { AWS_USE_FIPS_ENDPOINT: "true" } : {}), ...(UseDualStack ? { AWS_USE_DUALSTACK_ENDPOINT: "true" } : {}) };
        rows.push([region, UseFIPS, UseDualStack, oursFor(region, env), await sdkEndpoint({ Region: region, UseFIPS, UseDualStack, Endpoint: "http://127.0.0.1:4010" })]);
      }
    }
    client.destroy();
    expect(rows.filter((r) => r[3] !== r[4]).map((r) => r.join(" ")), "rows where ours and the SDK differ").toEqual([]);
    expect(rows.filter((r) => r[3] === "error").length, "some combinations are refused").toBeGreaterThan(0);
    expect(eventBridgeEndpoint("eu-west-1", {})).toBe("https://events.eu-west-1.amazonaws.com");
    expect(eventBridgeEndpoint("cn-north-1", {})).toBe("https://events.cn-north-1.amazonaws.com.cn");
    expect(() => eventBridgeEndpoint(undefined, {})).toThrow(/AWS_REGION/);
    expect(() => eventBridgeEndpoint("eu-west-1", { AWS_USE_FIPS_ENDPOINT: "yes" })).toThrow(/AWS_USE_FIPS_ENDPOINT: must be "true" or "false"/);
    expect(eventBridgeEndpoint("eu-west-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:1" })).toBe("http://127.0.0.1:1");
  });
});

describe("EventBridgePutEventsClient: answers", () => {
  it("reads per-entry results as the SDK does: FailedEntryCount, EventId or ErrorCode/ErrorMessage in the request's order", async () => {
    const answer = (_req: Captured, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ FailedEntryCount: 2, Entries: [{ EventId: "e-1" }, { ErrorCode: "InternalFailure", ErrorMessage: "try again" }, { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }], Unmodeled: 1 }));
    };
    wire.answers = [answer, answer];
    const entries = TEN.slice(0, 3);
    const theirs = await sdkPut(entries);
    const mine = await ours().putEvents({ Entries: entries });
    expect(mine).toEqual({ FailedEntryCount: theirs.FailedEntryCount, Entries: theirs.Entries });
    expect(mine.Entries?.map((e) => e.ErrorCode ?? e.EventId)).toEqual(["e-1", "InternalFailure", "MalformedDetail"]);
  });

  it("the local EventBridge stand-in accepts our request as it accepts the SDK's, and fails the same entries with the same codes", async () => {
    const entries: PutEventsRequestEntry[] = [
      { Source: "tenant-provisioner", DetailType: "TenantProvisioned", Detail: JSON.stringify({ ok: "Zoë ✓" }), EventBusName: "tenant-outcomes", Time: new Date("2026-11-30T12:00:00.500Z") },
      { DetailType: "d", Detail: "{}", EventBusName: "tenant-outcomes" },
      { Source: "s", DetailType: "d", Detail: "[1]", EventBusName: "tenant-outcomes" },
      { Source: "s", DetailType: "d", Detail: "{}", EventBusName: "missing" },
      { Source: "aws.ec2", DetailType: "d", Detail: "{}", EventBusName: "tenant-outcomes" },
      { Source: "s", DetailType: "d", Detail: "{}", EventBusName: localEventBusArn("tenant-outcomes"), Resources: ["r-1"] },
    ];
    const theirs = await sdkPut(entries, standIn.endpoint);
    // Without the stand-in's ids, and the arrival time of an entry without Time.
    const recorded = () => standIn.events.map(({ id: _id, ...event }, i) => ({ ...event, time: entries[i === 0 ? 0 : 5]?.Time ? event.time : "arrival" }));
    const fromSdk = recorded();
    standIn.reset();
    const client = ours({ endpoint: standIn.endpoint });
    const mine = await client.putEvents({ Entries: entries });
    client.close();
    const fromOurs = recorded();
    const codes = (out: { Entries?: { ErrorCode?: string | undefined; ErrorMessage?: string | undefined; EventId?: string | undefined }[] | undefined }) =>
      out.Entries?.map((e) => (e.EventId ? "ok" : `${e.ErrorCode}: ${e.ErrorMessage}`));
    expect(mine.FailedEntryCount).toBe(theirs.FailedEntryCount);
    expect(mine.FailedEntryCount).toBe(4);
    expect(codes(mine)).toEqual(codes(theirs));
    expect(fromOurs).toEqual(fromSdk);
    expect(fromOurs.map((e) => [e.time, e.resources])).toEqual([
      ["2026-11-30T12:00:00.500Z", []],
      ["arrival", ["r-1"]],
    ]);
    expect(standIn.calls["PutEvents"]).toBe(1);
  });

  it("a modeled InternalException (500) is retried, then thrown with the SDK's name, fault, status and message", async () => {
    wire.answers = [eventsError(500, "InternalException", "inside")];
    const sdkError = await sdkPut(TEN.slice(0, 1)).then(() => undefined, (e: unknown) => e as SdkInternalException);
    expect(sdkError).toBeInstanceOf(SdkInternalException);
    wire.captured = [];

    wire.answers = [0, 1, 2].map(() => eventsError(500, "InternalException", "inside"));
    const clock = recordingClock();
    const error = await ours({ clock }).putEvents({ Entries: TEN.slice(0, 1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalException);
    expect(error).toBeInstanceOf(AwsServiceError);
    const e = error as InternalException;
    expect({ name: e.name, fault: e.$fault, status: e.$metadata.httpStatusCode, message: e.message }).toEqual({
      name: sdkError?.name,
      fault: sdkError?.$fault,
      status: sdkError?.$metadata.httpStatusCode,
      message: sdkError?.message,
    });
    expect(wire.captured).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it.each([
    ["ThrottlingException", 400, true, "throttled: backs off from 500 ms"],
    ["ServiceUnavailableException", 503, true, "a 5xx"],
    ["InternalFailure", 500, true, "a 5xx"],
    ["AccessDeniedException", 400, false, "not retried"],
    ["ValidationException", 400, false, "not retried"],
    ["UnrecognizedClientException", 400, false, "not retried"],
  ])("%s (HTTP %i): retried %s, as the SDK's standard mode (%s); the same name, fault and status as the SDK's error", async (type, status, retried) => {
    wire.answers = [eventsError(status, type)];
    const sdkError = (await sdkPut(TEN.slice(0, 1)).then(() => undefined, (e: unknown) => e)) as { name: string; $fault: string; $metadata: { httpStatusCode: number } };
    wire.captured = [];
    wire.answers = [0, 1, 2].map(() => eventsError(status, type));
    const clock = recordingClock();
    const error = (await ours({ clock }).putEvents({ Entries: TEN.slice(0, 1) }).catch((e: unknown) => e)) as AwsServiceError;
    expect(error).toBeInstanceOf(AwsServiceError);
    expect([error.name, error.$fault, error.$metadata.httpStatusCode]).toEqual([sdkError.name, sdkError.$fault, sdkError.$metadata.httpStatusCode]);
    expect(wire.captured).toHaveLength(retried ? 3 : 1);
    if (type === "ThrottlingException") expect(clock.sleeps.every((ms) => ms <= 20_000) && clock.sleeps.length === 2).toBe(true);
  });

  it("checks what the service would refuse whole before sending: 0 or 11 entries, over 256 KB together, an invalid Time", async () => {
    const client = ours();
    const refusals = [
      [[], /Entries: 1 to 10 entries \(is 0\)/],
      [Array.from({ length: 11 }, () => TEN[1] as PutEventsRequestEntry), /Entries: 1 to 10 entries \(is 11\)/],
      [[{ Source: "s", DetailType: "d", Detail: JSON.stringify({ x: "y".repeat(130 * 1024) }) }, { Source: "s", DetailType: "d", Detail: JSON.stringify({ x: "y".repeat(130 * 1024) }) }], /Entries: at most 262144 bytes together/],
      [[{ Source: "s", DetailType: "d", Detail: "{}", Time: new Date(Number.NaN) }], /Entries\.0\.Time: a valid Date/],
    ] as const;
    for (const [entries, message] of refusals) {
      const error = await client.putEvents({ Entries: entries as readonly PutEventsRequestEntry[] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
    }
    expect(wire.captured).toEqual([]);
    // Exactly 256 KB together is within the limit.
    const half = 128 * 1024 - 2;
    await client.putEvents({ Entries: [{ Source: "s", DetailType: "d", Detail: "x".repeat(half) }, { Source: "s", DetailType: "d", Detail: "x".repeat(half) }] });
    expect(wire.captured).toHaveLength(1);
  });
});
