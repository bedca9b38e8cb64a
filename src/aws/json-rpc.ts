import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import { SignatureV4 } from "@smithy/signature-v4";
import { ConfigurationError, ProvisionerError } from "../errors.ts";
import { createHttpTransport } from "../http/request.ts";
import { TransportError } from "../http/errors.ts";
import { withRetry, type RetryDecision, type RetryPolicy } from "../http/retry.ts";
import type { Clock, HttpTransport, Random } from "../http/types.ts";
import { awsCallCutoff } from "./call-deadline.ts";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS } from "./client-options.ts";
import { AWS_MAX_RESPONSE_BYTES } from "./constants.ts";
import { AwsCallDeadlineError } from "./errors.ts";
import { PreparedKeySha256 } from "./sha256.ts";

/** An endpoint URL whose protocol was checked. */
type HttpUrl = URL & { protocol: "https:" | "http:" };

/** AWS credentials as SigV4 needs them. */
interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

/** What {@link AwsServiceError} and a service's own error classes are built from. */
export interface AwsServiceErrorInit {
  name: string;
  message: string;
  code: string;
  fault: "client" | "server";
  status: number;
  requestId: string | undefined;
  /** The error answer's JSON object (`{}` when it had none): members a service models on the error, e.g. DynamoDB's `Item`. */
  body: Readonly<Record<string, unknown>>;
}

/**
 * An AWS service's answer with an error, as the SDK reads an AWS JSON answer: `name` is the
 * error's shape name (`QueueDoesNotExist`, `ThrottlingException`), `Code` the query-compatible
 * code where the service sends one (`AWS.SimpleQueueService.NonExistentQueue`). `$fault` and
 * `$metadata` have the SDK's meaning, so {@link isTransientAwsError} reads it like an SDK error.
 *
 * @example
 * ```ts
 * if (error instanceof AwsServiceError && error.name === "QueueDoesNotExist") { ... }
 * ```
 */
export class AwsServiceError extends ProvisionerError {
  override name: string;
  /** The query-compatible error code (`x-amzn-query-error`), else the shape name. */
  readonly Code: string;
  /** `client` for a 4xx or a `Sender` error, `server` for a 5xx or a `Receiver` error. */
  readonly $fault: "client" | "server";
  readonly $metadata: { httpStatusCode: number; requestId: string | undefined };
  constructor(init: AwsServiceErrorInit) {
    super(init.message);
    this.name = init.name;
    this.Code = init.code;
    this.$fault = init.fault;
    this.$metadata = { httpStatusCode: init.status, requestId: init.requestId };
  }
}

/**
 * A 2xx answer whose body is not a JSON object (a proxy's page, a cut or garbled body): the call
 * may have taken effect, so it is not retried (the SDK does not retry a 2xx it cannot read
 * either). Names the service's operation, the status and request id; never the body, which may
 * echo what was sent.
 *
 * @example
 * ```ts
 * if (error instanceof AwsResponseParseError) logger.warn(error.message); // "AWSEvents.PutEvents: HTTP 200 answer is not a JSON object (...)"
 * ```
 */
export class AwsResponseParseError extends ProvisionerError {
  override name = "AwsResponseParseError";
  readonly retryable = false;
  /** `<Prefix>.<Operation>`, e.g. `AWSEvents.PutEvents`. */
  readonly operation: string;
  readonly status: number;
  readonly requestId: string | undefined;
  constructor(operation: string, status: number, headers: Record<string, string>, bodyBytes: number, cause?: unknown) {
    const contentType = headers["content-type"] ?? "no content-type";
    super(`${operation}: HTTP ${status} answer is not a JSON object (${contentType}, ${bodyBytes} bytes)`, cause === undefined ? undefined : { cause });
    this.operation = operation;
    this.status = status;
    this.requestId = headers["x-amzn-requestid"];
  }
}

/** Constructor of a service's own error class for one error name. */
export type AwsServiceErrorClass = new (init: AwsServiceErrorInit) => AwsServiceError;

