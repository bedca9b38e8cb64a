/**
 * Outcome events through the service's PutEvents (src/events/put-events.ts) to the local
 * EventBridge stand-in over HTTP: shapes, stable ids, calls of at most 10 entries and 256 KB,
 * partial failures; and the stand-in's checks, judged with the official
 * `@aws-sdk/client-eventbridge` (the yardstick of what the real service takes).
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { createOutcomeEventPublisher, OutcomeEventPublishError } from "../../../src/events/publisher.ts";
import { EventBridgePutEventsClient } from "../../../src/events/put-events.ts";
import type { Clock } from "../../../src/http/types.ts";
import { MAX_EVENT_ENTRY_BYTES, tenantDeprovisioned, tenantProvisioned, tenantProvisioningFailed } from "../../../src/events/types.ts";
import { type EventBridgeStandIn, localEventBusArn, startEventBridgeStandIn } from "../../../src/local/eventbridge.ts";

const BUS = "tenant-outcomes-test";
const AT = new Date("2026-11-30T12:00:00.000Z");
let bus: EventBridgeStandIn;
let client: EventBridgeClient;
let ours: EventBridgePutEventsClient;
/** Backoffs recorded, not waited. */
let sleeps: number[] = [];
const clock: Clock = { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
const savedEndpoint = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;

beforeAll(async () => {
  bus = await startEventBridgeStandIn({ eventBuses: [BUS] });
  // The SDK's own endpoint setting, as the local stack uses it: no `endpoint` option below.
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  client = new EventBridgeClient({ region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 });
  ours = new EventBridgePutEventsClient({ region: "us-east-1", credentials: async () => ({ accessKeyId: "local", secretAccessKey: "local" }), clock });
});
afterAll(async () => {
  client.destroy();
  ours.close();
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = savedEndpoint;
  await bus.close();
});
afterEach(() => {
  bus.reset();
  sleeps = [];
});

const publisher = () => createOutcomeEventPublisher({ eventBusName: BUS, client: ours });

describe("outcome event shapes", () => {
  it("carries a stable eventId = tenant:generation:outcome", () => {
    const a = tenantProvisioned({ tenantId: "acme-1", generation: 3, occurredAt: AT });
    const b = tenantProvisioned({ tenantId: "acme-1", generation: 3, occurredAt: new Date(AT.getTime() + 60_000) });
    expect(a.detail.eventId).toBe("acme-1:3:TenantProvisioned");
    expect(b.detail.eventId).toBe(a.detail.eventId);
    expect(tenantDeprovisioned({ tenantId: "acme-1", generation: 4 }).detail.eventId).toBe("acme-1:4:TenantDeprovisioned");
  });

  it.each([
    ["an empty tenantId", () => tenantProvisioned({ tenantId: "", generation: 1 }), /tenantId/],
    ["generation 0", () => tenantDeprovisioned({ tenantId: "t", generation: 0 }), /generation/],
    ["a fractional generation", () => tenantDeprovisioned({ tenantId: "t", generation: 1.5 }), /generation/],
    ["no step", () => tenantProvisioningFailed({ tenantId: "t", generation: 1 }, { step: "", status: "CONFLICT", code: "GroupConflict" }), /step/],
    ["no code", () => tenantProvisioningFailed({ tenantId: "t", generation: 1 }, { step: "im-group", status: "CONFLICT", code: "" }), /code/],
  ])("refuses %s, naming the field", (_label, make, field) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(field);
  });
});

