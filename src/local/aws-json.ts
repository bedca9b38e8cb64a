/**
 * What the local AWS stand-ins share of the AWS JSON 1.1 protocol (the one the official clients of
 * Secrets Manager and EventBridge speak): the error answer `{"__type","message"}` with its HTTP
 * status, the JSON answer, and a request body that must be a JSON object.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/** The content type of AWS JSON 1.1 requests and answers. */
export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/** A JSON object, as requests and answers carry them. */
export type Json = Record<string, unknown>;

/**
 * An AWS error answer, thrown inside an action; the SDK maps `type` to its exception class.
 *
 * @example
 * ```ts
 * throw new AwsFault("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
 * ```
 */
export class AwsFault extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/**
 * Sends a JSON answer with a request id, as AWS does.
 *
 * @example
 * ```ts
 * sendAwsJson(res, 200, { FailedEntryCount: 0, Entries: [] });
 * ```
 */
export function sendAwsJson(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": AWS_JSON_CONTENT_TYPE, "content-length": Buffer.byteLength(text), "x-amzn-requestid": randomUUID() });
  res.end(text);
}

/**
 * Sends an error answer: the fault's status and `{"__type","message"}`.
 *
 * @example
 * ```ts
 * sendAwsFault(res, new AwsFault("ThrottlingException", "Rate exceeded"));
 * ```
 */
export function sendAwsFault(res: ServerResponse, fault: AwsFault): void {
  sendAwsJson(res, fault.status, { __type: fault.type, message: fault.message });
}

/**
 * The request body as a JSON object (empty means `{}`), or a SerializationException fault.
 *
 * @example
 * ```ts
 * const input = parseAwsJsonBody(Buffer.concat(chunks));
 * ```
 */
export function parseAwsJsonBody(body: Buffer): Json {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw new AwsFault("SerializationException", "The request body is not valid JSON.");
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new AwsFault("SerializationException", "The request body must be a JSON object.");
  }
  return input as Json;
}