/**
 * The SDK's standard retry mode as @smithy/core 3.x sets it (`Retry.v2026`): 3 attempts in all,
 * 50 ms base, 1 s base after throttling, 20 s cap. A service may differ (DynamoDB: 4 attempts, 25 ms).
 */
export const AWS_STANDARD_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 20_000, throttledBaseDelayMs: 1_000 };

/** The SDK's `$metadata` of a successful call. */
export interface AwsResponseMetadata {
  httpStatusCode: number;
  requestId: string | undefined;
  /** Attempts made, this one included. */
  attempts: number;
  /** Backoff slept between them (ms). */
  totalRetryDelay: number;
}

/**
 * Whether an AWS JSON call's failure is worth another attempt, decided by the SDK's own standard
 * retry classification (@smithy/core/retry): throttling (by name or 429) after a longer backoff;
 * 5xx, the transient error names and a request with no (complete) answer after a short one. A
 * call cut off at the invocation deadline never is.
 *
 * @example
 * ```ts
 * classifyAwsJsonFailure(new TransportError("reset", "connection failed: ECONNRESET", true)); // "retry"
 * ```
 */
function classifyAwsJsonFailure(error: unknown): RetryDecision {
  if (error instanceof TransportError) return error.failure === "deadline" ? "stop" : "retry";
  if (!(error instanceof AwsServiceError)) return "stop";
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(sdkError)) return "throttled";
  return isTransientError(sdkError) || isServerError(sdkError) ? "retry" : "stop";
}

/** Options of {@link AwsJsonRpcClient}. */
export interface AwsJsonRpcClientOptions {
  /** SigV4 signing name and IAM service prefix, e.g. `sqs`. */
  signingName: string;
  /** The `X-Amz-Target` prefix before `.Operation`, e.g. `AmazonSQS`. */
  targetPrefix: string;
  /** AWS JSON protocol version: the content type `application/x-amz-json-<version>`. */
  jsonVersion: "1.0" | "1.1";
  /** A service marked `awsQueryCompatible` (SQS): sends `x-amzn-query-mode: true`, reads `x-amzn-query-error`. */
  queryCompatible?: boolean;
  /** Signing region; default `AWS_REGION`, as the SDK reads it. */
  region?: string | undefined;
  /** Default: the SDK's default chain, which a Lambda bundle replaces with the environment's (scripts/esbuild-options.ts). */
  credentials?: (() => Promise<AwsCredentials>) | undefined;
  /** Per attempt, the whole request and answer; default {@link AWS_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number | undefined;
  /** Retries; default the SDK's standard mode ({@link AWS_STANDARD_RETRY}). */
  retry?: RetryPolicy | undefined;
  /** Classes for the service's modeled errors, by name; others are {@link AwsServiceError}. */
  errors?: Readonly<Record<string, AwsServiceErrorClass>>;
  /** Default: a transport of its own (src/http). */
  transport?: HttpTransport | undefined;
  /** When a call starting at `now` must be over (epoch ms); default the invocation's ({@link awsCallCutoff}). */
  cutoff?: ((now: number) => number | undefined) | undefined;
  clock?: Clock | undefined;
  random?: Random | undefined;
}

