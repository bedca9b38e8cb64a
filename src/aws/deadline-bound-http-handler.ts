import { createHttpTransport } from "../http/request.ts";
import { TransportError } from "../http/errors.ts";
import type { HttpTransport } from "../http/types.ts";
import { awsCallCutoff } from "./call-deadline.ts";
import { AWS_MAX_RESPONSE_BYTES } from "./constants.ts";
import { AwsCallDeadlineError } from "./errors.ts";

/** Options of {@link DeadlineBoundHttpHandler}. */
export interface DeadlineBoundHttpHandlerOptions {
  /** Per attempt: time to open a new connection, in ms (default: no limit of its own). */
  connectionTimeout?: number;
  /** Per attempt: time for the whole request and answer, in ms (default 0: none but the deadline's). */
  requestTimeout?: number;
  /** Kept for the SDK handler's option of that name: a request over `requestTimeout` always throws here. */
  throwOnRequestTimeout?: boolean;
  /** When a call starting at `now` must be over (epoch ms); default: the invocation's ({@link awsCallCutoff}). */
  cutoff?: (now: number) => number | undefined;
  now?: () => number;
  /** Largest answer read, in bytes (default 32 MiB: DynamoDB's largest answers are 16 MB of items). */
  maxResponseBytes?: number;
}

/** The SDK's request as it reaches a handler (its HttpRequest), signed. */
export interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query?: Record<string, string | Array<string> | null> | undefined;
  headers: Record<string, string>;
  body?: unknown;
}

/** The answer as the SDK reads it (its HttpResponse: `HttpResponse.isInstance` checks these fields). */
export interface SdkHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

type HandleOptions = { abortSignal?: { aborted: boolean } | AbortSignal | undefined; requestTimeout?: number | undefined };

/** No per-attempt limit: a request runs until the deadline (or this long, outside an invocation). */
const UNBOUNDED_MS = 2 ** 31 - 1;

/**
 * The AWS SDK clients' HTTP handler: their requests over the service's own transport
 * (src/http: node:http with keep-alive agents, one timer for every in-flight request, headers
 * and a string body in one write), with connection and request timeouts per attempt, and every
 * attempt cut off at the invocation's deadline: a stalled DynamoDB, SQS or Secrets Manager call
 * cannot outlive the invocation's budget, whatever the per-attempt timeouts and the SDK's retries
 * would allow (the cut-off is {@link awsCallCutoff}: the deadline, or a short grace for a call
 * started after it). Past the cut-off an attempt is not started. Either way the call fails with
 * {@link AwsCallDeadlineError}, which the SDK does not retry.
 *
 * Failures come out as the SDK's own handler reports them, so its retry rules read them alike: a
 * request timeout is a `TimeoutError`, a connection failure Node's error with its code
 * (ECONNRESET, ECONNREFUSED, ETIMEDOUT for a connect timeout...), an abort the signal's reason
 * or an `AbortError`. Why not the SDK's NodeHttpHandler: about 0.06 ms more CPU per request
 * (a timer, an AbortController and a signal per attempt, its socket bookkeeping), on the eight
 * DynamoDB requests of every backfilled tenant (`node bench/dynamodb-request-cost.ts`).
 * Request bodies are strings or bytes (every JSON-protocol client's); a stream is refused.
 *
 * @example
 * ```ts
 * new DynamoDBClient({ requestHandler: new DeadlineBoundHttpHandler({ connectionTimeout: 2_000, requestTimeout: 5_000 }) });
 * ```
 */
export class DeadlineBoundHttpHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  readonly #cutoff: (now: number) => number | undefined;
  readonly #now: () => number;
  readonly #transport: HttpTransport;
  readonly #config: { connectionTimeout: number | undefined; requestTimeout: number; throwOnRequestTimeout: boolean };

  constructor(options: DeadlineBoundHttpHandlerOptions = {}) {
    this.#cutoff = options.cutoff ?? awsCallCutoff;
    this.#now = options.now ?? Date.now;
    this.#transport = createHttpTransport({ maxResponseBytes: options.maxResponseBytes ?? AWS_MAX_RESPONSE_BYTES });
    this.#config = {
      connectionTimeout: options.connectionTimeout || undefined,
      requestTimeout: options.requestTimeout ?? 0,
      throwOnRequestTimeout: options.throwOnRequestTimeout ?? true,
    };
  }

  /** Sends one attempt; see the class. */
  async handle(request: SdkHttpRequest, options: HandleOptions = {}): Promise<{ response: SdkHttpResponse }> {
    const now = this.#now();
    const deadline = this.#cutoff(now);
    if (deadline !== undefined && deadline - now <= 0) throw new AwsCallDeadlineError(deadline, request.hostname);
    const timeoutMs = (options.requestTimeout ?? this.#config.requestTimeout) || UNBOUNDED_MS;
    // The deadline cuts the attempt when it comes before the request timeout.
    const cutByDeadline = deadline !== undefined && deadline - now < timeoutMs;
    try {
      const answer = await this.#transport.send(
        { method: request.method as "POST", url: urlOf(request), headers: request.headers, body: bodyOf(request.body) },
        {
          timeoutMs,
          deadline,
          connectTimeoutMs: this.#config.connectionTimeout,
          signal: options.abortSignal as AbortSignal | undefined,
        },
      );
      return { response: { statusCode: answer.status, headers: answer.headers, body: answer.body } };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      if (error.failure === "deadline" || (error.failure === "timeout" && cutByDeadline)) {
        throw new AwsCallDeadlineError(deadline ?? now, request.hostname);
      }
      if (error.failure === "timeout") throw Object.assign(new Error(error.message, { cause: error }), { name: "TimeoutError" });
      // Node's own error (with its code), as the SDK's handler throws it.
      throw hasCode(error.cause) ? error.cause : error;
    }
  }

  updateHttpClientConfig(key: "connectionTimeout" | "requestTimeout" | "throwOnRequestTimeout", value: number | boolean): void {
    (this.#config as Record<string, unknown>)[key] = value;
  }

  httpHandlerConfigs(): { connectionTimeout: number | undefined; requestTimeout: number; throwOnRequestTimeout: boolean } {
    return { ...this.#config };
  }

  destroy(): void {
    this.#transport.close();
  }
}

function hasCode(cause: unknown): cause is Error & { code: string } {
  return cause instanceof Error && typeof (cause as { code?: unknown }).code === "string";
}

/** The request's URL: the query (JSON-protocol requests have none) escaped as the SDK's handler does. */
function urlOf(request: SdkHttpRequest): string {
  const port = request.port ? `:${request.port}` : "";
  const path = request.path || "/";
  let query = "";
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      query += `${query === "" ? "?" : "&"}${escapeUri(name)}${v === null || v === undefined ? "" : `=${escapeUri(v)}`}`;
    }
  }
  return `${request.protocol}//${request.hostname}${port}${path}${query}`;
}

/** RFC 3986 percent-encoding (encodeURIComponent leaves !'()* as they are). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${(c.charCodeAt(0) ?? 0).toString(16).toUpperCase()}`);
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null || typeof body === "string") return body ?? undefined;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("DeadlineBoundHttpHandler sends string or byte bodies only (a streaming body was given)");
}
