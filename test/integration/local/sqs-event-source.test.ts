import { createHash } from "node:crypto";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSqsEventSource } from "../../../src/local/sqs-event-source.ts";
import type { SqsEventSource, SqsEventSourceOptions } from "../../../src/local/sqs-event-source.ts";
import { startSqsStandIn } from "../../../src/local/sqs.ts";
import type { SqsStandIn } from "../../../src/local/sqs.ts";

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000; // a cap for a hang, not a timing: it returns as soon as the condition holds
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let sqs: SqsStandIn;
let client: SQSClient;
const sources: SqsEventSource[] = [];

beforeAll(async () => {
  sqs = await startSqsStandIn({
    queues: [
      { name: "partial", visibilityTimeoutMs: 100 },
      { name: "throws", visibilityTimeoutMs: 100 },
      { name: "poison", redrive: { deadLetterQueueName: "poison-dlq", maxReceiveCount: 3 } },
      { name: "poison-dlq" },
      { name: "invalid", visibilityTimeoutMs: 100 },
      { name: "stop" },
    ],
  });
  client = new SQSClient({
    region: "us-east-1",
    endpoint: sqs.endpoint,
    credentials: { accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in-secret" },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  client.destroy();
  await sqs.close();
});

async function sendAll(queue: string, bodies: readonly string[]): Promise<void> {
  const out = await client.send(
    new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl(queue), Entries: bodies.map((b, i) => ({ Id: `e${i}`, MessageBody: b })) }),
  );
  expect(out.Failed ?? []).toEqual([]);
}

/** Starts an event source on `queue`, recording every event it delivers. */
function start(
  queue: string,
  handler: SqsEventSourceOptions["handler"],
  extra: Partial<SqsEventSourceOptions> = {},
): { source: SqsEventSource; events: SQSEvent[]; errors: unknown[] } {
  const events: SQSEvent[] = [];
  const errors: unknown[] = [];
  const source = startSqsEventSource({
    client,
    queueUrl: sqs.queueUrl(queue),
    queueArn: sqs.queueArn(queue),
    pollIntervalMs: 10,
    onError: (error) => errors.push(error),
    handler: (event) => {
      events.push(event);
      return handler(event);
    },
    ...extra,
  });
  sources.push(source);
  return { source, events, errors };
}

const bodiesOf = (event: SQSEvent | undefined): string[] => (event?.Records ?? []).map((r) => r.body).sort();
const failuresFor = (records: readonly SQSRecord[]): SQSBatchResponse => ({
  batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })),
});

describe("local SQS event source mapping", () => {
  it("delivers a real SQSEvent, deletes the records that succeeded and redelivers only the failed one", async () => {
    await sendAll("partial", ["a", "b", "c"]);
    const { source, events, errors } = start("partial", async (event) => {
      // "b" fails on its first delivery only.
      const failed = event.Records.filter((r) => r.body === "b" && r.attributes.ApproximateReceiveCount === "1");
      return failuresFor(failed);
    });
    await until(() => sqs.messages("partial").length === 0, "the queue to drain");

    expect(bodiesOf(events[0])).toEqual(["a", "b", "c"]);
    expect(events.slice(1).flatMap((e) => e.Records.map((r) => r.body))).toEqual(["b"]);
    const retried = events[1]?.Records[0];
    expect(retried?.attributes.ApproximateReceiveCount).toBe("2");
    expect(retried?.messageId).toBe(events[0]?.Records.find((r) => r.body === "b")?.messageId);

    const first = events[0]?.Records[0];
    expect(first).toMatchObject({
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:partial",
      awsRegion: "us-east-1",
      messageAttributes: {},
      md5OfBody: createHash("md5").update(first?.body ?? "").digest("hex"),
      attributes: { ApproximateReceiveCount: "1", SenderId: "AKIDSTANDIN" },
    });
    expect(Number(first?.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(first?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);

    await source.stop();
    expect(source.stats).toEqual({ batches: 2, records: 4, failures: 1 });
    expect(errors).toEqual([]);
  });

  it("redelivers the whole batch when the handler throws", async () => {
    await sendAll("throws", ["x", "y", "z"]);
    let calls = 0;
    const { source, events, errors } = start("throws", async () => {
      if (++calls === 1) throw new Error("handler crashed");
    });
    await until(() => sqs.messages("throws").length === 0, "the queue to drain");
    await source.stop();

    expect(events).toHaveLength(2);
    expect(bodiesOf(events[1])).toEqual(["x", "y", "z"]);
    expect(events[1]?.Records.every((r) => r.attributes.ApproximateReceiveCount === "2")).toBe(true);
    expect(source.stats).toEqual({ batches: 2, records: 6, failures: 3 });
    expect(errors).toEqual([expect.objectContaining({ message: "handler crashed" })]);
  });

  it("treats a batchItemFailures entry that names no record of the batch as a failed batch, as Lambda does", async () => {
    await sendAll("invalid", ["p", "q"]);
    let calls = 0;
    const { source, events } = start("invalid", async () =>
      ++calls === 1 ? { batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] } : { batchItemFailures: [] },
    );
    await until(() => sqs.messages("invalid").length === 0, "the queue to drain");
    await source.stop();
    expect(bodiesOf(events[1])).toEqual(["p", "q"]);
  });

  it("ends a poison message in the dead-letter queue after maxReceiveCount deliveries, with quick local retries", async () => {
    await sendAll("poison", ["good", "poison"]);
    const { source, events } = start(
      "poison",
      async (event) => failuresFor(event.Records.filter((r) => r.body === "poison")),
      { failedRecordVisibilitySeconds: 0 },
    );
    await until(() => sqs.messages("poison-dlq").length === 1, "the poison message to be dead-lettered");
    await source.stop();

    expect(sqs.messages("poison")).toEqual([]);
    expect(sqs.messages("poison-dlq")).toEqual(["poison"]);
    const poisonDeliveries = events.flatMap((e) => e.Records).filter((r) => r.body === "poison");
    expect(poisonDeliveries.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2", "3"]);
    expect(events.flatMap((e) => e.Records).filter((r) => r.body === "good")).toHaveLength(1);
  });

  it("stop() lets the batch in flight finish, then stops polling", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await sendAll("stop", ["first"]);
    const { source, events } = start("stop", async () => {
      await released;
    });
    await until(() => events.length === 1, "the first batch");

    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false);
    release();
    await stopping;
    // The batch's delete completed before stop() resolved.
    expect(sqs.messages("stop")).toEqual([]);

    await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl("stop"), MessageBody: "after stop" }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toHaveLength(1);
    expect(sqs.depth("stop")).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });
});
