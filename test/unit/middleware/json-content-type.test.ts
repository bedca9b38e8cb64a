/**
 * jsonContentType on its own: which Content-Type values declare a UTF-8 JSON body (parsed as a
 * media type, not matched as text), and the refusal it raises for the others.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { UnsupportedMediaTypeError } from "../../../handlers/middleware/errors.ts";
import { isJsonMediaType, JSON_CONTENT_TYPE_RULE, jsonContentType } from "../../../handlers/middleware/json-content-type.ts";

function run(headers: Record<string, string> | undefined): void {
  const before = jsonContentType().before;
  if (!before) throw new Error("jsonContentType has no before step");
  before({ event: { headers } as APIGatewayProxyEventV2, context: {}, response: undefined, error: undefined, internal: {} } as never);
}

describe("jsonContentType", () => {
  it.each(["application/json", "application/json; charset=utf-8", "APPLICATION/Json;CHARSET=UTF-8", 'application/json; charset="utf-8"', "application/json ; foo=bar"])("accepts %s", (value) => {
    expect(isJsonMediaType(value)).toBe(true);
    expect(() => run({ "content-type": value })).not.toThrow();
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
  });

  it("refuses a request without the header (and without headers at all), naming content-type and the rule, never the value", () => {
    expect(isJsonMediaType(undefined)).toBe(false);
    for (const headers of [{}, undefined]) {
      let thrown: unknown;
      try {
        run(headers);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(thrown).toMatchObject({ field: "content-type", rule: JSON_CONTENT_TYPE_RULE, accepted: "application/json" });
    }
    try {
      run({ "content-type": "text/secret-value" });
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-value");
    }
  });
});
