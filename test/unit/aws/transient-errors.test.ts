import { ConditionalCheckFailedException, InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import * as Ours from "../../../src/aws/dynamodb/index.ts";
import { TransportError } from "../../../src/http/errors.ts";
import { dynamoDbError } from "../../support/watch-commands.ts";
import { AwsCallDeadlineError, isTransientAwsError } from "../../../src/aws/errors.ts";
import { errorResponse } from "../../../handlers/middleware/http-errors.ts";
import { WebhookIdNotRecordedError } from "../../../src/webhook/errors.ts";

const meta = (httpStatusCode: number) => ({ message: "x", $metadata: { httpStatusCode } });

describe("isTransientAwsError (the replay guard's 503 rule)", () => {
  it("is true for a deadline cut, throttling, a 5xx, a timeout and a dropped connection", () => {
    expect(isTransientAwsError(new AwsCallDeadlineError(Date.now(), "dynamodb"))).toBe(true);
    expect(isTransientAwsError(new ProvisionedThroughputExceededException(meta(400)))).toBe(true);
    expect(isTransientAwsError(new InternalServerError(meta(500)))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error("timed out"), { name: "TimeoutError" }))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
  });

  it("reads the service's own DynamoDB client's errors the same way: throttling, a 5xx and no answer at all are transient, a refused condition is not", () => {
    expect(isTransientAwsError(dynamoDbError(Ours.ProvisionedThroughputExceededException, "slow down"))).toBe(true);
    expect(isTransientAwsError(dynamoDbError(Ours.InternalServerError, "inside", 500))).toBe(true);
    expect(isTransientAwsError(new TransportError("connect", "could not connect: ECONNREFUSED", false))).toBe(true);
    expect(isTransientAwsError(new TransportError("timeout", "no answer within 5000 ms", true))).toBe(true);
    expect(isTransientAwsError(dynamoDbError(Ours.ConditionalCheckFailedException, "The conditional request failed"))).toBe(false);
    expect(isTransientAwsError(dynamoDbError(Ours.ResourceNotFoundException, "no table"))).toBe(false);
  });

  it("is false for a client error that will fail again, and for anything not an AWS call's error", () => {
    expect(isTransientAwsError(new ConditionalCheckFailedException(meta(400)))).toBe(false);
    expect(isTransientAwsError(new ResourceNotFoundException(meta(400)))).toBe(false);
    expect(isTransientAwsError(new TypeError("bug"))).toBe(false);
    expect(isTransientAwsError("text")).toBe(false);
  });
});

describe("errorResponse for a webhook-id not recorded", () => {
  it("is a 503 with Retry-After and a body naming the reason, logged with the cause's name only", () => {
    const logged: unknown[] = [];
    const reply = errorResponse(new WebhookIdNotRecordedError(5, new AwsCallDeadlineError(0, "dynamodb")), { error: (...a) => void logged.push(a) });
    expect(reply.statusCode).toBe(503);
    expect(reply.headers).toEqual({ "content-type": "application/json", "retry-after": "5" });
    expect(JSON.parse(reply.body ?? "{}")).toEqual({
      error: "webhook-id-not-recorded",
      message: "the webhook-id could not be recorded in time; the delivery was not accepted (resend it)",
      retryAfterSeconds: 5,
    });
    expect(JSON.stringify(logged)).toContain('"causeName":"AwsCallDeadlineError"');
  });
});
