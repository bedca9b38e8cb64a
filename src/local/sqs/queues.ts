/**
 * The queues of the local SQS stand-in and what SQS does to their messages: send, receive with
 * visibility timeouts and receive counts, redrive to a dead-letter queue, delete, visibility
 * changes, depth and queue attributes. No HTTP here (see ../sqs.ts).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { invalidParameter, missingParameter, nonExistentQueue, SqsFault } from "./faults.ts";
import { optionalInteger, requiredString, wants, type Json } from "./input.ts";

const REGION = "us-east-1";
/** The one account of the stand-in, in every queue URL and ARN. */
export const ACCOUNT = "000000000000";
/** SQS's message size limit (1 MiB since 2025). */
export const MAX_MESSAGE_BYTES = 1_048_576;
export const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;
const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;
/** SQS accepts only these characters in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const SYSTEM_ATTRIBUTE_NAMES = ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp", "SenderId", "DeadLetterQueueSourceArn"] as const;
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

/** Messages in a queue by state, as SQS counts them. */
export interface SqsQueueDepth {
  /** Receivable now (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet deleted or visible again (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
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

export interface Queue {
  name: string;
  arn: string;
  visibilityTimeoutMs: number;
  redrive?: SqsRedriveOptions | undefined;
  /** Oldest first. */
  messages: StoredMessage[];
}

const md5Hex = (data: string): string => createHash("md5").update(data).digest("hex");

/**
 * The stand-in's queues, fixed at start, and the receipt handles it issued.
 *
 * @example
 * ```ts
 * const queues = new SqsQueues([{ name: "signup" }]);
 * queues.send(queues.byName("signup"), { MessageBody: "{}" }, "AKID");
 * ```
 */
export class SqsQueues {
  readonly #queues = new Map<string, Queue>();
  /** What each receipt handle was issued for. */
  readonly #handles = new Map<string, { queueName: string; messageId: string }>();

