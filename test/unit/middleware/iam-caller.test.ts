/** The IAM-caller middleware on its own (the status and offboard handler tests run it end to end). */
import middy from "@middy/core";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { requireIamCaller } from "../../../handlers/middleware/iam-caller.ts";
import { lambdaContext, statusEvent } from "../../support/lambda.ts";

function handlerCounting() {
  let calls = 0;
  const handler = middy<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2>()
    .use(requireIamCaller())
    .handler(async () => {
      calls++;
      return { statusCode: 200, body: "{}" };
    });
  return { handler, calls: () => calls };
}

describe("requireIamCaller", () => {
  it("passes a request with an IAM caller to the handler", async () => {
    const { handler, calls } = handlerCounting();
    expect((await handler(statusEvent("acme"), lambdaContext())).statusCode).toBe(200);
    expect(calls()).toBe(1);
  });

  it("answers 403 without calling the handler when there is no authorizer, or a caller without arn and id", async () => {
    const { handler, calls } = handlerCounting();
    const none = await handler(statusEvent("acme", { authorized: false }), lambdaContext());
    expect(none).toMatchObject({ statusCode: 403 });
    expect(JSON.parse(none.body ?? "null")).toEqual({ error: "forbidden", rule: "IAM (SigV4) authorization required" });
    const event = statusEvent("acme");
    const empty = { ...event, requestContext: { ...event.requestContext, authorizer: { iam: { ...event.requestContext.authorizer.iam, userArn: "", userId: "" } } } };
    expect((await handler(empty, lambdaContext())).statusCode).toBe(403);
    expect(calls()).toBe(0);
  });
});
