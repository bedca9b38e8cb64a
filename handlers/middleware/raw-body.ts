import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { PayloadTooLargeError } from "./errors.ts";

/** A context carrying the request body exactly as the client sent it. */
export interface RawBodyContext extends Context {
  rawBody?: Buffer;
}

/** The body {@link rawBody} decoded. */
export function rawBodyOf(context: RawBodyContext): Buffer {
  if (context.rawBody === undefined) throw new Error("rawBody middleware did not run");
  return context.rawBody;
}

/**
 * Decodes the HTTP API body to its exact bytes (API Gateway base64-encodes binary bodies) and
 * refuses bodies over `maxBytes` before anything else reads them. Signatures are checked on these
 * bytes, never on a re-serialised parse.
 *
 * @example
 * ```ts
 * middy(handler).use(rawBody({ maxBytes: 64 * 1024 }));
 * ```
 */
export function rawBody(options: { maxBytes: number }): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, RawBodyContext> {
  return {
    name: "rawBody",
    before: (request) => {
      const body = request.event.body ?? "";
      // Cheap upper bound first, so a huge body is never decoded.
      const encodedLimit = request.event.isBase64Encoded ? Math.ceil((options.maxBytes * 4) / 3) + 4 : options.maxBytes * 4;
      // Stryker disable next-line CallExpression: a shortcut only; the decoded-size check below refuses the same bodies
      if (body.length > encodedLimit) throw new PayloadTooLargeError(options.maxBytes);
      const bytes = request.event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
      if (bytes.length > options.maxBytes) throw new PayloadTooLargeError(options.maxBytes);
      request.context.rawBody = bytes;
    },
  };
}
