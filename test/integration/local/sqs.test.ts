import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from "@aws-sdk/client-sqs";
import type { Message } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSqsStandIn } from "../../../src/local/sqs.ts";
import type { SqsStandIn } from "../../../src/local/sqs.ts";

const md5 = (data: string | Uint8Array): string => createHash("md5").update(data).digest("hex");

/** Polls until `check` returns a value, for states that arrive after a visibility timeout. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000; // a cap for a hang, not a timing: it returns as soon as the state is there
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

let sqs: SqsStandIn;
let client: SQSClient;
let work: string;
let shortVisibility: string;

// A fresh stand-in per test: no test sees another's messages.
beforeEach(async () => {
  sqs = await startSqsStandIn({
    queues: [
      { name: "work", redrive: { deadLetterQueueName: "work-dlq", maxReceiveCount: 2 } },
      { name: "work-dlq" },
      { name: "short", visibilityTimeoutMs: 100 },
    ],
    maxWaitMs: 2_000,
  });
  client = new SQSClient({
    region: "us-east-1",
    endpoint: sqs.endpoint,
    credentials: { accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in-secret" },
    maxAttempts: 1,
  });
  work = sqs.queueUrl("work");
  shortVisibility = sqs.queueUrl("short");
});

afterEach(async () => {
  client.destroy();
  await sqs.close();
});

async function receive(queueUrl: string, extra: { MaxNumberOfMessages?: number; VisibilityTimeout?: number } = {}): Promise<Message[]> {
  const out = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"], ...extra }),
  );
  return out.Messages ?? [];
}

describe("SQS stand-in with the real SDK client", () => {
  it("resolves queue URLs and round-trips a message: send, receive, delete", async () => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: "work" }));
    expect(QueueUrl).toBe(`${sqs.endpoint}/000000000000/work`);

    // Multi-byte characters: the SDK checks MD5OfMessageBody/MD5OfBody over the UTF-8 bytes.
    const body = JSON.stringify({ tenantId: "t-1", name: "Ünïcødé 租户 🚀" });
    const sent = await client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: body }));
    expect(sent.MD5OfMessageBody).toBe(md5(Buffer.from(body, "utf8")));
    expect(sqs.messages("work")).toEqual([body]);

    const [message, ...rest] = await receive(work, { MaxNumberOfMessages: 10 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: sent.MD5OfMessageBody });
    expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: "AKIDSTANDIN" });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(sqs.depth("work")).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    await client.send(new DeleteMessageCommand({ QueueUrl: work, ReceiptHandle: message?.ReceiptHandle }));
    expect(sqs.depth("work")).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await receive(work)).toEqual([]);
  });

  it("hides a received message for the visibility timeout, then shows it again with a higher receive count", async () => {
    const sent = await client.send(new SendMessageCommand({ QueueUrl: shortVisibility, MessageBody: "hidden" }));
    const [first] = await receive(shortVisibility);
    expect(first?.MessageId).toBe(sent.MessageId);
    expect(await receive(shortVisibility)).toEqual([]);

    const [again] = await eventually(async () => {
      const got = await receive(shortVisibility);
      return got.length > 0 ? got : undefined;
    }, "the message to reappear");
    expect(again?.MessageId).toBe(sent.MessageId);
    expect(again?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(again?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(first?.Attributes?.ApproximateFirstReceiveTimestamp);
  });

  it("makes a message visible at once with ChangeMessageVisibility 0, and refuses it for a message not in flight", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: "retry-me" }));
    const [first] = await receive(work);
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: work, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(sqs.depth("work").visible).toBe(1);
    await expect(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: work, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 })),
    ).rejects.toMatchObject({ name: "MessageNotInflight" });
    const [second] = await receive(work);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe("2");
  });

  it("moves a message to the dead-letter queue on the receive that would exceed maxReceiveCount", async () => {
    const sent = await client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: "poison" }));
    for (const expectedCount of ["1", "2"]) {
      const [m] = await receive(work, { VisibilityTimeout: 0 });
      expect(m?.Attributes?.ApproximateReceiveCount).toBe(expectedCount);
    }
    expect(await receive(work)).toEqual([]);
    expect(sqs.messages("work")).toEqual([]);
    expect(sqs.messages("work-dlq")).toEqual(["poison"]);

    const [dead] = await receive(sqs.queueUrl("work-dlq"));
    expect(dead?.MessageId).toBe(sent.MessageId);
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(sqs.queueArn("work"));
  });

  it("sends and deletes in batches, reporting bad entries per entry", async () => {
    const bodies = ["a", "b", "ç-3"];
    const sent = await client.send(
      new SendMessageBatchCommand({ QueueUrl: work, Entries: bodies.map((body, i) => ({ Id: `m${i}`, MessageBody: body })) }),
    );
    expect(sent.Failed ?? []).toEqual([]);
    expect(sent.Successful?.map((s) => s.MD5OfMessageBody)).toEqual(bodies.map((b) => md5(b)));
    expect(sqs.messages("work")).toEqual(bodies);

    const received = await receive(work, { MaxNumberOfMessages: 10 });
    expect(received.map((m) => m.Body)).toEqual(bodies);
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: work,
        Entries: [
          ...received.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: "bogus", ReceiptHandle: "not-a-handle" },
        ],
      }),
    );
    expect(deleted.Successful?.map((s) => s.Id)).toEqual(["d0", "d1", "d2"]);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: "bogus", Code: "ReceiptHandleIsInvalid", SenderFault: true })]);
    expect(sqs.messages("work")).toEqual([]);

    await expect(
      client.send(new SendMessageBatchCommand({ QueueUrl: work, Entries: [{ Id: "x", MessageBody: "1" }, { Id: "x", MessageBody: "2" }] })),
    ).rejects.toMatchObject({ name: "BatchEntryIdsNotDistinct" });
    expect(sqs.messages("work")).toEqual([]);
  });

  it("counts visible and in-flight messages in GetQueueAttributes and reports the queue ARN and redrive policy", async () => {
    for (const body of ["1", "2", "3"]) await client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: body }));
    await receive(work);
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: work, AttributeNames: ["All"] }));
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: "2",
      ApproximateNumberOfMessagesNotVisible: "1",
      QueueArn: "arn:aws:sqs:us-east-1:000000000000:work",
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:work-dlq",
      maxReceiveCount: 2,
    });
    const only = await client.send(new GetQueueAttributesCommand({ QueueUrl: work, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(only.Attributes).toEqual({ ApproximateNumberOfMessages: "2" });
  });

  it("answers an unknown queue with the SDK's QueueDoesNotExist", async () => {
    const byName = client.send(new GetQueueUrlCommand({ QueueName: "nope" }));
    await expect(byName).rejects.toBeInstanceOf(QueueDoesNotExist);
    const byUrl = client.send(new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope`, MessageBody: "x" }));
    await expect(byUrl).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(byUrl).rejects.toMatchObject({ Code: "AWS.SimpleQueueService.NonExistentQueue", $metadata: { httpStatusCode: 400 } });
  });

  it("rejects out-of-range receive parameters and invalid bodies as SQS does", async () => {
    const tooMany = client.send(new ReceiveMessageCommand({ QueueUrl: work, MaxNumberOfMessages: 11 }));
    await expect(tooMany).rejects.toBeInstanceOf(SQSServiceException);
    await expect(tooMany).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: "bad \u0001 char" }))).rejects.toMatchObject({
      name: "InvalidMessageContents",
    });
    expect(sqs.messages("work")).toEqual([]);
  });

  it("refuses message attributes (nothing sends them) rather than storing them without their digests", async () => {
    for (const extra of [
      { MessageAttributes: { tenant: { DataType: "String", StringValue: "t-1" } } },
      { MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793" } } },
    ]) {
      await expect(client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: "with attributes", ...extra }))).rejects.toMatchObject({
        name: "UnsupportedOperation",
      });
    }
    const batch = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: work,
        Entries: [
          { Id: "plain", MessageBody: "plain" },
          { Id: "attrs", MessageBody: "attrs", MessageAttributes: { a: { DataType: "Number", StringValue: "1" } } },
        ],
      }),
    );
    expect(batch.Successful?.map((e) => e.Id)).toEqual(["plain"]);
    expect(batch.Failed).toMatchObject([{ Id: "attrs", Code: "AWS.SimpleQueueService.UnsupportedOperation", SenderFault: true }]);
    expect(sqs.messages("work")).toEqual(["plain"]);
  });

  it("waits for a message when asked to long-poll", async () => {
    expect(sqs.receivesWaiting("work")).toBe(0);
    const waiting = client.send(new ReceiveMessageCommand({ QueueUrl: work, WaitTimeSeconds: 5 }));
    // Sent once the receive waits at the stand-in (after a fixed 50 ms, a receive not there yet
    // on a loaded machine found the message at once and nothing waited).
    await eventually(async () => (sqs.receivesWaiting("work") === 1 ? true : undefined), "the receive to wait");
    await client.send(new SendMessageCommand({ QueueUrl: work, MessageBody: "late" }));
    expect((await waiting).Messages?.map((m) => m.Body)).toEqual(["late"]);
    expect(sqs.receivesWaiting("work")).toBe(0);
  });

  it("requires an Authorization header", async () => {
    const response = await fetch(sqs.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.GetQueueUrl" },
      body: JSON.stringify({ QueueName: "work" }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: "com.amazonaws.sqs#MissingAuthenticationToken" });
  });
});
