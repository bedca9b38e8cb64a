/** SQS error answers of the local SQS stand-in, as the SDK maps them to its exception classes. */
import { AwsFault } from "../aws-json.ts";

/** An SQS error answer, thrown inside an action handler: an {@link AwsFault} with SQS's query code. */
export class SqsFault extends AwsFault {
  constructor(type: string, message: string, options: { queryCode?: string; status?: number } = {}) {
    super(type, message, options.status ?? 400, options.queryCode ?? type);
  }
}

/**
 * A parameter SQS refuses (`InvalidParameterValue`).
 *
 * @example
 * ```ts
 * throw invalidParameter("MessageAttributes must be a map.");
 * ```
 */
export const invalidParameter = (message: string): SqsFault => new SqsFault("InvalidParameterValue", message);

/**
 * A required parameter is absent (`MissingParameter`).
 *
 * @example
 * ```ts
 * throw missingParameter("QueueUrl");
 * ```
 */
export const missingParameter = (name: string): SqsFault => new SqsFault("MissingParameter", `The request must contain the parameter ${name}.`);

/**
 * The queue a URL or name points to does not exist (`QueueDoesNotExist`).
 *
 * @example
 * ```ts
 * if (!queue) throw nonExistentQueue();
 * ```
 */
export const nonExistentQueue = (): SqsFault =>
  new SqsFault("QueueDoesNotExist", "The specified queue does not exist.", { queryCode: "AWS.SimpleQueueService.NonExistentQueue" });
