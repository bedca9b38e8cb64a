/**
 * jsonContentType on its own: which Content-Type values declare a UTF-8 JSON body (parsed as a
 * media type, not matched as text), and the refusal it raises for the others.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { httpErrorResponses } from "../../../handlers/middleware/http-errors.ts";
import { isJsonMediaType, JSON_CONTENT_TYPE_RULE, jsonContentType } from "../../../handlers/middleware/json-content-type.ts";

/**
 * Undefined when the before step lets the request go on; else the reply httpErrorResponses makes
 * of what it threw (thrown, so the other middlewares' onError and after steps still run).
 */
function run(headers: Record<string, string> | undefined): APIGatewayProxyStructuredResultV2 | undefined {
  const before = jsonContentType().before;
  if (!before) throw new Error("jsonContentType has no before step");
  const request = { event: { headers } as APIGatewayProxyEventV2, context: {}, response: undefined, error: undefined as unknown, internal: {} };
  try {
    expect(before(request as never)).toBeUndefined();
    return undefined;
  } catch (error) {
    request.error = error;
    void httpErrorResponses({ log: { error: () => undefined } }).onError?.(request as never);
    return request.response as APIGatewayProxyStructuredResultV2 | undefined;
  }
}

describe("jsonContentType", () => {
  it.each(["application/json", "application/json; charset=utf-8", "APPLICATION/Json;CHARSET=UTF-8", 'application/json; charset="utf-8"', "application/json ; foo=bar"])("accepts %s", (value) => {
    expect(isJsonMediaType(value)).toBe(true);
    expect(run({ "content-type": value })).toBeUndefined();
  });

  it.each([
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin1",
    "application/json; charset=utf-16",
    "application/jsonp",
    "application/vnd.api+json",
    "application/json/x",
    "json",
    "",
  ])("refuses %j", (value) => {
    expect(isJsonMediaType(value)).toBe(false);
    expect(run({ "content-type": value })?.statusCode).toBe(415);
  });

  it("answers a request without the header (and without headers at all) 415 naming content-type and the rule, with Accept; never the value", () => {
    expect(isJsonMediaType(undefined)).toBe(false);
    const cases: (Record<string, string> | undefined)[] = [{}, undefined, { "content-type": "text/secret-value" }];
    for (const headers of cases) {
      const reply = run(headers);
      expect(reply).toMatchObject({ statusCode: 415, headers: { "content-type": "application/json", accept: "application/json" } });
      expect(JSON.parse(String(reply?.body))).toEqual({ error: "unsupported-media-type", issues: [{ field: "content-type", rule: JSON_CONTENT_TYPE_RULE }] });
      expect(String(reply?.body)).not.toContain("secret-value");
    }
  });
});
