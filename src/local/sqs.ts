/**
 * A local Amazon SQS stand-in for tests and the local stack: a real `node:http` server on 127.0.0.1
 * speaking the protocol `@aws-sdk/client-sqs` 3.x uses, AWS JSON 1.0 in "query compatible" mode
 * (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`).
 * Point the client at it with its `endpoint` option or `AWS_ENDPOINT_URL_SQS`.
 *
 * Supported: GetQueueUrl, SendMessage, SendMessageBatch, ReceiveMessage (short wait for
 * `WaitTimeSeconds`, capped by `maxWaitMs`), DeleteMessage, DeleteMessageBatch,
 * ChangeMessageVisibility, ChangeMessageVisibilityBatch, GetQueueAttributes, PurgeQueue.
 * Standard queues only (no FIFO), fixed at start (no CreateQueue). Message attributes and the
 * `AWSTraceHeader` system attribute are stored and returned with their MD5 digests.
 * Redrive works as in SQS: a receive that would push a message past `maxReceiveCount` moves it to
 * the dead-letter queue instead of delivering it.
 *
 * Errors are answered as SQS does: HTTP 400/403/404 with `{"__type": "com.amazonaws.sqs#<Name>"}`
 * and the `x-amzn-query-error: <QueryCode>;Sender` header, which the SDK maps to its exception
 * classes (e.g. `QueueDoesNotExist` from `AWS.SimpleQueueService.NonExistentQueue`).
 *
 * Not a security boundary: an `Authorization` header must be present, but the SigV4 signature is
 * not verified (any access key works).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { closeServer, listenOnLoopback } from "./loopback.ts";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const TARGET_PREFIX = "AmazonSQS.";
const JSON_CONTENT_TYPE = "application/x-amz-json-1.0";
const ERROR_NAMESPACE = "com.amazonaws.sqs#";
/** SQS's message size limit (1 MiB since 2025), body and attributes together. */
const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_BATCH_ENTRIES = 10;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;
const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_WAIT_MS = 1_000;
/** How often a waiting ReceiveMessage looks again; local, so short. */
const WAIT_POLL_MS = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** SQS accepts only these characters in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const SYSTEM_ATTRIBUTE_NAMES = [
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SentTimestamp",
  "SenderId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;
const QUEUE_ATTRIBUTE_NAMES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "QueueArn",
  "VisibilityTimeout",
  "MaximumMessageSize",
  "DelaySeconds",
  "RedrivePolicy",
] as const;

export interface SqsRedriveOptions {
  /** Name of another queue of this stand-in. */
  deadLetterQueueName: string;
  /** Receives allowed before the next receive moves the message to the dead-letter queue. */
  maxReceiveCount: number;
}

export interface SqsQueueOptions {
  name: string;
  /** The queue's default visibility timeout, in milliseconds so tests can use small values; 30 s by default. */
  visibilityTimeoutMs?: number | undefined;
  redrive?: SqsRedriveOptions | undefined;
}

export interface SqsStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  queues: readonly SqsQueueOptions[];
  /** Longest a ReceiveMessage with `WaitTimeSeconds` waits for a message; 1 s by default. */
  maxWaitMs?: number | undefined;
}

/** Messages in a queue by state, as SQS counts them. */
export interface SqsQueueDepth {
  /** Receivable now (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet deleted or visible again (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

export interface SqsStandIn {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  endpoint: string;
  /** `${endpoint}/000000000000/${name}`; throws for a queue the stand-in does not have. */
  queueUrl(name: string): string;
  /** `arn:aws:sqs:us-east-1:000000000000:${name}`; throws for a queue the stand-in does not have. */
  queueArn(name: string): string;
  /** The queue's messages by state, now. */
  depth(name: string): SqsQueueDepth;
  /** The bodies of every message in the queue (any state), oldest first: a snapshot. */
  messages(name: string): readonly string[];
  /** Stops the server, ends waiting receives and drops open keep-alive connections. */
  close(): Promise<void>;
}

