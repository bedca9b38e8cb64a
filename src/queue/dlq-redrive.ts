import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";

/** Options of {@link startDlqRedrive}. */
export interface DlqRedriveOptions {
  dlqUrl: string;
  /** Where the messages go; absent: back to the queue each message came from (SQS's default). */
  destinationQueueUrl?: string | undefined;
  /** SQS's own pacing of the move; absent: as fast as SQS moves them (up to 500/s). */
  maxPerSecond?: number | undefined;
}

/** A started move task. */
export interface DlqRedriveTask {
  taskHandle: string;
  sourceArn: string;
  destinationArn: string | undefined;
}

/**
 * Starts an SQS message move task (StartMessageMoveTask) from the dead-letter queue back to the
 * signup queue. SQS moves the messages itself, server-side, and never loses or half-moves one:
 * no receive/send/delete loop that a crash could leave duplicated. The task takes ARNs, so the
 * queue URLs are resolved first.
 *
 * @example
 * ```ts
 * const task = await startDlqRedrive(new SQSClient({}), { dlqUrl: process.env.DLQ_URL! });
 * console.log(task.taskHandle);
 * ```
 */
export async function startDlqRedrive(client: SQSClient, options: DlqRedriveOptions): Promise<DlqRedriveTask> {
  const sourceArn = await queueArn(client, options.dlqUrl);
  const destinationArn = options.destinationQueueUrl === undefined ? undefined : await queueArn(client, options.destinationQueueUrl);
  const started = await client.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      ...(destinationArn ? { DestinationArn: destinationArn } : {}),
      ...(options.maxPerSecond ? { MaxNumberOfMessagesPerSecond: options.maxPerSecond } : {}),
    }),
  );
  return { taskHandle: started.TaskHandle ?? "", sourceArn, destinationArn };
}

/** Where a move task stands, as ListMessageMoveTasks reports it. */
export interface DlqRedriveProgress {
  status: string;
  moved: number;
  toMove: number;
  failureReason?: string | undefined;
}

/**
 * Polls the newest move task of the DLQ (ListMessageMoveTasks) until it is no longer RUNNING or
 * CANCELLING, or until `deadline` (then it reports the last status seen, RUNNING).
 *
 * @example
 * ```ts
 * const done = await waitForDlqRedrive(sqs, task.sourceArn, { deadline: Date.now() + 300_000 });
 * console.log(`${done.status}: ${done.moved} of ${done.toMove}`);
 * ```
 */
export async function waitForDlqRedrive(
  client: SQSClient,
  sourceArn: string,
  options: { deadline: number; pollMs?: number; clock?: Clock },
): Promise<DlqRedriveProgress> {
  const clock = options.clock ?? systemClock;
  for (;;) {
    const { Results = [] } = await client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    const progress: DlqRedriveProgress = {
      status: task?.Status ?? "UNKNOWN",
      moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: task?.ApproximateNumberOfMessagesToMove ?? 0,
      failureReason: task?.FailureReason,
    };
    const active = progress.status === "RUNNING" || progress.status === "CANCELLING";
    if (!active || clock.now() >= options.deadline) return progress;
    await clock.sleep(options.pollMs ?? 2_000);
  }
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS did not report the ARN of ${queueUrl}`);
  return arn;
}