/** What one attempt sends, before and after signing. */
export interface AwsJsonRequest {
  method: "POST";
  protocol: "http:" | "https:";
  hostname: string;
  port?: number | undefined;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

/**
 * One AWS service spoken in the AWS JSON protocol (1.0 or 1.1: `POST /`, `X-Amz-Target:
 * <Prefix>.<Operation>`, a JSON body each way), signed with the SDK's own SigV4 signer
 * (@smithy/signature-v4) and sent through the service's transport (src/http). For an operation
 * whose SDK client would cost the bundle more than this (the SQS client was 19 KB of the webhook
 * for one SendMessage): what the SDK adds per call is its middleware stack, schemas and a model of
 * the whole service. Used by the webhook's SQS SendMessage (src/queue/sqs-send-message.ts) and the
 * outcome events' PutEvents (src/events/put-events.ts). Behaves as the service's SDK clients are set up to (src/aws/client-options.ts):
 * the SDK's standard retries ({@link AWS_STANDARD_RETRY}), 5 s per attempt, every attempt cut off at
 * the invocation's deadline with {@link AwsCallDeadlineError}.
 *
 * The IAM audit (test/support/iam/record-aws-calls.ts) records each call from {@link sign}, as it
 * records SDK calls after signing.
 *
 * @example
 * ```ts
 * const sqs = new AwsJsonRpcClient({ signingName: "sqs", targetPrefix: "AmazonSQS", jsonVersion: "1.0", queryCompatible: true });
 * const out = await sqs.call("https://sqs.us-east-1.amazonaws.com", "SendMessage", { QueueUrl, MessageBody });
 * ```
 */
export class AwsJsonRpcClient {
  /** For logs and the IAM audit: `<prefix> (AWS JSON)`. */
  readonly clientName: string;
  /** Whether every attempt is cut off at the invocation's deadline (the default cutoff). */
  readonly deadlineBound: boolean;
  readonly signingName: string;
  readonly #options: AwsJsonRpcClientOptions;
  readonly #cutoff: (now: number) => number | undefined;
  #signer: SignatureV4 | undefined;
  #transport: HttpTransport | undefined;
  #lastOrigin: { endpoint: string; url: HttpUrl } | undefined;

  constructor(options: AwsJsonRpcClientOptions) {
    this.#options = options;
    this.signingName = options.signingName;
    this.clientName = `${options.targetPrefix} (AWS JSON)`;
    this.#cutoff = options.cutoff ?? awsCallCutoff;
    this.deadlineBound = options.cutoff === undefined;
  }

  /**
   * Calls `operation` at `endpoint` (an origin, e.g. `https://sqs.us-east-1.amazonaws.com`) and
   * resolves with the parsed answer; rejects with an {@link AwsServiceError} (or the class given
   * for its name), a TransportError, an {@link AwsCallDeadlineError}, the reason of a caller's
   * aborted signal (`AbortError` by default), or a ConfigurationError when no region is set.
   *
   * @example
   * ```ts
   * await client.call(endpoint, "SendMessage", { QueueUrl, MessageBody: "{}" });
   * ```
   */
  async call(endpoint: string, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.callWithMetadata(endpoint, operation, input)).output;
  }

