import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/**
 * A Lambda `Context` for running a handler outside Lambda (local stack, CLI, benchmarks):
 * `getRemainingTimeInMillis()` counts down from `timeoutMs` like the real one.
 *
 * @example
 * ```ts
 * await handler(event, localLambdaContext("webhook", 29_000));
 * ```
 */
export function localLambdaContext(functionName: string, timeoutMs: number): Context {
  const endsAt = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