/** A message attribute as it travels in AWS JSON (binary as base64). */
interface AttributeValue {
  DataType: string;
  StringValue?: string | undefined;
  BinaryValue?: string | undefined;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, AttributeValue>;
  traceHeader?: string | undefined;
  senderId: string;
  sentTimestamp: number;
  firstReceiveTimestamp?: number | undefined;
  receiveCount: number;
  /** Epoch ms from which the message can be received. */
  visibleAt: number;
  /** The handle of the latest receive; undefined until first received. */
  receiptHandle?: string | undefined;
  deadLetterQueueSourceArn?: string | undefined;
}

interface Queue {
  name: string;
  arn: string;
  visibilityTimeoutMs: number;
  redrive?: SqsRedriveOptions | undefined;
  /** Oldest first. */
  messages: StoredMessage[];
}

/** What a receipt handle was issued for. */
interface IssuedHandle {
  queueName: string;
  messageId: string;
}

/** An SQS error answer, thrown inside an action handler. */
class SqsFault extends Error {
  /** The modeled error name, e.g. `QueueDoesNotExist`; goes into `__type`. */
  readonly type: string;
  /** The legacy query-protocol code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
  readonly queryCode: string;
  readonly status: number;
  constructor(type: string, message: string, options: { queryCode?: string; status?: number } = {}) {
    super(message);
    this.type = type;
    this.queryCode = options.queryCode ?? type;
    this.status = options.status ?? 400;
  }
}

const invalidParameter = (message: string): SqsFault => new SqsFault("InvalidParameterValue", message);
const missingParameter = (name: string): SqsFault =>
  new SqsFault("MissingParameter", `The request must contain the parameter ${name}.`);

type Json = Record<string, unknown>;
/** An action gets the parsed body and the caller's access key id (the SenderId SQS would report). */
type Action = (input: Json, senderId: string) => Json | Promise<Json>;

const md5Hex = (data: string | Uint8Array): string => createHash("md5").update(data).digest("hex");

function lengthPrefixed(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * The MD5 SQS reports for message (or system) attributes: attributes sorted by name, each encoded as
 * length-prefixed name, length-prefixed data type, a transport byte (1 string/number, 2 binary) and
 * the length-prefixed value; undefined when there are none.
 */
function md5OfAttributes(attributes: Record<string, AttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name];
    if (!value) continue;
    parts.push(lengthPrefixed(Buffer.from(name, "utf8")), lengthPrefixed(Buffer.from(value.DataType, "utf8")));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.of(2), lengthPrefixed(Buffer.from(value.BinaryValue, "base64")));
    } else {
      parts.push(Buffer.of(1), lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8")));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

function attributeBytes(attributes: Record<string, AttributeValue>): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    total += value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, "base64").length : Buffer.byteLength(value.StringValue ?? "");
  }
  return total;
}

/** Validates `MessageAttributes` from a send; list values are reserved by SQS and refused. */
function parseMessageAttributes(raw: unknown): Record<string, AttributeValue> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidParameter("MessageAttributes must be a map.");
  const entries = Object.entries(raw as Json);
  if (entries.length > 10) throw invalidParameter("Number of message attributes [" + entries.length + "] exceeds the allowed maximum [10].");
  const parsed: Record<string, AttributeValue> = {};
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > 256 || !/^[A-Za-z0-9_.-]+$/.test(name) || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (typeof value !== "object" || value === null) throw invalidParameter(`Message attribute '${name}' must be an object.`);
    const { DataType, StringValue, BinaryValue, StringListValues, BinaryListValues } = value as Json;
    if (StringListValues !== undefined || BinaryListValues !== undefined) {
      throw invalidParameter(`Message attribute list values in SendMessage operation are not supported.`);
    }
    if (typeof DataType !== "string" || !/^(String|Number|Binary)(\..+)?$/.test(DataType)) {
      throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type.`);
    }
    if (DataType.startsWith("Binary")) {
      if (typeof BinaryValue !== "string" || BinaryValue.length === 0) {
        throw invalidParameter(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      parsed[name] = { DataType, BinaryValue };
    } else {
      if (typeof StringValue !== "string" || StringValue.length === 0) {
        throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute value.`);
      }
      if (DataType.startsWith("Number") && !Number.isFinite(Number(StringValue))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      parsed[name] = { DataType, StringValue };
    }
  }
  return parsed;
}

