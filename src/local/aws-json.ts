/**
 * What the local AWS stand-ins share of the AWS JSON protocols (1.1 for Secrets Manager and
 * EventBridge; 1.0 in "query compatible" mode for SQS): the error answer `{"__type","message"}`
 * with its HTTP status (and, query compatible, the `x-amzn-query-error` header), the JSON answer,
 * a request body that must be a JSON object, and the injected call faults of the tests. One copy
 * for every stand-in.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** The content type of AWS JSON 1.1 requests and answers. */
export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/** How one service speaks AWS JSON: its content type, and how its error names are written. */
export interface AwsJsonProtocol {
  contentType: string;
  /** Prefix of `__type`, e.g. `com.amazonaws.sqs#` (none for AWS JSON 1.1 services). */
  errorNamespace?: string | undefined;
  /** Query-compatible services (SQS) also send `x-amzn-query-error: <QueryCode>;Sender|Receiver`. */
  queryCompatible?: boolean | undefined;
}

/** AWS JSON 1.1 (Secrets Manager, EventBridge). */
export const AWS_JSON_1_1: AwsJsonProtocol = { contentType: AWS_JSON_CONTENT_TYPE };

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
  /** The legacy query-protocol code (query-compatible services); the type unless given. */
  readonly queryCode: string;
  constructor(type: string, message: string, status = 400, queryCode = type) {
    super(message);
    this.type = type;
    this.status = status;
    this.queryCode = queryCode;
  }
}

/** A whole-call error to inject, as AWS would send it. */
export interface InjectedFault {
  /** AWS error name, e.g. `ThrottlingException`, `InternalServiceError`. */
  type: string;
  /** HTTP status; 400 unless given (AWS sends 500 for its internal errors). */
  status?: number | undefined;
  message?: string | undefined;
}

/** Faults the tests inject per action: the next `times` calls of it are answered with the fault. */
export interface CallFaults {
  set(action: string, fault: InjectedFault, times?: number): void;
  /** The fault to answer this call of `action` with (counting it), if one is waiting. */
  take(action: string): AwsFault | undefined;
  /** Drops the waiting faults (all of them, or those of `action`). */
  clear(action?: string): void;
}

/**
 * The injected call faults of one stand-in.
 *
 * @example
 * ```ts
 * const faults = callFaults();
 * faults.set("PutEvents", { type: "ThrottlingException" }, 2);
 * const injected = faults.take("PutEvents"); // an AwsFault, twice; then undefined
 * ```
 */
export function callFaults(): CallFaults {
  const waiting = new Map<string, { fault: InjectedFault; remaining: number }>();
  return {
    set(action, fault, times = 1) {
      waiting.set(action, { fault, remaining: times });
    },
    take(action) {
      const injected = waiting.get(action);
      if (!injected) return undefined;
      if (--injected.remaining <= 0) waiting.delete(action);
      const { type, status, message } = injected.fault;
      return new AwsFault(type, message ?? `Injected ${type}.`, status ?? 400);
    },
    clear(action) {
      if (action === undefined) waiting.clear();
      else waiting.delete(action);
    },
  };
}

/**
 * Sends a JSON answer with a request id, as AWS does.
 *
 * @example
 * ```ts
 * sendAwsJson(res, 200, { FailedEntryCount: 0, Entries: [] });
 * ```
 */
export function sendAwsJson(res: ServerResponse, status: number, body: Json, protocol: AwsJsonProtocol = AWS_JSON_1_1, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": protocol.contentType, "content-length": Buffer.byteLength(text), "x-amzn-requestid": randomUUID(), ...headers });
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
export function sendAwsFault(res: ServerResponse, fault: AwsFault, protocol: AwsJsonProtocol = AWS_JSON_1_1): void {
  const headers: Record<string, string> = protocol.queryCompatible ? { "x-amzn-query-error": `${fault.queryCode};${fault.status < 500 ? "Sender" : "Receiver"}` } : {};
  sendAwsJson(res, fault.status, { __type: (protocol.errorNamespace ?? "") + fault.type, message: fault.message }, protocol, headers);
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

/**
 * Answers a request with what `action` returns, or with the {@link AwsFault} it throws; any
 * other error is the stand-in's own failure: a 500 named `internalError` (the service's name for it).
 *
 * @example
 * ```ts
 * await answerAction(res, () => putEvents(parseAwsJsonBody(body)), "InternalException");
 * ```
 */
export async function answerAction(res: ServerResponse, action: () => Json | Promise<Json>, internalError: string, protocol: AwsJsonProtocol = AWS_JSON_1_1): Promise<void> {
  try {
    sendAwsJson(res, 200, await action(), protocol);
  } catch (error) {
    sendAwsFault(res, error instanceof AwsFault ? error : new AwsFault(internalError, "The stand-in failed.", 500), protocol);
  }
}

/**
 * A stand-in's HTTP server: a request whose handling crashes is answered 500 `internalError`, or
 * its connection dropped when an answer had already begun; it never takes the process down.
 *
 * @example
 * ```ts
 * const server = awsJsonServer(handle, "InternalServiceError");
 * ```
 */
export function awsJsonServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  internalError: string,
  protocol: AwsJsonProtocol = AWS_JSON_1_1,
): Server {
  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendAwsFault(res, new AwsFault(internalError, "The stand-in failed.", 500), protocol);
      else res.destroy();
    });
  });
}
