import { DeadlineBoundHttpHandler } from "./deadline-bound-http-handler.ts";

/**
 * Per attempt: time to open the connection (in-region AWS endpoints answer in milliseconds; a
 * connection that takes seconds is not going to work, and the SDK retries on a fresh one).
 */
export const AWS_CONNECTION_TIMEOUT_MS = 2_000;
/**
 * Per attempt: time for the whole request and response (single-item and one-page calls). Not for
 * long polling (SQS ReceiveMessage with WaitTimeSeconds), which the functions do not do.
 */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

/**
 * What every AWS SDK client of the service is built with: a request handler with connection and
 * request timeouts per attempt, each attempt also cut off at the invocation's deadline.
 *
 * @example
 * ```ts
 * const sqs = new SQSClient(awsClientOptions());
 * ```
 */
export function awsClientOptions(): { requestHandler: DeadlineBoundHttpHandler } {
  return {
    requestHandler: new DeadlineBoundHttpHandler({
      connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: AWS_REQUEST_TIMEOUT_MS,
      // Without it a request over requestTimeout is only logged (NodeHttpHandler's compatibility default).
      throwOnRequestTimeout: true,
    }),
  };
}
