import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { MIMEType } from "node:util";
import { UnsupportedMediaTypeError } from "./errors.ts";

/** What a JSON body's `Content-Type` must be; JSON is UTF-8 (RFC 8259), so no other charset. */
export const JSON_CONTENT_TYPE_RULE = "must be application/json (a charset parameter, if any, utf-8)";

/**
 * Refuses a body that is not declared JSON with an {@link UnsupportedMediaTypeError}, before the
 * body is read (httpErrorResponses answers it 415 naming `content-type`, with `Accept:
 * application/json`): `text/plain`, form data, a charset
 * other than UTF-8, an unparseable value, or no header at all (RFC 9110 lets a recipient treat an
 * undeclared body as `application/octet-stream`; every Standard Webhooks sender declares JSON).
 * `application/json` is matched as a media type, case-insensitively and with any parameters
 * (`application/json; charset=UTF-8`), by Node's WHATWG MIME parser (`node:util` MIMEType).
 *
 * @example
 * ```ts
 * middy(handler).use(jsonContentType()).use(rawBody({ maxBytes }));
 * ```
 */
export function jsonContentType(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    name: "jsonContentType",
    before: (request) => {
      // API Gateway (payload v2) lowercases header names.
      // Thrown for httpErrorResponses to answer, so the other middlewares' onError/after still run.
      if (!isJsonMediaType(request.event.headers?.["content-type"])) throw new UnsupportedMediaTypeError(JSON_CONTENT_TYPE_RULE);
      return undefined;
    },
  };
}

/**
 * Whether a `Content-Type` value declares a UTF-8 JSON body.
 *
 * @example
 * ```ts
 * isJsonMediaType("application/json; charset=utf-8"); // true
 * isJsonMediaType("text/plain"); // false
 * ```
 */
export function isJsonMediaType(value: string | undefined): boolean {
  if (value === undefined) return false;
  let type: MIMEType;
  try {
    type = new MIMEType(value);
  } catch {
    return false;
  }
  const charset = type.params.get("charset");
  return type.essence === "application/json" && (charset === null || charset.toLowerCase() === "utf-8");
}
