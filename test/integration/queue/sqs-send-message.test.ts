/**
 * The webhook's hand-written SQS SendMessage (src/queue/sqs-send-message.ts over src/aws/json-rpc.ts)
 * against the official SDK, `@aws-sdk/client-sqs` (a dependency of the CLI and the local stack):
 * the same request on the wire for the same input (protocol headers, body bytes, credential scope,
 * a signature that verifies), the same reading of SQS's answers (the stand-in's and scripted ones),
 * the SDK's retries, its MD5 check, and the invocation deadline of every AWS call.
 */
import { createHash } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { QueueDoesNotExist as SdkQueueDoesNotExist, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setAwsCallDeadline, withAwsCallScope } from "../../../src/aws/call-deadline.ts";
import { AwsCallDeadlineError } from "../../../src/aws/errors.ts";
import { AwsServiceError } from "../../../src/aws/json-rpc.ts";
import { TransportError } from "../../../src/http/errors.ts";
import type { Clock } from "../../../src/http/types.ts";
import { startSqsStandIn, type SqsStandIn } from "../../../src/local/sqs.ts";
import { QueueDoesNotExist, SqsChecksumMismatchError, SqsSendMessageClient } from "../../../src/queue/sqs-send-message.ts";
import { type CapturedRequest as Captured, type CapturingServer, expectSdkRequest, recordingClock, startCapturingServer } from "../../support/aws-wire.ts";
import { startStallingServer } from "../../support/stalling-server.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };
const REGION = "eu-west-1";

/** A server that records each request and answers from a script (default: a SendMessage success). */
let wire: CapturingServer;

const md5Of = (text: string) => createHash("md5").update(text, "utf8").digest("hex");
const success = (req: Captured, res: ServerResponse) => {
  const md5 = md5Of((JSON.parse(req.body) as { MessageBody: string }).MessageBody);
  res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "req-ok" });
  res.end(JSON.stringify({ MessageId: "5fea7756-0ea4-451a-a703-a558b933e274", MD5OfMessageBody: md5 }));
};
const sqsError = (status: number, type: string, queryError?: string) => (_req: Captured, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "req-err", ...(queryError ? { "x-amzn-query-error": queryError } : {}) });
  res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: `${type} happened` }));
};

let standIn: SqsStandIn;

beforeAll(async () => {
  wire = await startCapturingServer(success);
  standIn = await startSqsStandIn({ queues: [{ name: "signup" }] });
});
afterAll(async () => {
  await wire.close();
  await standIn.close();
});
afterEach(() => wire.reset());

const ours = (options: { endpoint?: string; clock?: Clock } = {}) =>
  new SqsSendMessageClient({ region: REGION, credentials: async () => CREDENTIALS, ...options });
const sdk = () => new SQSClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });

