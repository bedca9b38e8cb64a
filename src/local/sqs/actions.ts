/** The SQS actions the stand-in answers (AWS JSON 1.0 `X-Amz-Target: AmazonSQS.<Action>`), onto its queues. */
import { nonExistentQueue, SqsFault } from "./faults.ts";
import { batchEntries, MAX_BATCH_ENTRIES, optionalInteger, requiredString, runBatch, stringList, type Json } from "./input.ts";
import { MoveTasks } from "./move-tasks.ts";
import { ACCOUNT, MAX_MESSAGE_BYTES, MAX_VISIBILITY_SECONDS, type SqsQueues } from "./queues.ts";

/** An action gets the parsed body and the caller's access key id (the SenderId SQS would report). */
export type Action = (input: Json, senderId: string) => Json | Promise<Json>;

/** How often a waiting ReceiveMessage looks again; local, so short. */
const WAIT_POLL_MS = 10;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SqsActionContext {
  queues: SqsQueues;
  /** The stand-in's `http://127.0.0.1:<port>`, for the queue URLs it answers. */
  endpoint: () => string;
  /** Longest a ReceiveMessage with `WaitTimeSeconds` waits. */
  maxWaitMs: number;
  /** True once the stand-in closes: waiting receives end. */
  closed: () => boolean;
  /** ReceiveMessage calls waiting for a message now, by queue name (kept by the actions; tests wait on it). */
  waiting?: Map<string, number> | undefined;
}

/**
 * The action table: GetQueueUrl, SendMessage(Batch), ReceiveMessage (short wait for
 * `WaitTimeSeconds`, capped by `maxWaitMs`), DeleteMessage(Batch),
 * ChangeMessageVisibility(Batch), GetQueueAttributes, StartMessageMoveTask, ListMessageMoveTasks.
 *
 * @example
 * ```ts
 * const actions = sqsActions({ queues, endpoint: () => endpoint, maxWaitMs: 1_000, closed: () => closed, waiting: new Map() });
 * ```
 */
export function sqsActions(context: SqsActionContext): Record<string, Action> {
  const { queues } = context;
  const moveTasks = new MoveTasks(queues);
  return {
    GetQueueUrl(input) {
      const name = requiredString(input, "QueueName");
      const owner = input.QueueOwnerAWSAccountId;
      if (!queues.has(name) || (owner !== undefined && owner !== ACCOUNT)) throw nonExistentQueue();
      return { QueueUrl: `${context.endpoint()}/${ACCOUNT}/${name}` };
    },

    SendMessage: (input, senderId) => queues.send(queues.fromUrl(input), input, senderId),

    SendMessageBatch(input, senderId) {
      const queue = queues.fromUrl(input);
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
      return runBatch(entries, (entry) => queues.send(queue, entry, senderId));
    },

    async ReceiveMessage(input) {
      const queue = queues.fromUrl(input);
      const max = optionalInteger(input, "MaxNumberOfMessages", 1, MAX_BATCH_ENTRIES) ?? 1;
      const visibilitySeconds = optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS);
      const waitSeconds = optionalInteger(input, "WaitTimeSeconds", 0, 20) ?? 0;
      const systemNames = [...stringList(input, "AttributeNames"), ...stringList(input, "MessageSystemAttributeNames")];
      const visibilityMs = visibilitySeconds === undefined ? queue.visibilityTimeoutMs : visibilitySeconds * 1000;
      // A short stand-in for long polling: look again until a message shows up or the capped wait ends.
      const deadline = Date.now() + Math.min(waitSeconds * 1000, context.maxWaitMs);
      let taken = queues.take(queue, max, visibilityMs);
      const waiting = context.waiting;
      const waits = taken.length === 0 && !context.closed() && Date.now() < deadline;
      if (waits && waiting) waiting.set(queue.name, (waiting.get(queue.name) ?? 0) + 1);
      try {
        while (taken.length === 0 && !context.closed() && Date.now() < deadline) {
          await sleep(Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now())));
          taken = queues.take(queue, max, visibilityMs);
        }
      } finally {
        if (waits && waiting) waiting.set(queue.name, (waiting.get(queue.name) ?? 1) - 1);
      }
      return taken.length === 0 ? {} : { Messages: taken.map((m) => queues.describe(m, systemNames)) };
    },

    DeleteMessage(input) {
      queues.remove(queues.fromUrl(input), input);
      return {};
    },

    DeleteMessageBatch(input) {
      const queue = queues.fromUrl(input);
      return runBatch(batchEntries(input), (entry) => {
        queues.remove(queue, entry);
        return {};
      });
    },

    ChangeMessageVisibility(input) {
      queues.changeVisibility(queues.fromUrl(input), input);
      return {};
    },

    ChangeMessageVisibilityBatch(input) {
      const queue = queues.fromUrl(input);
      return runBatch(batchEntries(input), (entry) => {
        queues.changeVisibility(queue, entry);
        return {};
      });
    },

    GetQueueAttributes: (input) => ({ Attributes: queues.attributes(queues.fromUrl(input), stringList(input, "AttributeNames")) }),

    StartMessageMoveTask: (input) => moveTasks.start(input),

    ListMessageMoveTasks: (input) => moveTasks.list(input),
  };
}
