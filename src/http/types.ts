/** Types of the shared request module. */

/** A time source and a way to wait, injectable so retry and rate-limit tests are exact. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (of this clock). With `signal`: rejects at once when it aborts
   * (already aborted: without waiting), with the signal's reason as `abortError` (abort.ts) gives it.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A source of uniform numbers in [0, 1), injectable for exact jitter in tests. */
export type Random = () => number;

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** One HTTP request as it goes on the wire. */
export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL, `http:` or `https:`. */
  url: string;
  /** Header names as they should be sent; values already final (signed). */
  headers: Record<string, string>;
  body?: Buffer | string | undefined;
}

/** One HTTP answer, body fully read. */
export interface HttpResponse {
  status: number;
  /** Header names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** Time limits for one attempt. */
export interface AttemptLimits {
  /** Per-attempt limit in ms, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** Absolute epoch-ms after which no attempt may run; the attempt is cut at whichever comes first. */
  deadline?: number | undefined;
  /**
   * Time to get a new connection, in ms: past it the attempt fails as a `connect` failure (nothing
   * was sent) whose cause has code ETIMEDOUT. No limit of its own when absent (`timeoutMs` still holds).
   */
  connectTimeoutMs?: number | undefined;
  /** The caller's abort: the attempt is cut at once and fails with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Something that sends one request and reads the whole answer. */
export interface HttpTransport {
  send(request: HttpRequest, limits: AttemptLimits): Promise<HttpResponse>;
  /** Closes idle keep-alive sockets (tests, shutdown). */
  close(): void;
}
