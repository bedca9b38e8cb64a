/**
 * The webhook's two middlewares on their own: the error-to-reply mapping, and the signature
 * middleware's hand-over to the replay guard (the handler tests run both end to end).
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { PayloadTooLargeError } from "../../../handlers/middleware/errors.ts";
import { errorResponse } from "../../../handlers/middleware/http-errors.ts";
import { webhookSignature, type WebhookContext } from "../../../handlers/middleware/webhook-signature.ts";
import { AwsCallDeadlineError } from "../../../src/aws/errors.ts";
import { ValidationError } from "../../../src/errors.ts";
import { WebhookVerificationError } from "../../../src/webhook/errors.ts";

const quiet = { error: () => undefined };
const bodyOf = (reply: { body?: string | undefined }) => JSON.parse(reply.body ?? "null") as Record<string, unknown>;

describe("httpErrorResponses' mapping (errorResponse)", () => {
  it("bad input: 400 with the first 50 issues and the count of all", () => {
    const issues = Array.from({ length: 60 }, (_, i) => ({ field: `data.u${i}`, rule: "unknown field" }));
    const reply = errorResponse(new ValidationError(issues), quiet);
    expect(reply.statusCode).toBe(400);
    expect(bodyOf(reply)).toEqual({ error: "invalid-request", issues: issues.slice(0, 50), issueCount: 60 });
  });

  it("a reused webhook-id is a 409; every other verification failure a 401; too large a 413", () => {
    expect(errorResponse(new WebhookVerificationError("id-reused", "webhook-id", "r"), quiet).statusCode).toBe(409);
    for (const reason of ["missing-header", "bad-id", "bad-timestamp", "stale", "future", "bad-signature"] as const) {
      const reply = errorResponse(new WebhookVerificationError(reason, "webhook-signature", "r"), quiet);
      expect(reply.statusCode, reason).toBe(401);
      expect(bodyOf(reply)).toEqual({ error: reason, issues: [{ field: "webhook-signature", rule: "r" }] });
    }
    expect(errorResponse(new PayloadTooLargeError(65_536), quiet).statusCode).toBe(413);
  });

  it("anything else: 500 with no detail, logged by name only", () => {
    const logged: unknown[] = [];
    const reply = errorResponse(new TypeError("secret=hunter2"), { error: (...args) => logged.push(args) });
    expect(reply.statusCode).toBe(500);
    expect(reply.body).toBe('{"error":"internal"}');
    expect(JSON.stringify(logged)).not.toContain("hunter2");
  });

  it("one of our own errors is logged with its message too (it names what failed), still a bare 500", () => {
    const logged: unknown[] = [];
    const reply = errorResponse(new AwsCallDeadlineError(0, "sqs.us-east-1.amazonaws.com"), { error: (...args) => logged.push(args) });
    expect(reply.body).toBe('{"error":"internal"}');
    expect(logged).toEqual([["unhandled error", { errorName: "AwsCallDeadlineError", errorMessage: expect.stringContaining("AWS call to sqs.us-east-1.amazonaws.com cut off") }]]);
  });
});

describe("webhookSignature", () => {
  const run = async (delivery: "first" | "duplicate") => {
    const remembered: [string, string][] = [];
    const middleware = webhookSignature({
      keys: { verify: async () => ({ id: "msg_1", timestamp: 1, keyIndex: 0 }) },
      remember: async (id, body) => (remembered.push([id, body.toString()]), delivery),
    });
    const context = { rawBody: Buffer.from("{}") } as WebhookContext;
    const request = { event: { headers: {} } as APIGatewayProxyEventV2, context, response: undefined, error: undefined, internal: {} };
    await middleware.before?.(request as never);
    return { remembered, webhook: context.webhook };
  };

  it("hands the verified id and the raw body to the replay guard and records the delivery", async () => {
    expect(await run("first")).toEqual({ remembered: [["msg_1", "{}"]], webhook: { id: "msg_1", timestamp: 1, keyIndex: 0, delivery: "first" } });
    expect((await run("duplicate")).webhook?.delivery).toBe("duplicate");
  });
});
