/**
 * A local stand-in for Lambda's SQS event source mapping with `ReportBatchItemFailures`: polls a
 * queue, hands each batch to the handler as a real `SQSEvent`, deletes the records that succeeded
 * and leaves the failed ones for SQS to redeliver (and, past `maxReceiveCount`, to dead-letter).
 *
 * One poller, one batch at a time (Lambda runs several pollers and concurrent invocations); no
 * batching window. What it keeps from Lambda: a handler that throws fails the whole batch; a
 * `batchItemFailures` entry whose `itemIdentifier` is empty or not a message of the batch fails the
 * whole batch too; every other record not listed is deleted.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { Message, MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";

const MAX_BATCH_SIZE = 10;

export interface SqsEventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  /** Goes into each record's `eventSourceARN`. */
  queueArn: string;
  /** Records per handler call, 1..10; 10 by default. */
  batchSize?: number | undefined;
  /** Pause after an empty receive or a failed receive. */
  pollIntervalMs: number;
  /** `WaitTimeSeconds` for each receive (long polling); 0 by default, so `stop()` is quick. */
  waitTimeSeconds?: number | undefined;
  /** `VisibilityTimeout` for each receive; the queue's own by default. */
  visibilityTimeoutSeconds?: number | undefined;
  /**
   * When set, failed records get this visibility timeout at once (0: redelivered on the next poll),
   * so local retries need not wait out the queue's timeout. Unset, they reappear when the visibility
   * timeout of their receive ends, as with Lambda.
   */
  failedRecordVisibilitySeconds?: number | undefined;
  /** `awsRegion` of each record; `us-east-1` by default. */
  awsRegion?: string | undefined;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** Told about receive, delete and visibility-change failures and handler errors; the poller carries on. */
  onError?: ((error: unknown) => void) | undefined;
}

/** Running totals, updated as batches complete. */
export interface SqsEventSourceStats {
  /** Handler invocations. */
  batches: number;
  /** Records handed to the handler, redeliveries included. */
  records: number;
  /** Records left for redelivery: listed in `batchItemFailures`, or in a batch that failed whole. */
  failures: number;
}

export interface SqsEventSource {
  /** Stops polling; resolves once the batch in flight (handler, deletes) has finished. */
  stop(): Promise<void>;
  readonly stats: Readonly<SqsEventSourceStats>;
}

function recordAttributes(message: Message): SQSRecord["attributes"] {
  const a = message.Attributes ?? {};
  return {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
    SentTimestamp: a.SentTimestamp ?? "",
    SenderId: a.SenderId ?? "",
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? "",
    ...(a.AWSTraceHeader !== undefined ? { AWSTraceHeader: a.AWSTraceHeader } : {}),
    ...(a.DeadLetterQueueSourceArn !== undefined ? { DeadLetterQueueSourceArn: a.DeadLetterQueueSourceArn } : {}),
  };
}

/** Message attributes in the Lambda event's camel-case shape, binary as base64. */
function recordMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const mapped: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    mapped[name] = {
      dataType: value.DataType ?? "String",
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return mapped;
}

function toRecord(message: Message, queueArn: string, awsRegion: string): SQSRecord {
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: recordAttributes(message),
    messageAttributes: recordMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion,
  };
}

/**
 * The message ids the handler's answer leaves for redelivery; every id when the answer is not
 * usable, as Lambda treats a malformed `batchItemFailures` as a failed batch.
 */
function failedIds(response: SQSBatchResponse | void, records: readonly SQSRecord[]): Set<string> {
  const all = new Set(records.map((r) => r.messageId));
  if (response === undefined || response === null) return new Set();
  const failures: unknown = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id: unknown = typeof failure === "object" && failure !== null ? (failure as Record<string, unknown>).itemIdentifier : undefined;
    if (typeof id !== "string" || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

/**
 * Starts polling `queueUrl` and calling `handler`, like a Lambda SQS event source mapping with
 * `FunctionResponseTypes: ["ReportBatchItemFailures"]`.
 *
 * @example
 * ```ts
 * const source = startSqsEventSource({
 *   client, queueUrl: sqs.queueUrl("signup"), queueArn: sqs.queueArn("signup"),
 *   pollIntervalMs: 20, failedRecordVisibilitySeconds: 0,
 *   handler: async (event) => ({ batchItemFailures: [] }),
 * });
 * await source.stop();
 * ```
 */
export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const batchSize = options.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  const { client, queueUrl, queueArn, handler } = options;
  const awsRegion = options.awsRegion ?? "us-east-1";
  const onError = options.onError ?? (() => undefined);
  const stats: SqsEventSourceStats = { batches: 0, records: 0, failures: 0 };
  const receiveAbort = new AbortController();
  let stopping = false;
  let wake: (() => void) | undefined;

  /** A pause that `stop()` cuts short. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function receive(): Promise<Message[]> {
    const output = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: options.waitTimeSeconds ?? 0,
        ...(options.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: options.visibilityTimeoutSeconds } : {}),
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
      { abortSignal: receiveAbort.signal },
    );
    return output.Messages ?? [];
  }

  async function deleteRecords(records: readonly SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    const output = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
    for (const failed of output.Failed ?? []) {
      onError(new Error(`DeleteMessageBatch entry ${failed.Id ?? "?"} failed: ${failed.Code ?? ""} ${failed.Message ?? ""}`));
    }
  }

  async function expediteRetries(records: readonly SQSRecord[]): Promise<void> {
    const seconds = options.failedRecordVisibilitySeconds;
    if (seconds === undefined || records.length === 0) return;
    const output = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: seconds })),
      }),
    );
    for (const failed of output.Failed ?? []) {
      onError(new Error(`ChangeMessageVisibilityBatch entry ${failed.Id ?? "?"} failed: ${failed.Code ?? ""} ${failed.Message ?? ""}`));
    }
  }

  async function processBatch(messages: readonly Message[]): Promise<void> {
    const records = messages.map((m) => toRecord(m, queueArn, awsRegion));
    stats.batches++;
    stats.records += records.length;
    let failed: Set<string>;
    try {
      failed = failedIds(await handler({ Records: records }), records);
    } catch (error) {
      onError(error);
      failed = new Set(records.map((r) => r.messageId));
    }
    stats.failures += failed.size;
    try {
      await deleteRecords(records.filter((r) => !failed.has(r.messageId)));
      await expediteRetries(records.filter((r) => failed.has(r.messageId)));
    } catch (error) {
      onError(error);
    }
  }

  async function poll(): Promise<void> {
    while (!stopping) {
      let messages: Message[];
      try {
        messages = await receive();
      } catch (error) {
        if (stopping) break;
        onError(error);
        await pause(options.pollIntervalMs);
        continue;
      }
      if (messages.length > 0) await processBatch(messages);
      else if (!stopping) await pause(options.pollIntervalMs);
    }
  }

  const polling = poll();

  return {
    stats,
    async stop() {
      stopping = true;
      // Messages an aborted receive had already taken stay in flight until their visibility timeout ends.
      receiveAbort.abort();
      wake?.();
      await polling;
    },
  };
}
