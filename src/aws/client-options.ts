import { DeadlineBoundHttpHandler } from "./deadline-bound-http-handler.ts";
import { PreparedKeySha256 } from "./sha256.ts";

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
 * request timeouts per attempt, each attempt also cut off at the invocation's deadline; and
 * request signing whose HMAC keys are prepared once ({@link PreparedKeySha256}).
 *
 * @example
 * ```ts
 * const sqs = new SQSClient(awsClientOptions());
 * ```
 */
export function awsClientOptions(): { requestHandler: DeadlineBoundHttpHandler; sha256: typeof PreparedKeySha256 } {
  return {
    sha256: PreparedKeySha256,
    requestHandler: new DeadlineBoundHttpHandler({
      connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: AWS_REQUEST_TIMEOUT_MS,
      // Without it a request over requestTimeout is only logged (NodeHttpHandler's compatibility default).
      throwOnRequestTimeout: true,
    }),
  };
}

/** The part of an SDK client this module touches. */
interface WithMiddlewareStack {
  middlewareStack: { remove(toRemove: string): boolean };
}

/**
 * Takes the SDK's logger middleware out of `client`'s stack. The service never gives the SDK a
 * logger, yet the middleware builds a redacted copy of every input and output for the default
 * no-op logger's `info` on each call (about 2% of the backfill's CPU when DynamoDB still went
 * through the SDK). Used for Secrets Manager, the SDK client left.
 * Errors still reach the caller; our own logs are written by the core.
 *
 * @example
 * ```ts
 * const sqs = withoutSdkLogging(new SQSClient(awsClientOptions()));
 * ```
 */
export function withoutSdkLogging<C extends WithMiddlewareStack>(client: C): C {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}