describe("SqsSendMessageClient", () => {
  it("sends the request the official SDK sends for the same input: protocol headers, body bytes, credential scope, a valid signature", async () => {
    const input = { QueueUrl: `${wire.origin}/123456789012/signup`, MessageBody: JSON.stringify({ detail: { name: "Zoë's café ✓", n: 1 } }) };
    const client = sdk();
    try {
      await client.send(new SendMessageCommand(input));
    } finally {
      client.destroy();
    }
    const output = await ours().sendMessage(input);
    expect(output.MessageId).toBe("5fea7756-0ea4-451a-a703-a558b933e274");

    const [fromSdk, fromOurs] = wire.captured as [Captured, Captured];
    expect(wire.captured).toHaveLength(2);
    await expectSdkRequest(
      fromSdk,
      fromOurs,
      ["content-type", "x-amz-target", "x-amzn-query-mode", "host", "content-length", "x-amz-security-token", "x-amz-content-sha256"],
      { service: "sqs", region: REGION, credentials: CREDENTIALS, origin: wire.origin },
      (b) => b.replace("Zoë", "Zoe"),
    );
    expect(fromOurs.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
  });

  it("puts the message on the queue (the local SQS stand-in) and checks the answer's MD5 of the body", async () => {
    const body = JSON.stringify({ detail: { tenantId: "t-1", name: "Ünïcode ✓" } });
    const output = await ours({ endpoint: standIn.endpoint }).sendMessage({ QueueUrl: standIn.queueUrl("signup"), MessageBody: body });
    expect(output.MD5OfMessageBody).toBe(md5Of(body));
    expect(standIn.messages("signup")).toContain(body);
  });

  it("goes to the queue URL's origin when no endpoint is configured, as the SDK does", async () => {
    const queueUrl = standIn.queueUrl("signup");
    await ours().sendMessage({ QueueUrl: queueUrl, MessageBody: "by-queue-url" });
    expect(standIn.messages("signup")).toContain("by-queue-url");
  });

  it("an unknown queue is QueueDoesNotExist with the SDK's name, Code, fault and status (same stand-in, same input)", async () => {
    const queueUrl = standIn.queueUrl("signup").replace(/signup$/, "no-such-queue");
    const client = new SQSClient({ region: REGION, credentials: CREDENTIALS, endpoint: standIn.endpoint, maxAttempts: 1 });
    const sdkError = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "x" })).then(() => undefined, (e: unknown) => e as SdkQueueDoesNotExist);
    client.destroy();
    expect(sdkError).toBeInstanceOf(SdkQueueDoesNotExist);

    const error = await ours({ endpoint: standIn.endpoint }).sendMessage({ QueueUrl: queueUrl, MessageBody: "x" }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toBeInstanceOf(AwsServiceError);
    const e = error as QueueDoesNotExist;
    expect({ name: e.name, Code: e.Code, fault: e.$fault, status: e.$metadata.httpStatusCode, message: e.message }).toEqual({
      name: sdkError?.name,
      Code: (sdkError as { Code?: string } | undefined)?.Code,
      fault: sdkError?.$fault,
      status: sdkError?.$metadata.httpStatusCode,
      message: sdkError?.message,
    });
  });

  it("a client error is not retried", async () => {
    wire.answers = [sqsError(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender")];
    const clock = recordingClock();
    const error = await ours({ clock }).sendMessage({ QueueUrl: `${wire.origin}/1/q`, MessageBody: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(wire.captured).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("5xx and throttling are retried as the SDK's standard mode retries them (3 attempts; 50 ms base, throttling from 1 s, as @smithy/core 3.x sets them)", async () => {
    wire.answers = [sqsError(503, "ServiceUnavailable"), sqsError(400, "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled;Sender")];
    const clock = recordingClock();
    const output = await ours({ clock }).sendMessage({ QueueUrl: `${wire.origin}/1/q`, MessageBody: "retried" });
    expect(output.MD5OfMessageBody).toBe(md5Of("retried"));
    expect(wire.captured).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
    // The second retry after throttling: up to 1 s x 2 (the plain base is 50 ms).
    expect(clock.sleeps[0]).toBeLessThan(50);
    expect(clock.sleeps[1]).toBeLessThan(2_000);
    // Each attempt is signed anew.
    expect(wire.captured.every((r) => r.headers["authorization"]?.startsWith("AWS4-HMAC-SHA256 Credential="))).toBe(true);
  });

  it("gives up after 3 attempts with the last answer's error, typed for isTransientAwsError", async () => {
    wire.answers = [sqsError(500, "InternalError"), sqsError(500, "InternalError"), sqsError(500, "InternalError")];
    const error = await ours({ clock: recordingClock() }).sendMessage({ QueueUrl: `${wire.origin}/1/q`, MessageBody: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500, requestId: "req-err" } });
    expect(wire.captured).toHaveLength(3);
  });

  it("an answer whose MD5 of the body is not the body's fails with SqsChecksumMismatchError", async () => {
    wire.answers = [
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ MessageId: "m", MD5OfMessageBody: "0".repeat(32) }));
      },
    ];
    const error = await ours().sendMessage({ QueueUrl: `${wire.origin}/1/q`, MessageBody: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqsChecksumMismatchError);
  });

  it("a dropped connection is retried, and an unreachable endpoint fails as a TransportError", async () => {
    wire.answers = [(_req, res) => res.socket?.destroy()];
    const output = await ours({ clock: recordingClock() }).sendMessage({ QueueUrl: `${wire.origin}/1/q`, MessageBody: "after reset" });
    expect(output.MessageId).toBeTruthy();
    expect(wire.captured).toHaveLength(2);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await ours({ clock: recordingClock() }).sendMessage({ QueueUrl: `http://127.0.0.1:${port}/1/q`, MessageBody: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).failure).toBe("connect");
  });

  it("inside an invocation, a call that gets no answer is cut off at the deadline with AwsCallDeadlineError, not retried", async () => {
    const hung = await startStallingServer();
    try {
      // The deadline is set when the call first reads the clock, not before the client is made:
      // on a loaded machine 300 ms could pass before sending, and the call was then refused
      // without a request (the next case's path, not this one's).
      const recording = recordingClock();
      let armed = false;
      const arming: Clock = {
        ...recording,
        now: () => {
          if (!armed) setAwsCallDeadline(Date.now() + 300);
          armed = true;
          return recording.now();
        },
      };
      const error = await withAwsCallScope(() => ours({ clock: arming }).sendMessage({ QueueUrl: `${hung.url}/1/q`, MessageBody: "x" }).catch((e: unknown) => e));
      expect(armed).toBe(true);
      expect(error).toBeInstanceOf(AwsCallDeadlineError);
      expect(hung.requests()).toBe(1);

      const late = await withAwsCallScope(() => {
        setAwsCallDeadline(Date.now() - 1_000, 500);
        return ours().sendMessage({ QueueUrl: `${hung.url}/1/q`, MessageBody: "x" }).catch((e: unknown) => e);
      });
      expect(late).toBeInstanceOf(AwsCallDeadlineError);
      expect(hung.requests(), "no request after the deadline").toBe(1);
    } finally {
      await hung.close();
    }
  });
});