  /**
   * {@link call}, with the SDK's `$metadata` of the answer (status, request id, attempts, backoff).
   *
   * @example
   * ```ts
   * const { output, $metadata } = await client.callWithMetadata(endpoint, "GetItem", { TableName, Key });
   * ```
   */
  async callWithMetadata(
    endpoint: string,
    operation: string,
    input: Record<string, unknown>,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<{ output: Record<string, unknown>; $metadata: AwsResponseMetadata }> {
    const origin = this.#originOf(endpoint);
    const body = JSON.stringify(input);
    const request: AwsJsonRequest = {
      method: "POST",
      protocol: origin.protocol,
      hostname: origin.hostname,
      port: origin.port ? Number(origin.port) : undefined,
      path: "/",
      query: {},
      headers: {
        "content-type": `application/x-amz-json-${this.#options.jsonVersion}`,
        "x-amz-target": `${this.#options.targetPrefix}.${operation}`,
        ...(this.#options.queryCompatible ? { "x-amzn-query-mode": "true" } : {}),
        "content-length": String(Buffer.byteLength(body)),
        // What the SDK's host header middleware sets: the port only when the URL names one.
        host: origin.host,
      },
      body,
    };
    const clock = this.#options.clock;
    const retries = { attempts: 0, totalRetryDelay: 0 };
    const attempt = (n: number) => {
      retries.attempts = n;
      return this.#attempt(`${origin.protocol}//${origin.host}/`, request, operation, input, options.signal);
    };
    const policy = this.#options.retry ?? AWS_STANDARD_RETRY;
    const cutoff = this.#cutoff(clock ? clock.now() : Date.now());
    let answer: Awaited<ReturnType<typeof attempt>>;
    try {
      answer = await withRetry(attempt, {
        policy,
        classify: classifyAwsJsonFailure,
        onRetry: ({ delayMs }) => void (retries.totalRetryDelay += delayMs),
        deadline: cutoff,
        // An abort during a backoff ends the call at once with the signal's reason, as during an attempt.
        signal: options.signal,
        ...(clock ? { clock } : {}),
        ...(this.#options.random ? { random: this.#options.random } : {}),
      });
    } catch (error) {
      // A retryable failure given up with attempts left: the backoff would have crossed the
      // invocation's deadline. Callers (the webhook's hand-off to the queue) tell that case by
      // AwsCallDeadlineError, as when the deadline cuts an attempt.
      if (cutoff !== undefined && retries.attempts < policy.maxAttempts && classifyAwsJsonFailure(error) !== "stop") {
        throw Object.assign(new AwsCallDeadlineError(cutoff, request.hostname), { cause: error });
      }
      throw error;
    }
    return { output: answer.output, $metadata: { httpStatusCode: answer.status, requestId: answer.requestId, ...retries } };
  }

  /** The endpoint parsed once: a client calls one endpoint (its queue's or its region's) again and again. */
  #originOf(endpoint: string): HttpUrl {
    if (this.#lastOrigin?.endpoint === endpoint) return this.#lastOrigin.url;
    const url = new URL(endpoint);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`AWS endpoint ${endpoint}: not http(s)`);
    this.#lastOrigin = { endpoint, url: url as HttpUrl };
    return url as HttpUrl;
  }

  /**
   * Closes the idle keep-alive connections of the transport this client made itself (a transport
   * passed in is its owner's to close). The client stays usable: a later call opens new ones.
   *
   * @example
   * ```ts
   * client.close();
   * ```
   */
  close(): void {
    if (this.#options.transport === undefined) this.#transport?.close();
  }

  /**
   * Signs one attempt (SigV4, at the current time). A method of its own so the IAM audit can see
   * each call as the service sees it: signed, with its operation and input.
   *
   * @example
   * ```ts
   * const signed = await client.sign(request, "SendMessage", input);
   * ```
   */
  async sign(request: AwsJsonRequest, _operation: string, _input: Record<string, unknown>): Promise<AwsJsonRequest> {
    this.#signer ??= new SignatureV4({
      service: this.signingName,
      region: this.#options.region ?? regionFromEnvironment(this.signingName),
      credentials: this.#options.credentials ?? defaultProvider(),
      // The signing key prepared once per key, not per HMAC (as every SDK client of the service signs).
      sha256: PreparedKeySha256,
      uriEscapePath: true,
    });
    const now = this.#options.clock?.now() ?? Date.now();
    return (await this.#signer.sign(request, { signingDate: new Date(now) })) as AwsJsonRequest;
  }

  async #attempt(url: string, request: AwsJsonRequest, operation: string, input: Record<string, unknown>, signal: AbortSignal | undefined): Promise<{ output: Record<string, unknown>; status: number; requestId: string | undefined }> {
    const startedAt = this.#options.clock?.now() ?? Date.now();
    const cutoff = this.#cutoff(startedAt);
    const timeoutMs = this.#options.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS;
    if (cutoff !== undefined && cutoff <= startedAt) throw new AwsCallDeadlineError(cutoff, request.hostname);
    const signed = await this.sign(request, operation, input);
    this.#transport ??= this.#options.transport ?? createHttpTransport({ maxResponseBytes: AWS_MAX_RESPONSE_BYTES });
    let response: Awaited<ReturnType<HttpTransport["send"]>>;
    try {
      response = await this.#transport.send({ method: "POST", url, headers: signed.headers, body: signed.body }, {
        timeoutMs,
        // As the SDK clients' request handler (client-options.ts): a connection that takes seconds is not going to work.
        connectTimeoutMs: AWS_CONNECTION_TIMEOUT_MS,
        deadline: cutoff,
        // The caller's abort (e.g. a store's own time limit) ends the attempt with the signal's reason, not retried.
        signal,
      });
    } catch (error) {
      // Cut by the deadline rather than by the attempt's own time limit: the invocation has no time left.
      const cutByDeadline = error instanceof TransportError && (error.failure === "deadline" || (error.failure === "timeout" && cutoff !== undefined && cutoff - startedAt < timeoutMs));
      if (cutByDeadline && cutoff !== undefined) throw new AwsCallDeadlineError(cutoff, request.hostname);
      throw error;
    }
    if (response.status >= 200 && response.status < 300) return { output: this.#outputOf(operation, response), status: response.status, requestId: response.headers["x-amzn-requestid"] };
    throw this.#errorOf(response.status, response.headers, response.body);
  }