describe("createOutcomeEventPublisher", () => {
  it("publishes each outcome with source tenant-provisioner, its detail-type and detail, through AWS_ENDPOINT_URL_EVENTBRIDGE", async () => {
    const events = [
      tenantProvisioned({ tenantId: "acme-1", generation: 1, occurredAt: AT }, { "im-group": "tenant-acme-1" }),
      tenantProvisioningFailed(
        { tenantId: "acme-2", generation: 2, occurredAt: AT },
        { step: "sls-consumer-group", status: "FAILED_PERMANENT", code: "ConsumerGroupQuotaExceed", provider: "sls", requestId: "5F1D0000AAAA" },
      ),
      tenantDeprovisioned({ tenantId: "acme-3", generation: 4, occurredAt: AT }),
    ];
    const published = await publisher().publish(events);
    expect(published.map((p) => p.eventId)).toEqual(["acme-1:1:TenantProvisioned", "acme-2:2:TenantProvisioningFailed", "acme-3:4:TenantDeprovisioned"]);
    expect(published.map((p) => p.awsEventId)).toEqual(bus.events.map((e) => e.id));
    expect(bus.events.map((e) => [e.eventBusName, e.source, e.detailType, e.time])).toEqual([
      [BUS, "tenant-provisioner", "TenantProvisioned", AT.toISOString()],
      [BUS, "tenant-provisioner", "TenantProvisioningFailed", AT.toISOString()],
      [BUS, "tenant-provisioner", "TenantDeprovisioned", AT.toISOString()],
    ]);
    expect(bus.events[1]?.detail).toEqual({
      eventId: "acme-2:2:TenantProvisioningFailed",
      tenantId: "acme-2",
      generation: 2,
      occurredAt: AT.toISOString(),
      step: "sls-consumer-group",
      status: "FAILED_PERMANENT",
      code: "ConsumerGroupQuotaExceed",
      provider: "sls",
      requestId: "5F1D0000AAAA",
    });
  });

  it("sends 23 events in three PutEvents calls of at most 10", async () => {
    const events = Array.from({ length: 23 }, (_, i) => tenantProvisioned({ tenantId: `t-${i}`, generation: 1 }));
    await publisher().publish(events);
    expect(bus.calls["PutEvents"]).toBe(3);
    expect(bus.events).toHaveLength(23);
  });

  it("keeps each call within 256 KB of entries: three events of ~100 KB go out in two calls", async () => {
    const big = (tenantId: string) =>
      tenantProvisioningFailed({ tenantId, generation: 1 }, { step: "im-group", status: "CONFLICT", code: "GroupConflict", message: "m".repeat(100 * 1024) });
    const published = await publisher().publish([big("a"), big("b"), big("c")]);
    expect(published.map((p) => p.eventId)).toEqual(["a:1:TenantProvisioningFailed", "b:1:TenantProvisioningFailed", "c:1:TenantProvisioningFailed"]);
    expect(bus.calls["PutEvents"]).toBe(2);
    expect(bus.events.map((e) => e.detail["tenantId"])).toEqual(["a", "b", "c"]);
  });

  it("accepts the bus by ARN", async () => {
    await createOutcomeEventPublisher({ eventBusName: localEventBusArn(BUS), client: ours }).publish(tenantDeprovisioned({ tenantId: "t", generation: 1 }));
    expect(bus.events[0]?.eventBusName).toBe(BUS);
  });

  it("throws a retryable OutcomeEventPublishError on a partial failure (FailedEntryCount > 0), naming the failed events", async () => {
    bus.failEntries(1, "InternalFailure");
    const events = [tenantProvisioned({ tenantId: "a", generation: 1 }), tenantProvisioned({ tenantId: "b", generation: 1 })];
    const error = await publisher().publish(events).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeEventPublishError);
    expect(error).toMatchObject({
      retryable: true,
      failed: [{ eventId: "a:1:TenantProvisioned", errorCode: "InternalFailure" }],
      published: ["b:1:TenantProvisioned"],
    });
    expect(bus.events.map((e) => e.detail["tenantId"])).toEqual(["b"]);
  });

  it("is not retryable when an entry fails for good (an unknown bus: InvalidArgument)", async () => {
    const error = await createOutcomeEventPublisher({ eventBusName: "no-such-bus", client: ours }).publish(tenantDeprovisioned({ tenantId: "t", generation: 1 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "OutcomeEventPublishError", retryable: false, failed: [{ errorCode: "InvalidArgument" }] });
    expect((error as Error).message).not.toMatch(/undefined/);
  });

  it("reports a call throttled on every attempt as retryable, and a ValidationException as not", async () => {
    bus.failNext("PutEvents", { type: "ThrottlingException", message: "Rate exceeded" }, 3);
    await expect(publisher().publish(tenantDeprovisioned({ tenantId: "t", generation: 1 }))).rejects.toMatchObject({
      retryable: true,
      failed: [{ errorCode: "ThrottlingException" }],
    });
    expect(bus.calls["PutEvents"]).toBe(3);
    bus.failNext("PutEvents", { type: "ValidationException", message: "bad" });
    await expect(publisher().publish(tenantDeprovisioned({ tenantId: "t", generation: 1 }))).rejects.toMatchObject({ retryable: false });
    expect(bus.calls["PutEvents"], "a ValidationException is not retried").toBe(4);
  });

  it("a throttled call that passes on a later attempt publishes (the SDK's standard retries)", async () => {
    bus.failNext("PutEvents", { type: "ThrottlingException", message: "Rate exceeded" }, 2);
    await publisher().publish(tenantDeprovisioned({ tenantId: "t", generation: 1 }));
    expect(bus.events).toHaveLength(1);
    expect(sleeps).toHaveLength(2);
  });

  it("refuses a detail over 256 KB before sending anything", async () => {
    const huge = tenantProvisioningFailed({ tenantId: "t", generation: 1 }, { step: "im-group", status: "CONFLICT", code: "GroupConflict", message: "x".repeat(MAX_EVENT_ENTRY_BYTES) });
    const small = tenantDeprovisioned({ tenantId: "t", generation: 1 });
    await expect(publisher().publish([small, huge])).rejects.toThrow(/detail.*262144/);
    expect(bus.calls["PutEvents"]).toBeUndefined();
  });
});