  constructor(options: readonly SqsQueueOptions[]) {
    for (const q of options) {
      if (q.name.endsWith(".fifo")) throw new Error(`FIFO queues are not supported by the SQS stand-in: ${q.name}`);
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(q.name)) throw new Error(`Invalid SQS queue name: ${q.name}`);
      if (this.#queues.has(q.name)) throw new Error(`Duplicate queue: ${q.name}`);
      this.#queues.set(q.name, {
        name: q.name,
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${q.name}`,
        visibilityTimeoutMs: q.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS,
        redrive: q.redrive,
        messages: [],
      });
    }
    for (const q of this.#queues.values()) {
      if (!q.redrive) continue;
      if (!this.#queues.has(q.redrive.deadLetterQueueName)) {
        throw new Error(`Queue ${q.name}: dead-letter queue ${q.redrive.deadLetterQueueName} is not configured`);
      }
      if (!Number.isInteger(q.redrive.maxReceiveCount) || q.redrive.maxReceiveCount < 1) {
        throw new Error(`Queue ${q.name}: maxReceiveCount must be a positive integer`);
      }
    }
  }

  /** Whether the stand-in has a queue of this name. */
  has(name: string): boolean {
    return this.#queues.has(name);
  }

  /** The queue of this name; a plain Error (a test's mistake, not an SQS answer) when there is none. */
  byName(name: string): Queue {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`The SQS stand-in has no queue named ${name}`);
    return queue;
  }

  /** The queue a `QueueUrl` parameter names: `<any origin>/<account>/<name>`. */
  fromUrl(input: Json): Queue {
    const url = requiredString(input, "QueueUrl");
    let segments: string[];
    try {
      segments = new URL(url).pathname.split("/").filter((s) => s.length > 0);
    } catch {
      throw new SqsFault("InvalidAddress", `The address ${url} is not valid for this endpoint.`, { status: 404 });
    }
    const [account, name] = segments;
    const queue = segments.length === 2 && account === ACCOUNT && name !== undefined ? this.#queues.get(name) : undefined;
    if (!queue) throw nonExistentQueue();
    return queue;
  }

  /** The queue an ARN parameter names. */
  fromArn(input: Json, name: string): Queue {
    const arn = requiredString(input, name);
    const queue = this.findByArn(arn);
    if (!queue) throw new SqsFault("ResourceNotFoundException", "One or more specified resources don't exist.");
    return queue;
  }

  findByArn(arn: string | undefined): Queue | undefined {
    return [...this.#queues.values()].find((q) => q.arn === arn);
  }

  /** Whether some queue dead-letters into `queue`. */
  isDeadLetterQueue(queue: Queue): boolean {
    return [...this.#queues.values()].some((q) => q.redrive?.deadLetterQueueName === queue.name);
  }

  depth(queue: Queue, now = Date.now()): SqsQueueDepth {
    const depth: SqsQueueDepth = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queue.messages) {
      if (m.visibleAt <= now) depth.visible++;
      else if (m.receiptHandle !== undefined) depth.inFlight++;
      else depth.delayed++;
    }
    return depth;
  }

  /** SendMessage (or one batch entry): checks the message as SQS does and stores it. */
  send(queue: Queue, entry: Json, senderId: string): Json {
    const body = entry.MessageBody;
    if (typeof body !== "string" || body.length === 0) throw missingParameter("MessageBody");
    if (INVALID_BODY_CHARACTER.test(body)) {
      throw new SqsFault("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
    }
    // Nothing of the service sends attributes; refused loudly rather than stored without their digests.
    for (const name of ["MessageAttributes", "MessageSystemAttributes"]) {
      const value = entry[name];
      if (value !== undefined && value !== null && Object.keys(value as object).length > 0) {
        throw new SqsFault("UnsupportedOperation", `${name} are not supported by the local SQS stand-in.`, {
          queryCode: "AWS.SimpleQueueService.UnsupportedOperation",
        });
      }
    }
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    const delaySeconds = optionalInteger(entry, "DelaySeconds", 0, MAX_DELAY_SECONDS) ?? 0;
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      senderId,
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + delaySeconds * 1000,
    };
    queue.messages.push(message);
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
  }

  /**
   * Takes up to `max` visible messages, oldest first, making them in flight for `visibilityMs`; a
   * message past `maxReceiveCount` moves to the dead-letter queue instead, as SQS redrives.
   */
  take(queue: Queue, max: number, visibilityMs: number): StoredMessage[] {
    const now = Date.now();
    const taken: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        this.#deadLetter(queue, message, queue.redrive.deadLetterQueueName, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityMs;
      message.receiptHandle = randomBytes(24).toString("base64url");
      this.#handles.set(message.receiptHandle, { queueName: queue.name, messageId: message.messageId });
      taken.push(message);
    }
    return taken;
  }

  /** A received message as ReceiveMessage answers it, with the system attributes asked for. */
  describe(message: StoredMessage, systemNames: readonly string[]): Json {
    const all: Record<(typeof SYSTEM_ATTRIBUTE_NAMES)[number], string | undefined> = {
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: message.senderId,
      DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
    };
    const attributes: Record<string, string> = {};
    for (const name of SYSTEM_ATTRIBUTE_NAMES) {
      const value = all[name];
      if (value !== undefined && wants(systemNames, name)) attributes[name] = value;
    }
    return {
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    };
  }

  /** DeleteMessage: an old handle still deletes the message, as on standard SQS queues; deleting twice is fine too. */
  remove(queue: Queue, input: Json): void {
    const { message } = this.#byHandle(queue, input);
    if (message) queue.messages.splice(queue.messages.indexOf(message), 1);
    if (message?.receiptHandle) this.#handles.delete(message.receiptHandle);
  }

  /** ChangeMessageVisibility: only the latest handle of a message in flight. */
  changeVisibility(queue: Queue, input: Json): void {
    const seconds = optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS);
    if (seconds === undefined) throw missingParameter("VisibilityTimeout");
    const { message, handle } = this.#byHandle(queue, input);
    const now = Date.now();
    if (!message || message.receiptHandle !== handle || message.visibleAt <= now) {
      throw new SqsFault("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.", {
        queryCode: "AWS.SimpleQueueService.MessageNotInflight",
      });
    }
    message.visibleAt = now + seconds * 1000;
  }

  /** Moves a message out of `from` (a DLQ) into `to` as a new receivable message (receive count reset). */
  move(message: StoredMessage, from: Queue, to: Queue, now: number): void {
    from.messages.splice(from.messages.indexOf(message), 1);
    if (message.receiptHandle) this.#handles.delete(message.receiptHandle);
    to.messages.push({ ...message, receiveCount: 0, firstReceiveTimestamp: undefined, receiptHandle: undefined, visibleAt: now, deadLetterQueueSourceArn: undefined });
  }

  /** GetQueueAttributes: the names asked for (or `All`); an unknown name is refused. */
  attributes(queue: Queue, requested: readonly string[]): Record<string, string> {
    const depth = this.depth(queue);
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
        ? JSON.stringify({ deadLetterTargetArn: this.byName(queue.redrive.deadLetterQueueName).arn, maxReceiveCount: queue.redrive.maxReceiveCount })
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

  /** The message a receipt handle was issued for in this queue; undefined when it is gone. */
  #byHandle(queue: Queue, input: Json): { message: StoredMessage | undefined; handle: string } {
    const handle = requiredString(input, "ReceiptHandle");
    const issued = this.#handles.get(handle);
    if (!issued || issued.queueName !== queue.name) {
      throw new SqsFault("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`, { status: 404 });
    }
    return { message: queue.messages.find((m) => m.messageId === issued.messageId), handle };
  }

  /** Moves a message that has used up its receives to the dead-letter queue, as a fresh visible message. */
  #deadLetter(queue: Queue, message: StoredMessage, deadLetterQueueName: string, now: number): void {
    const dlq = this.byName(deadLetterQueueName);
    queue.messages.splice(queue.messages.indexOf(message), 1);
    message.visibleAt = now;
    message.receiptHandle = undefined;
    message.deadLetterQueueSourceArn = queue.arn;
    dlq.messages.push(message);
  }
}