  /** A 2xx answer's JSON object (an empty body is `{}`, as the SDK reads it), else {@link AwsResponseParseError}. */
  #outputOf(operation: string, response: { status: number; headers: Record<string, string>; body: Buffer }): Record<string, unknown> {
    if (response.body.length === 0) return {};
    let value: unknown;
    try {
      value = JSON.parse(response.body.toString("utf8"));
    } catch (error) {
      throw new AwsResponseParseError(`${this.#options.targetPrefix}.${operation}`, response.status, response.headers, response.body.length, error);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new AwsResponseParseError(`${this.#options.targetPrefix}.${operation}`, response.status, response.headers, response.body.length);
    }
    return value as Record<string, unknown>;
  }

  /** The error of a non-2xx answer, read as the SDK's AWS JSON protocol reads it. */
  #errorOf(status: number, headers: Record<string, string>, body: Buffer): AwsServiceError {
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      if (value && typeof value === "object") parsed = value as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's or load balancer's page): the status alone says what happened.
    }
    // `__type` may be `namespace#Name` or `Name:uri` (older JSON 1.1); x-amzn-errortype wins as in the SDK.
    const rawType = headers["x-amzn-errortype"] ?? (typeof parsed["__type"] === "string" ? parsed["__type"] : typeof parsed["code"] === "string" ? parsed["code"] : "");
    const name = sanitizeErrorName(rawType) || (status >= 500 ? "InternalFailure" : `HttpError${status}`);
    const message = typeof parsed["message"] === "string" ? parsed["message"] : typeof parsed["Message"] === "string" ? parsed["Message"] : `${name} (HTTP ${status})`;
    // Query-compatible services name the error's query code and fault: `AWS.SimpleQueueService.NonExistentQueue;Sender`.
    const [queryCode, queryType] = this.#options.queryCompatible && headers["x-amzn-query-error"] ? headers["x-amzn-query-error"].split(";") : [];
    const fault = queryType === "Sender" ? "client" : queryType === "Receiver" || status >= 500 ? "server" : "client";
    const init = { name, message, code: queryCode || name, fault, status, requestId: headers["x-amzn-requestid"], body: parsed } as const;
    const ErrorClass = this.#options.errors?.[name] ?? AwsServiceError;
    return new ErrorClass(init);
  }
}

/** `aws.protocoltests#Name:http://...` → `Name`, as the SDK's `sanitizeErrorCode`. */
function sanitizeErrorName(raw: string): string {
  let name = raw;
  if (name.includes(":")) name = name.split(":")[0] ?? "";
  if (name.includes("#")) name = name.split("#")[1] ?? "";
  return name;
}

/**
 * The region as the SDK's default chain reads it in a Lambda (AWS_REGION); fails the call, not the
 * import, with a ConfigurationError naming the variable (as the endpoint rules do).
 */
function regionFromEnvironment(signingName: string): () => Promise<string> {
  return async () => {
    const region = process.env["AWS_REGION"];
    if (!region) throw new ConfigurationError(`${signingName} signing region`, [{ field: "AWS_REGION", rule: "is required (the region the call is signed for)" }]);
    return region;
  };
}