describe("EventBridge stand-in checks (as the real PutEvents)", () => {
  const put = (entries: unknown) => client.send(new PutEventsCommand({ Entries: entries as never }));

  it("refuses 0 or 11 entries with ValidationException", async () => {
    await expect(put([])).rejects.toMatchObject({ name: "ValidationException" });
    const eleven = Array.from({ length: 11 }, () => ({ Source: "s", DetailType: "d", Detail: "{}", EventBusName: BUS }));
    await expect(put(eleven)).rejects.toMatchObject({ name: "ValidationException" });
    expect(bus.events).toEqual([]);
  });

  it("refuses a request whose entries total more than 256 KB", async () => {
    const half = JSON.stringify({ x: "y".repeat(140 * 1024) });
    await expect(put([{ Source: "s", DetailType: "d", Detail: half }, { Source: "s", DetailType: "d", Detail: half }])).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("fails bad entries one by one and accepts the rest", async () => {
    const result = await put([
      { Source: "s", DetailType: "d", Detail: '{"ok":true}', EventBusName: BUS },
      { DetailType: "d", Detail: "{}", EventBusName: BUS },
      { Source: "s", Detail: "{}", EventBusName: BUS },
      { Source: "s", DetailType: "d", EventBusName: BUS },
      { Source: "s", DetailType: "d", Detail: "not json", EventBusName: BUS },
      { Source: "s", DetailType: "d", Detail: "[1,2]", EventBusName: BUS },
      { Source: "s", DetailType: "d", Detail: "{}", EventBusName: "missing" },
      { Source: "aws.ec2", DetailType: "d", Detail: "{}", EventBusName: BUS },
    ]);
    expect(result.FailedEntryCount).toBe(7);
    expect(result.Entries?.map((e) => e.ErrorCode ?? "ok")).toEqual([
      "ok",
      "InvalidArgument",
      "InvalidArgument",
      "InvalidArgument",
      "MalformedDetail",
      "MalformedDetail",
      "InvalidArgument",
      "NotAuthorizedForSourceException",
    ]);
    expect(result.Entries?.[1]?.ErrorMessage).toMatch(/Source/);
    expect(bus.events).toHaveLength(1);
  });

  it("sends recorded events to subscribers, and a failing subscriber does not fail the call", async () => {
    const seen: string[] = [];
    const stop = bus.subscribe((e) => seen.push(e.detailType));
    const stopBad = bus.subscribe(() => {
      throw new Error("printer broke");
    });
    try {
      await publisher().publish(tenantProvisioned({ tenantId: "t", generation: 1 }));
      expect(seen).toEqual(["TenantProvisioned"]);
    } finally {
      stop();
      stopBad();
    }
  });
});