/** Reads `MessageSystemAttributes`; SQS accepts only `AWSTraceHeader` (a String) on sends. */
function parseTraceHeader(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidParameter("MessageSystemAttributes must be a map.");
  let traceHeader: string | undefined;
  for (const [name, value] of Object.entries(raw as Json)) {
    const { DataType, StringValue } = (value ?? {}) as Json;
    if (name !== "AWSTraceHeader" || DataType !== "String" || typeof StringValue !== "string" || StringValue.length === 0) {
      throw invalidParameter(`Message system attribute '${name}' is not supported; only AWSTraceHeader (String) is.`);
    }
    traceHeader = StringValue;
  }
  return traceHeader;
}

function optionalInteger(input: Json, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return value;
}

function requiredString(input: Json, name: string): string {
  const value = input[name];
  if (typeof value !== "string" || value.length === 0) throw missingParameter(name);
  return value;
}

function stringList(input: Json, name: string): string[] {
  const value = input[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The batch's entries, checked as SQS checks them before looking at any entry's content. */
function batchEntries(input: Json): Json[] {
  const raw = input.Entries;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new SqsFault("EmptyBatchRequest", "There should be at least one entry in the request.", {
      queryCode: "AWS.SimpleQueueService.EmptyBatchRequest",
    });
  }
  if (raw.length > MAX_BATCH_ENTRIES) {
    throw new SqsFault("TooManyEntriesInBatchRequest", `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${raw.length}.`, {
      queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    });
  }
  const seen = new Set<string>();
  const entries: Json[] = [];
  for (const entry of raw) {
    const id = typeof entry === "object" && entry !== null ? (entry as Json).Id : undefined;
    if (typeof id !== "string" || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsFault("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", {
        queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
      });
    }
    if (seen.has(id)) {
      throw new SqsFault("BatchEntryIdsNotDistinct", `Id ${id} repeated.`, { queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" });
    }
    seen.add(id);
    entries.push(entry as Json);
  }
  return entries;
}

/** Runs each batch entry; an entry's fault becomes a `Failed` row, as SQS reports it. */
function runBatch(entries: Json[], each: (entry: Json) => Json): Json {
  const Successful: Json[] = [];
  const Failed: Json[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...each(entry) });
    } catch (error) {
      if (!(error instanceof SqsFault)) throw error;
      Failed.push({ Id: entry.Id, SenderFault: error.status < 500, Code: error.queryCode, Message: error.message });
    }
  }
  return { Successful, Failed };
}

