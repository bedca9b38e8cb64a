/** SQS error answers of the local SQS stand-in, as the SDK maps them to its exception classes. */

/** An SQS error answer, thrown inside an action handler. */
export class SqsFault extends Error {
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
