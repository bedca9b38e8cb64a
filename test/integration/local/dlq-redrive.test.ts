/**
 * Replaying the DLQ with an SQS message move task (StartMessageMoveTask), against the SQS
 * stand-in: the library function, and the operator CLI's `replay-dlq --aws` driving the same
 * SDK calls a real account would get.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSqsStandIn, type SqsStandIn } from "../../../src/local/sqs.ts";
import { startDlqRedrive, waitForDlqRedrive } from "../../../src/queue/dlq-redrive.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
let sqs: SqsStandIn;
let client: SQSClient;
let run = 0;
let names: { signup: string; dlq: string; other: string };

beforeAll(async () => {
  // Fresh queues per test: each test gets its own trio.
  const queues = Array.from({ length: 6 }, (_, i) => [
    { name: `dlq-${i}` },
    { name: `other-${i}` },
    { name: `signup-${i}`, visibilityTimeoutMs: 30_000, redrive: { deadLetterQueueName: `dlq-${i}`, maxReceiveCount: 1 } },
  ]).flat();
  sqs = await startSqsStandIn({ queues });
  client = new SQSClient({ region: "us-east-1", endpoint: sqs.endpoint, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sqs.close();
});
beforeEach(() => {
  names = { signup: `signup-${run}`, dlq: `dlq-${run}`, other: `other-${run}` };
  run++;
});

/** Sends `body` and receives it past maxReceiveCount, so SQS dead-letters it. */
async function deadLetter(body: string): Promise<void> {
  const url = sqs.queueUrl(names.signup);
  await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: url }));
  await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: Messages[0]?.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = await client.send(new ReceiveMessageCommand({ QueueUrl: url }));
  expect(again.Messages ?? []).toEqual([]);
}

describe("startDlqRedrive (StartMessageMoveTask)", () => {
  it("moves every dead letter back to the queue it came from, receivable again", async () => {
    await deadLetter("a");
    await deadLetter("b");
    expect(sqs.messages(names.dlq)).toEqual(["a", "b"]);
    const task = await startDlqRedrive(client, { dlqUrl: sqs.queueUrl(names.dlq) });
    expect(task.sourceArn).toBe(sqs.queueArn(names.dlq));
    expect(await waitForDlqRedrive(client, task.sourceArn, { deadline: Date.now() })).toEqual({ status: "COMPLETED", moved: 2, toMove: 2, failureReason: undefined });
    expect(sqs.messages(names.dlq)).toEqual([]);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl(names.signup), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    expect(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([["a", "1"], ["b", "1"]]);
  });

  it("moves them to another queue when asked", async () => {
    await deadLetter("c");
    const task = await startDlqRedrive(client, { dlqUrl: sqs.queueUrl(names.dlq), destinationQueueUrl: sqs.queueUrl(names.other), maxPerSecond: 10 });
    expect(task.destinationArn).toBe(sqs.queueArn(names.other));
    expect(sqs.messages(names.other)).toEqual(["c"]);
  });

  it("is refused for a queue that is no DLQ, and for an unknown queue, as SQS refuses them", async () => {
    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: sqs.queueArn(names.signup) }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: "arn:aws:sqs:us-east-1:000000000000:nope" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(
      client.send(new StartMessageMoveTaskCommand({ SourceArn: sqs.queueArn(names.dlq), MaxNumberOfMessagesPerSecond: 501 })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });
});

describe("npm run cli -- replay-dlq --aws", () => {
  it("starts the move task, waits for it and reports what moved", async () => {
    await deadLetter("d");
    const cli = join(import.meta.dirname, "../../../scripts/cli.ts");
    const env = { PATH: process.env.PATH ?? "", AWS_ENDPOINT_URL_SQS: sqs.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
    const { stdout } = await promisify(execFile)(process.execPath, [cli, "replay-dlq", "--aws", "--dlq-url", sqs.queueUrl(names.dlq)], { env });
    expect(stdout).toContain("COMPLETED: moved 1 of 1 message(s)");
    expect(sqs.messages(names.signup)).toEqual(["d"]);
  });
});
