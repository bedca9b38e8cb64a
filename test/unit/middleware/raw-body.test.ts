/**
 * rawBody on its own: the bytes the signature is checked on are exactly the bytes sent (API
 * Gateway base64-encodes binary bodies), and the size limit holds at its edge for both encodings.
 */
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { PayloadTooLargeError } from "../../../handlers/middleware/errors.ts";
import { rawBody, rawBodyOf, type RawBodyContext } from "../../../handlers/middleware/raw-body.ts";

const MAX = 48;

function run(body: string | undefined, isBase64Encoded: boolean, maxBytes = MAX): Buffer {
  const request = { event: { body, isBase64Encoded } as APIGatewayProxyEventV2, context: {} as RawBodyContext, response: undefined, error: undefined, internal: {} };
  const before = rawBody({ maxBytes }).before;
  if (!before) throw new Error("rawBody has no before step");
  before(request as never);
  return rawBodyOf(request.context);
}

describe("rawBody", () => {
  it("decodes a base64 body to the exact bytes, including bytes that are not UTF-8", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0xc3]);
    expect(run(bytes.toString("base64"), true)).toEqual(bytes);
  });

  it("keeps a text body's UTF-8 bytes; an absent body is empty", () => {
    expect(run('{"name":"Zoë"}', false)).toEqual(Buffer.from('{"name":"Zoë"}', "utf8"));
    expect(run(undefined, false)).toEqual(Buffer.alloc(0));
  });

  it("accepts exactly maxBytes and refuses one byte more, base64 or not", () => {
    const atLimit = Buffer.alloc(MAX, 0x61);
    expect(run(atLimit.toString("base64"), true)).toEqual(atLimit);
    expect(run(atLimit.toString("utf8"), false)).toEqual(atLimit);
    // Four-byte characters: 12 of them are 48 bytes in 24 UTF-16 units.
    expect(run("😀".repeat(MAX / 4), false)).toHaveLength(MAX);
    const over = Buffer.alloc(MAX + 1, 0x61);
    expect(() => run(over.toString("base64"), true)).toThrow(PayloadTooLargeError);
    expect(() => run(over.toString("utf8"), false)).toThrow(PayloadTooLargeError);
    expect(() => run("😀".repeat(MAX / 4 + 1), false)).toThrow(PayloadTooLargeError);
    for (const n of [1, 2, 3, 4, 5, 30, 31, 32]) {
      const exact = Buffer.alloc(n, 0x62);
      expect(run(exact.toString("base64"), true, n), `base64 of ${n} bytes`).toEqual(exact);
    }
  });

  it("the refusal names the field and the limit", () => {
    expect(() => run("x".repeat(MAX * 5), false)).toThrow(new PayloadTooLargeError(MAX));
    const error = new PayloadTooLargeError(MAX);
    expect(error).toMatchObject({ name: "PayloadTooLargeError", limitBytes: MAX, message: "body: at most 48 bytes" });
  });

  it("read before the middleware ran is a programming error, said so", () => {
    expect(() => rawBodyOf({} as Context)).toThrow("rawBody middleware did not run");
  });
});