/** Whether a name list asks for `name`: exact, `All`, `.*`, or a `prefix.*`. */
function wants(requested: readonly string[], name: string): boolean {
  return requested.some(
    (r) => r === name || r === "All" || r === ".*" || (r.endsWith(".*") && name.startsWith(r.slice(0, -1))),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the stand-in with its queues and resolves once it is listening.
 *
 * @example
 * ```ts
 * const sqs = await startSqsStandIn({
 *   queues: [
 *     { name: "signup", visibilityTimeoutMs: 200, redrive: { deadLetterQueueName: "signup-dlq", maxReceiveCount: 3 } },
 *     { name: "signup-dlq" },
 *   ],
 * });
 * const client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1",
 *   credentials: { accessKeyId: "x", secretAccessKey: "y" } });
 * await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl("signup"), MessageBody: "{}" }));
 * await sqs.close();
 * ```
 */
export async function startSqsStandIn(options: SqsStandInOptions): Promise<SqsStandIn> {
  const queues = new Map<string, Queue>();
  const handles = new Map<string, IssuedHandle>();
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  let closed = false;
  let endpoint = "";

  for (const q of options.queues) {
    if (q.name.endsWith(".fifo")) throw new Error(`FIFO queues are not supported by the SQS stand-in: ${q.name}`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(q.name)) throw new Error(`Invalid SQS queue name: ${q.name}`);
    if (queues.has(q.name)) throw new Error(`Duplicate queue: ${q.name}`);
    queues.set(q.name, {
      name: q.name,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${q.name}`,
      visibilityTimeoutMs: q.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS,
      redrive: q.redrive,
      messages: [],
    });
  }
  for (const q of queues.values()) {
    if (!q.redrive) continue;
    if (!queues.has(q.redrive.deadLetterQueueName)) {
      throw new Error(`Queue ${q.name}: dead-letter queue ${q.redrive.deadLetterQueueName} is not configured`);
    }
    if (!Number.isInteger(q.redrive.maxReceiveCount) || q.redrive.maxReceiveCount < 1) {
      throw new Error(`Queue ${q.name}: maxReceiveCount must be a positive integer`);
    }
  }

  function knownQueue(name: string): Queue {
    const queue = queues.get(name);
    if (!queue) throw new Error(`The SQS stand-in has no queue named ${name}`);
    return queue;
  }

  const nonExistentQueue = (): SqsFault =>
    new SqsFault("QueueDoesNotExist", "The specified queue does not exist.", { queryCode: "AWS.SimpleQueueService.NonExistentQueue" });

  /** The queue a `QueueUrl` names: `<any origin>/<account>/<name>`. */
  function queueFromUrl(input: Json): Queue {
    const url = requiredString(input, "QueueUrl");
    let segments: string[];
    try {
      segments = new URL(url).pathname.split("/").filter((s) => s.length > 0);
    } catch {
      throw new SqsFault("InvalidAddress", `The address ${url} is not valid for this endpoint.`, { status: 404 });
    }
    const [account, name] = segments;
    const queue = segments.length === 2 && account === ACCOUNT && name !== undefined ? queues.get(name) : undefined;
    if (!queue) throw nonExistentQueue();
    return queue;
  }

  function depthOf(queue: Queue, now = Date.now()): SqsQueueDepth {
    const depth: SqsQueueDepth = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queue.messages) {
      if (m.visibleAt <= now) depth.visible++;
      else if (m.receiptHandle !== undefined) depth.inFlight++;
      else depth.delayed++;
    }
    return depth;
  }

  function accept(queue: Queue, entry: Json, senderId: string): Json {
    const body = entry.MessageBody;
    if (typeof body !== "string" || body.length === 0) throw missingParameter("MessageBody");
    if (INVALID_BODY_CHARACTER.test(body)) {
      throw new SqsFault("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
    }
    const attributes = parseMessageAttributes(entry.MessageAttributes);
    const traceHeader = parseTraceHeader(entry.MessageSystemAttributes);
    const size = Buffer.byteLength(body) + attributeBytes(attributes);
    if (size > MAX_MESSAGE_BYTES) {
      throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    const delaySeconds = optionalInteger(entry, "DelaySeconds", 0, MAX_DELAY_SECONDS) ?? 0;
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      attributes,
      traceHeader,
      senderId,
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + delaySeconds * 1000,
    };
    queue.messages.push(message);
    const md5OfMessageAttributes = md5OfAttributes(attributes);
    const md5OfSystemAttributes =
      traceHeader === undefined ? undefined : md5OfAttributes({ AWSTraceHeader: { DataType: "String", StringValue: traceHeader } });
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(md5OfMessageAttributes ? { MD5OfMessageAttributes: md5OfMessageAttributes } : {}),
      ...(md5OfSystemAttributes ? { MD5OfMessageSystemAttributes: md5OfSystemAttributes } : {}),
    };
  }

  /** Moves a message that has used up its receives to the dead-letter queue, as a fresh visible message. */
  function redriveToDeadLetterQueue(queue: Queue, message: StoredMessage, deadLetterQueueName: string, now: number): void {
    const dlq = knownQueue(deadLetterQueueName);
    queue.messages.splice(queue.messages.indexOf(message), 1);
    message.visibleAt = now;
    message.receiptHandle = undefined;
    message.deadLetterQueueSourceArn = queue.arn;
    dlq.messages.push(message);
  }

  /** Takes up to `max` visible messages, oldest first, making them in flight for `visibilityMs`. */
  function take(queue: Queue, max: number, visibilityMs: number): StoredMessage[] {
    const now = Date.now();
    const taken: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        redriveToDeadLetterQueue(queue, message, queue.redrive.deadLetterQueueName, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityMs;
      message.receiptHandle = randomBytes(24).toString("base64url");
      handles.set(message.receiptHandle, { queueName: queue.name, messageId: message.messageId });
      taken.push(message);
    }
    return taken;
  }

  function systemAttributes(message: StoredMessage, requested: readonly string[]): Record<string, string> {
    const all: Record<(typeof SYSTEM_ATTRIBUTE_NAMES)[number], string | undefined> = {
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: message.senderId,
      AWSTraceHeader: message.traceHeader,
      DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
    };
    const picked: Record<string, string> = {};
    for (const name of SYSTEM_ATTRIBUTE_NAMES) {
      const value = all[name];
      if (value !== undefined && wants(requested, name)) picked[name] = value;
    }
    return picked;
  }

  function describe(message: StoredMessage, systemNames: readonly string[], attributeNames: readonly string[]): Json {
    const attributes = systemAttributes(message, systemNames);
    const messageAttributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => wants(attributeNames, name)));
    // The digest covers the attributes returned, so a client can check what it got.
    const md5OfMessageAttributes = md5OfAttributes(messageAttributes);
    return {
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(md5OfMessageAttributes ? { MD5OfMessageAttributes: md5OfMessageAttributes, MessageAttributes: messageAttributes } : {}),
    };
  }

  /** The message a receipt handle was issued for in this queue; undefined when it is gone. */
  function byHandle(queue: Queue, input: Json): { message: StoredMessage | undefined; handle: string } {
    const handle = requiredString(input, "ReceiptHandle");
    const issued = handles.get(handle);
    if (!issued || issued.queueName !== queue.name) {
      throw new SqsFault("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`, { status: 404 });
    }
    return { message: queue.messages.find((m) => m.messageId === issued.messageId), handle };
  }

  // An old handle still deletes the message, as on standard SQS queues; deleting twice is fine too.
  function remove(queue: Queue, input: Json): void {
    const { message } = byHandle(queue, input);
    if (message) queue.messages.splice(queue.messages.indexOf(message), 1);
    if (message?.receiptHandle) handles.delete(message.receiptHandle);
  }

  function changeVisibility(queue: Queue, input: Json): void {
    const seconds = optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS);
    if (seconds === undefined) throw missingParameter("VisibilityTimeout");
    const { message, handle } = byHandle(queue, input);
    const now = Date.now();
    if (!message || message.receiptHandle !== handle || message.visibleAt <= now) {
      throw new SqsFault("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.", {
        queryCode: "AWS.SimpleQueueService.MessageNotInflight",
      });
    }
    message.visibleAt = now + seconds * 1000;
  }

  function queueAttributes(queue: Queue, requested: readonly string[]): Record<string, string> {
    const depth = depthOf(queue);
    const all: Record<(typeof QUEUE_ATTRIBUTE_NAMES)[number], string | undefined> = {
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      QueueArn: queue.arn,
      // Seconds, as SQS reports it; fractional when a test configured milliseconds.
      VisibilityTimeout: String(queue.visibilityTimeoutMs / 1000),
      MaximumMessageSize: String(MAX_MESSAGE_BYTES),
      DelaySeconds: "0",
      RedrivePolicy: queue.redrive
        ? JSON.stringify({
            deadLetterTargetArn: knownQueue(queue.redrive.deadLetterQueueName).arn,
            maxReceiveCount: queue.redrive.maxReceiveCount,
          })
        : undefined,
    };
    for (const name of requested) {
      if (name !== "All" && !(QUEUE_ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
        throw new SqsFault("InvalidAttributeName", `Unknown Attribute ${name}.`);
      }
    }
    const picked: Record<string, string> = {};
    for (const name of QUEUE_ATTRIBUTE_NAMES) {
      const value = all[name];
      if (value !== undefined && (requested.includes("All") || requested.includes(name))) picked[name] = value;
    }
    return picked;
  }

  /** Message move tasks per source queue ARN, newest first (ListMessageMoveTasks shows up to 10). */
  const moveTasks = new Map<string, Json[]>();

  function queueFromArn(input: Json, name: string): Queue {
    const arn = requiredString(input, name);
    const queue = [...queues.values()].find((q) => q.arn === arn);
    if (!queue) throw new SqsFault("ResourceNotFoundException", "One or more specified resources don't exist.");
    return queue;
  }

  /**
   * StartMessageMoveTask as SQS runs it for a DLQ: every message not in flight moves to the
   * destination, or back to the queue it was dead-lettered from, as a new receivable message
   * (receive count reset). SQS moves asynchronously; here the task is COMPLETED by the time the
   * answer is sent, a legitimate (fast) outcome that callers polling ListMessageMoveTasks handle.
   */
  function startMoveTask(input: Json): Json {
    const source = queueFromArn(input, "SourceArn");
    if (![...queues.values()].some((q) => q.redrive?.deadLetterQueueName === source.name)) {
      throw invalidParameter("Source queue must be configured as a Dead Letter Queue.");
    }
    const destination = input.DestinationArn === undefined ? undefined : queueFromArn(input, "DestinationArn");
    const rate = optionalInteger(input, "MaxNumberOfMessagesPerSecond", 1, 500);
    const now = Date.now();
    const toMove = source.messages.filter((m) => m.receiptHandle === undefined || m.visibleAt <= now);
    let moved = 0;
    for (const message of toMove) {
      const target = destination ?? [...queues.values()].find((q) => q.arn === message.deadLetterQueueSourceArn);
      if (!target) continue;
      source.messages.splice(source.messages.indexOf(message), 1);
      if (message.receiptHandle) handles.delete(message.receiptHandle);
      target.messages.push({ ...message, receiveCount: 0, firstReceiveTimestamp: undefined, receiptHandle: undefined, visibleAt: now, deadLetterQueueSourceArn: undefined });
      moved++;
    }
    const taskHandle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn })).toString("base64");
    const task: Json = {
      Status: moved === toMove.length ? "COMPLETED" : "FAILED",
      SourceArn: source.arn,
      ...(destination ? { DestinationArn: destination.arn } : {}),
      ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
      ApproximateNumberOfMessagesMoved: moved,
      ApproximateNumberOfMessagesToMove: toMove.length,
      ...(moved === toMove.length ? {} : { FailureReason: "AWS.SimpleQueueService.MessageMove.NoSourceQueue" }),
      StartedTimestamp: now,
    };
    moveTasks.set(source.arn, [task, ...(moveTasks.get(source.arn) ?? [])].slice(0, 10));
    return { TaskHandle: taskHandle };
  }

  const actions: Record<string, Action> = {
    GetQueueUrl(input) {
      const name = requiredString(input, "QueueName");
      const owner = input.QueueOwnerAWSAccountId;
      if (!queues.has(name) || (owner !== undefined && owner !== ACCOUNT)) throw nonExistentQueue();
      return { QueueUrl: `${endpoint}/${ACCOUNT}/${name}` };
    },

    SendMessage(input, senderId) {
      const queue = queueFromUrl(input);
      return accept(queue, input, senderId);
    },

    SendMessageBatch(input, senderId) {
      const queue = queueFromUrl(input);
      const entries = batchEntries(input);
      let total = 0;
      for (const entry of entries) {
        if (typeof entry.MessageBody === "string") total += Buffer.byteLength(entry.MessageBody);
      }
      if (total > MAX_MESSAGE_BYTES) {
        throw new SqsFault("BatchRequestTooLong", `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes.`, {
          queryCode: "AWS.SimpleQueueService.BatchRequestTooLong",
        });
      }
      return runBatch(entries, (entry) => accept(queue, entry, senderId));
    },

    async ReceiveMessage(input) {
      const queue = queueFromUrl(input);
      const max = optionalInteger(input, "MaxNumberOfMessages", 1, MAX_BATCH_ENTRIES) ?? 1;
      const visibilitySeconds = optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS);
      const waitSeconds = optionalInteger(input, "WaitTimeSeconds", 0, 20) ?? 0;
      const systemNames = [...stringList(input, "AttributeNames"), ...stringList(input, "MessageSystemAttributeNames")];
      const attributeNames = stringList(input, "MessageAttributeNames");
      const visibilityMs = visibilitySeconds === undefined ? queue.visibilityTimeoutMs : visibilitySeconds * 1000;
      // A short stand-in for long polling: look again until a message shows up or the capped wait ends.
      const deadline = Date.now() + Math.min(waitSeconds * 1000, maxWaitMs);
      let taken = take(queue, max, visibilityMs);
      while (taken.length === 0 && !closed && Date.now() < deadline) {
        await sleep(Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now())));
        taken = take(queue, max, visibilityMs);
      }
      return taken.length === 0 ? {} : { Messages: taken.map((m) => describe(m, systemNames, attributeNames)) };
    },

    DeleteMessage(input) {
      remove(queueFromUrl(input), input);
      return {};
    },

    DeleteMessageBatch(input) {
      const queue = queueFromUrl(input);
      return runBatch(batchEntries(input), (entry) => {
        remove(queue, entry);
        return {};
      });
    },

    ChangeMessageVisibility(input) {
      changeVisibility(queueFromUrl(input), input);
      return {};
    },

    ChangeMessageVisibilityBatch(input) {
      const queue = queueFromUrl(input);
      return runBatch(batchEntries(input), (entry) => {
        changeVisibility(queue, entry);
        return {};
      });
    },

    GetQueueAttributes(input) {
      const queue = queueFromUrl(input);
      const requested = stringList(input, "AttributeNames");
      return { Attributes: queueAttributes(queue, requested) };
    },

    StartMessageMoveTask: (input) => startMoveTask(input),

    ListMessageMoveTasks(input) {
      const source = queueFromArn(input, "SourceArn");
      const max = optionalInteger(input, "MaxResults", 1, 10) ?? 1;
      return { Results: (moveTasks.get(source.arn) ?? []).slice(0, max) };
    },

    // SQS refuses a second purge within 60 s; the stand-in purges at once, every time.
    PurgeQueue(input) {
      const queue = queueFromUrl(input);
      for (const m of queue.messages) if (m.receiptHandle) handles.delete(m.receiptHandle);
      queue.messages = [];
      return {};
    },
  };

  function answer(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": JSON_CONTENT_TYPE,
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  function fail(res: ServerResponse, fault: SqsFault): void {
    const sender = fault.status < 500 ? "Sender" : "Receiver";
    answer(res, fault.status, { __type: ERROR_NAMESPACE + fault.type, message: fault.message }, {
      "x-amzn-query-error": `${fault.queryCode};${sender}`,
    });
  }

  /** The access key id in a SigV4 `Authorization` header, reported as SenderId. */
  function senderOf(authorization: string): string {
    return /Credential=([^/,\s]+)/.exec(authorization)?.[1] ?? ACCOUNT;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers["x-amz-target"];
    if (req.method !== "POST" || typeof target !== "string" || !target.startsWith(TARGET_PREFIX)) {
      // The query protocol (form-encoded `Action=`) of older SDKs is not spoken here.
      return fail(res, new SqsFault("UnknownOperationException", "Expected POST with X-Amz-Target: AmazonSQS.<Action> (AWS JSON 1.0)."));
    }
    const authorization = req.headers.authorization;
    if (!authorization) {
      return fail(res, new SqsFault("MissingAuthenticationToken", "Request is missing Authentication Token", { status: 403 }));
    }
    const actionName = target.slice(TARGET_PREFIX.length);
    const action = Object.hasOwn(actions, actionName) ? actions[actionName] : undefined;
    if (!action) {
      return fail(res, new SqsFault("InvalidAction", `The action ${actionName} is not valid for this endpoint.`));
    }
    let input: unknown;
    try {
      input = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return fail(res, new SqsFault("SerializationException", "The request body is not valid JSON."));
    }
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      return fail(res, new SqsFault("SerializationException", "The request body must be a JSON object."));
    }
    try {
      answer(res, 200, await action(input as Json, senderOf(authorization)));
    } catch (error) {
      if (error instanceof SqsFault) return fail(res, error);
      fail(res, new SqsFault("InternalError", "The stand-in failed.", { status: 500 }));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, new SqsFault("InternalError", "The stand-in failed.", { status: 500 }));
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    queueUrl: (name) => `${endpoint}/${ACCOUNT}/${knownQueue(name).name}`,
    queueArn: (name) => knownQueue(name).arn,
    depth: (name) => depthOf(knownQueue(name)),
    messages: (name) => Object.freeze(knownQueue(name).messages.map((m) => m.body)),
    close() {
      closed = true;
      return closeServer(server, "all");
    },
  };
}
