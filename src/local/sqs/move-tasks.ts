/** SQS message move tasks (StartMessageMoveTask, ListMessageMoveTasks): the DLQ redrive `replay-dlq --aws` uses. */
import { randomUUID } from "node:crypto";
import { invalidParameter } from "./faults.ts";
import { optionalInteger, type Json } from "./input.ts";
import type { SqsQueues } from "./queues.ts";

/**
 * The move tasks of the stand-in's queues.
 *
 * @example
 * ```ts
 * const tasks = new MoveTasks(queues);
 * tasks.start({ SourceArn: queues.byName("signup-dlq").arn });
 * ```
 */
export class MoveTasks {
  readonly #queues: SqsQueues;
  /** Per source queue ARN, newest first (ListMessageMoveTasks shows up to 10). */
  readonly #tasks = new Map<string, Json[]>();

  constructor(queues: SqsQueues) {
    this.#queues = queues;
  }

  /**
   * StartMessageMoveTask as SQS runs it for a DLQ: every message not in flight moves to the
   * destination, or back to the queue it was dead-lettered from, as a new receivable message
   * (receive count reset). SQS moves asynchronously; here the task is COMPLETED by the time the
   * answer is sent, a legitimate (fast) outcome that callers polling ListMessageMoveTasks handle.
   */
  start(input: Json): Json {
    const source = this.#queues.fromArn(input, "SourceArn");
    if (!this.#queues.isDeadLetterQueue(source)) throw invalidParameter("Source queue must be configured as a Dead Letter Queue.");
    const destination = input.DestinationArn === undefined ? undefined : this.#queues.fromArn(input, "DestinationArn");
    const rate = optionalInteger(input, "MaxNumberOfMessagesPerSecond", 1, 500);
    const now = Date.now();
    const toMove = source.messages.filter((m) => m.receiptHandle === undefined || m.visibleAt <= now);
    let moved = 0;
    for (const message of toMove) {
      const target = destination ?? this.#queues.findByArn(message.deadLetterQueueSourceArn);
      if (!target) continue;
      this.#queues.move(message, source, target, now);
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
    this.#tasks.set(source.arn, [task, ...(this.#tasks.get(source.arn) ?? [])].slice(0, 10));
    return { TaskHandle: taskHandle };
  }

  /** ListMessageMoveTasks: the newest `MaxResults` (default 1) tasks of a source queue. */
  list(input: Json): Json {
    const source = this.#queues.fromArn(input, "SourceArn");
    const max = optionalInteger(input, "MaxResults", 1, 10) ?? 1;
    return { Results: (this.#tasks.get(source.arn) ?? []).slice(0, max) };
  }
}
