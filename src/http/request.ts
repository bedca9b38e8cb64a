import http from "node:http";
import https from "node:https";
import { isIP, type Socket } from "node:net";
import { TransportError } from "./errors.ts";
import { ExpiryWatch, type ExpiryTimers, type Expiring } from "./expiry-watch.ts";
import type { AttemptLimits, HttpRequest, HttpResponse, HttpTransport } from "./types.ts";
import { abortError } from "./abort.ts";

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** Sockets per host kept and used at once. Default 50. */
  maxSockets?: number;
  /** Largest answer body read, in bytes; a larger one is cut and reported as a reset. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Clock and timer of the per-attempt time limits; tests pass their own. Default Node's. */
  timers?: ExpiryTimers;
}

const NETWORK_RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET"]);
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * The one request path of the service: `node:http`/`node:https` with keep-alive agents.
 *
 * Chosen over global `fetch` (3.5x the CPU per request in `npm run bench` here, which a 128 MB Lambda's
 * fraction of a vCPU feels) and over undici (0.95-1.0x the CPU of a bare node:http loop per
 * request, but 531 KB more in every bundle and ~45 ms more at every cold start: the bench's
 * transport-* bundle rows); see `npm run bench`. node:http is the floor of this transport: what
 * is left to save is options node:http would otherwise copy or work out per request (this
 * module's own code is ~5% of a request's CPU; node:http's client, agent, streams and llhttp
 * most of the rest, the kernel's loopback write and read a quarter).
 *
 * Below node:http: a minimal HTTP/1.1 client over node:net/node:tls (pool, one write per request,
 * a hand-written parser) passed every test of test/integration/http and measured under half the
 * instructions and about half the CPU per request (2026-12-01, issue 11: 81-89k instructions vs
 * 187-247k for this transport and a bare node:http loop; CPU 0.018 vs 0.035 ms over loopback,
 * 0.027 vs 0.051 ms over TLS), but it weighs 5.3 KB more in every handler bundle, past the
 * budgets of test/unit/bundle/zod-mini.test.ts, and trades llhttp for a parser of our own. Left
 * out; a client put here must meet test/integration/http/request-answers.test.ts.
 *
 * Each attempt is cut at `timeoutMs` or at the deadline, whichever is first; a cut attempt
 * is a {@link TransportError} that says whether the request may have reached the server.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport();
 * const res = await transport.send({ method: "GET", url: "http://127.0.0.1:8080/", headers: {} }, { timeoutMs: 2000 });
 * ```
 */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const maxSockets = options.maxSockets ?? 50;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  // Only options that differ from Node's defaults (it schedules "lifo" already): the agent copies
  // its options into every request's options, one property at a time.
  const httpAgent = new HintedHttpAgent({ keepAlive: true, maxSockets });
  const httpsAgent = new HintedHttpsAgent({ keepAlive: true, maxSockets });
  const watch = new ExpiryWatch(options.timers);
  const targets = new Targets(httpAgent, httpsAgent);

  function send(request: HttpRequest, limits: AttemptLimits): Promise<HttpResponse> {
    const budget =
      limits.deadline === undefined ? limits.timeoutMs : Math.min(limits.timeoutMs, limits.deadline - Date.now());
    if (budget <= 0) {
      return Promise.reject(new TransportError("deadline", "deadline passed before the request was sent", false));
    }
    const signal = limits.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const target = targets.of(request.url);
    if (target === undefined) {
      return Promise.reject(new TransportError("connect", `unsupported protocol ${new URL(request.url).protocol}`, false));
    }
    const attempt = new Attempt(watch, budget, limits, maxResponseBytes);
    const promise = new Promise<HttpResponse>((resolve, reject) => {
      attempt.resolve = resolve;
      attempt.reject = reject;
    });
    try {
      const origin = target.origin;
      const headers = headerList(request.headers, origin.hostHeader);
      const req = (origin.isHttps ? https : http).request(
        // node:http copies these options three times per request (into objects without a
        // prototype, property by property): each one left out is work saved. The protocol is
        // the agent's; the server name is the one the agent would work out per request.
        {
          method: request.method,
          hostname: origin.hostname,
          port: origin.port,
          path: target.path,
          headers,
          agent: origin.agent,
          servername: Array.isArray(headers) ? origin.servername : undefined,
        },
      ) as AttemptRequest;
      attempt.req = req;
      req[ATTEMPT] = attempt;
      // Listeners shared by every request (they find their attempt on the request), not closures
      // made per request; and a listener, not the callback argument, which node:http wraps in a
      // once-wrapper per request.
      req.on("response", onResponse);
      req.on("socket", onSocket);
      req.on("error", onRequestError);
      watch.add(attempt);
      if (signal) signal.addEventListener("abort", attempt, { once: true });
      // A string body goes out as is: node:http then writes it together with the head in one
      // write, where a Buffer costs a separate chunk (and converting it here, a copy).
      req.end(request.body);
    } catch (error) {
      // node:http refuses some requests as it builds them (a header value with a line break):
      // a rejection, as any other failure, and nothing left watched.
      attempt.finish(error as Error);
      attempt.req?.destroy();
    }
    return promise;
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** Where a request's listeners find their attempt. */
const ATTEMPT = Symbol("attempt");
type AttemptRequest = http.ClientRequest & { [ATTEMPT]: Attempt };

/**
 * One request in flight: its time limits (it is the watch's {@link Expiring}), the caller's abort
 * (it is the signal's listener object), the answer's bytes, and the promise it settles once.
 */
class Attempt implements Expiring {
  readonly expiresAt: number;
  resolve: (res: HttpResponse) => void = noop;
  reject: (err: Error) => void = noop;
  req: http.ClientRequest | undefined = undefined;
  /** Whether any byte may have reached the server: a reused socket, or a new one once connected. */
  sent = false;
  settled = false;
  /** The time limit on a new connection, while it runs. */
  connecting: Expiring | undefined = undefined;
  /** The answer's body: its first chunk, and all of them once there is a second. */
  first: Buffer | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  size = 0;
  readonly #watch: ExpiryWatch;
  readonly #budget: number;
  readonly #limits: AttemptLimits;
  readonly #maxResponseBytes: number;

  constructor(watch: ExpiryWatch, budget: number, limits: AttemptLimits, maxResponseBytes: number) {
    this.#watch = watch;
    this.#budget = budget;
    this.#limits = limits;
    this.#maxResponseBytes = maxResponseBytes;
    // Counted from here on a monotonic clock, as a setTimeout(budget) would count it.
    this.expiresAt = watch.now() + budget;
  }

  /** The watch's call: the attempt's time is up. */
  expire(): void {
    this.finish(new TransportError("timeout", `no complete answer within ${this.#budget} ms`, this.sent));
    this.req?.destroy();
  }

  /** The signal's call: the caller aborted. */
  handleEvent(): void {
    this.finish(abortError(this.#limits.signal as AbortSignal));
    this.req?.destroy();
  }

  /** A new connection is being made: it gets its own time limit, if the caller set one shorter than the attempt's. */
  watchConnect(socket: Socket): void {
    const connectTimeoutMs = this.#limits.connectTimeoutMs;
    if (connectTimeoutMs !== undefined && connectTimeoutMs < this.#budget) {
      const limit: Expiring = {
        expiresAt: this.#watch.now() + connectTimeoutMs,
        expire: () => {
          if (this.sent) return;
          const cause = Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: "ETIMEDOUT" });
          this.finish(new TransportError("connect", `could not connect: ETIMEDOUT (${connectTimeoutMs} ms)`, false, cause));
          this.req?.destroy();
        },
      };
      this.connecting = limit;
      this.#watch.add(limit);
    }
    socket.once("connect", () => {
      this.sent = true;
      if (this.connecting) this.#watch.delete(this.connecting);
    });
  }

  /** Takes one chunk of the answer's body; false (and the attempt failed) past the size limit. */
  take(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.#maxResponseBytes) {
      this.finish(new TransportError("reset", `answer larger than ${this.#maxResponseBytes} bytes`, true));
      return false;
    }
    if (this.first === undefined) this.first = chunk;
    else (this.chunks ??= [this.first]).push(chunk);
    return true;
  }

  /** The whole body. Most answers arrive in one chunk: no copy then. */
  body(): Buffer {
    // Stryker disable next-line ConditionalExpression: equivalent, concat of one chunk gives the same bytes (a copy: CPU only, npm run bench)
    if (this.chunks !== undefined) return Buffer.concat(this.chunks, this.size);
    return this.first ?? EMPTY;
  }

  finish(err: Error | undefined, res?: HttpResponse): void {
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, a second finish only re-settles a settled promise (a no-op) and deletes an attempt already deleted
    if (this.settled) return;
    // Stryker disable next-line BooleanLiteral: equivalent, as above
    this.settled = true;
    this.#watch.delete(this);
    if (this.connecting) this.#watch.delete(this.connecting);
    this.#limits.signal?.removeEventListener("abort", this);
    if (err) this.reject(err);
    else this.resolve(res as HttpResponse);
  }
}

function noop(): void {}
const EMPTY = Buffer.alloc(0);

function onSocket(this: AttemptRequest, socket: Socket): void {
  // Once a reused socket is connected, or a new one connects, bytes may reach the server.
  if (socket.connecting) this[ATTEMPT].watchConnect(socket);
  else this[ATTEMPT].sent = true;
}

function onRequestError(this: AttemptRequest, err: NodeJS.ErrnoException): void {
  const attempt = this[ATTEMPT];
  const code = errorCode(err);
  if (CONNECT_CODES.has(code) && !attempt.sent) {
    attempt.finish(new TransportError("connect", `could not connect: ${code}`, false, err));
  } else if (NETWORK_RESET_CODES.has(code) || attempt.sent) {
    attempt.finish(new TransportError("reset", `connection failed: ${code}`, attempt.sent, err));
  } else {
    attempt.finish(new TransportError("connect", `request failed: ${code}`, false, err));
  }
}

type AttemptResponse = http.IncomingMessage & { req: AttemptRequest };

function onResponse(this: AttemptRequest, res: http.IncomingMessage): void {
  res.on("data", onData);
  res.on("end", onEnd);
  // A message cut off emits "aborted" and then this error: one listener for both.
  res.on("error", onResponseError);
}

function onData(this: AttemptResponse, chunk: Buffer): void {
  if (!this.req[ATTEMPT].take(chunk)) this.req.destroy();
}

function onEnd(this: AttemptResponse): void {
  const req = this.req;
  // Before node:http hands the socket back to the agent (on the next tick).
  const socket = req.socket as HintedSocket | null;
  // Stryker disable next-line ConditionalExpression: equivalent, a request that got an answer always has its socket here
  if (socket) socket[SERVER_KEEP_ALIVE] = keepAliveHeader(this.rawHeaders);
  const attempt = req[ATTEMPT];
  attempt.finish(undefined, new NodeHttpResponse(this, attempt.body()));
}

function onResponseError(this: AttemptResponse, err: Error): void {
  this.req[ATTEMPT].finish(
    this.aborted
      ? new TransportError("reset", "answer cut off by the server", true, err)
      : new TransportError("reset", `answer failed: ${errorCode(err)}`, true, err),
  );
}

/** The last answer's Keep-Alive header on a socket, for {@link keepSocketAlive}. */
const SERVER_KEEP_ALIVE = Symbol("serverKeepAlive");
type HintedSocket = Socket & { [SERVER_KEEP_ALIVE]?: string | undefined };

/** The first Keep-Alive header in a raw `[name, value, ...]` list, as `res.headers["keep-alive"]` begins. */
function keepAliveHeader(raw: string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 10 && name.toLowerCase() === "keep-alive") return raw[i + 1];
  }
  return undefined;
}

/** Node's defaults, which these agents keep: keep-alive probes, socket timeout, margin to a server's hint. */
const KEEP_ALIVE_MSECS = 1000;
const AGENT_TIMEOUT_MS = 0;
const KEEP_ALIVE_TIMEOUT_BUFFER_MS = 1000;

/**
 * Node's `Agent#keepSocketAlive` step for step (Node 24), with the server's Keep-Alive hint taken
 * from the raw header list the transport read at the answer's end. Node's own reads
 * `res.headers`, which builds every answer's whole header object (about a tenth of a request's
 * instructions here) for that one header; the method is Node's documented override point.
 */
function keepSocketAlive(socket: HintedSocket): boolean {
  socket.setKeepAlive(true, KEEP_ALIVE_MSECS);
  socket.unref();
  let agentTimeout = AGENT_TIMEOUT_MS;
  let canKeepSocketAlive = true;
  const hint = socket[SERVER_KEEP_ALIVE];
  socket[SERVER_KEEP_ALIVE] = undefined;
  const seconds = hint === undefined ? undefined : /^timeout=(\d+)/.exec(hint)?.[1];
  if (seconds) {
    // Let the timer expire before the announced timeout, as Node does, against ECONNRESET races.
    const serverHintTimeout = Math.max(Number.parseInt(seconds, 10) * 1000 - KEEP_ALIVE_TIMEOUT_BUFFER_MS, 0);
    if (serverHintTimeout === 0) canKeepSocketAlive = false;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the agent timeout is Node's default 0, which no hint lowers (Node's own code has the same dead branch)
    else if (serverHintTimeout < agentTimeout) agentTimeout = serverHintTimeout;
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: equivalent, the timeout is always 0 (none), which a socket without a timeout already has
  if (socket.timeout !== agentTimeout) socket.setTimeout(agentTimeout);
  return canKeepSocketAlive;
}

class HintedHttpAgent extends http.Agent {
  override keepSocketAlive(socket: Socket): boolean {
    return keepSocketAlive(socket);
  }
}

class HintedHttpsAgent extends https.Agent {
  override keepSocketAlive(socket: Socket): boolean {
    return keepSocketAlive(socket);
  }
}

/** What `node:http` needs of a URL's origin, parsed once per origin. */
interface Origin {
  isHttps: boolean;
  protocol: string;
  hostname: string;
  /**
   * The TLS server name the agent works out per request when the headers go as a list (it
   * sees no Host header then): the hostname, or "" for an IP address.
   */
  servername: string;
  port: string | undefined;
  /** The Host header node:http would add: hostname (IPv6 in brackets), and the port unless the default. */
  hostHeader: string;
  agent: http.Agent;
}

/** A request's origin and path, as {@link targetOf} reads them from its URL. */
interface Target {
  origin: Origin;
  path: string;
}

/**
 * Targets of URLs, origins parsed once each, and the last URL's target kept whole: a client
 * that sends to one URL again and again (every DynamoDB, SQS and Secrets Manager request goes
 * to its endpoint's "/") reads it once.
 */
class Targets {
  readonly #origins = new Map<string, Origin>();
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  #lastUrl: string | undefined = undefined;
  #last: Target | undefined = undefined;

  constructor(httpAgent: http.Agent, httpsAgent: https.Agent) {
    this.#httpAgent = httpAgent;
    this.#httpsAgent = httpsAgent;
  }

  /** The target of `url`; undefined for a protocol other than http(s). */
  of(url: string): Target | undefined {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a miss reads the same target again (CPU only, npm run bench)
    if (url === this.#lastUrl) return this.#last;
    const target = targetOf(url, this.#origins, this.#httpAgent, this.#httpsAgent);
    this.#lastUrl = url;
    this.#last = target;
    return target;
  }
}

/** Origins kept parsed; a transport talks to a handful (SLS endpoint, IM domain). */
const MAX_ORIGINS = 64;
/**
 * `http(s)://authority` in printable ASCII with nothing `new URL` would read as the end of the
 * authority (`/?#` or a backslash), as userinfo (`@`), or strip (spaces, controls).
 */
const PLAIN_ORIGIN = /^https?:\/\/[\w.~:[\]%!$&'()*+,;=-]+$/;
/**
 * A path and query that `new URL` leaves byte for byte as they are: no dot segment to resolve,
 * no byte to percent-encode (space, quotes, `<>`, `` ` ``, `{}`, `#`, non-ASCII), no fragment.
 */
const PLAIN_PATH = /^(?:\/(?!\.|%2e)[\w\-.~!$&()*+,;=:@%]*)+(?:\?[\w\-.~!$&()*+,;=:@%/?]*)?$/i;

/**
 * The origin and request path of `url`, as `new URL(url)` reads them, without parsing a URL
 * object per request when the URL is plain (every URL our clients build). Undefined for a
 * protocol other than http(s).
 */
function targetOf(
  url: string,
  origins: Map<string, Origin>,
  httpAgent: http.Agent,
  httpsAgent: https.Agent,
): Target | undefined {
  // The fast path below may only skip work: every mutant that sends a URL to the `new URL` parse
  // instead gives the same origin and path (test/integration/http/request-wire.test.ts compares the
  // bytes on the wire with node's own), so it differs in CPU only, which `npm run bench` measures.
  // Stryker disable StringLiteral,ArithmeticOperator,ConditionalExpression,EqualityOperator,LogicalOperator,BlockStatement,MethodExpression,CallExpression: equivalent, see above
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  if (slash > 0) {
    const originText = url.slice(0, slash);
    const path = url.slice(slash);
    if (PLAIN_PATH.test(path)) {
      let origin = origins.get(originText);
      if (origin === undefined && PLAIN_ORIGIN.test(originText)) {
        origin = parseOrigin(new URL(originText), httpAgent, httpsAgent);
        if (origin !== undefined) {
          // Stryker restore StringLiteral,ArithmeticOperator,ConditionalExpression,EqualityOperator,LogicalOperator,BlockStatement,MethodExpression,CallExpression
          // Not equivalent: without the bound the cache grows with every new origin.
          if (origins.size >= MAX_ORIGINS) origins.clear();
          // Stryker disable StringLiteral,ArithmeticOperator,ConditionalExpression,EqualityOperator,LogicalOperator,BlockStatement,MethodExpression,CallExpression: equivalent, see above
          origins.set(originText, origin);
        }
      }
      if (origin !== undefined) return { origin, path };
    }
  }
  // Stryker restore StringLiteral,ArithmeticOperator,ConditionalExpression,EqualityOperator,LogicalOperator,BlockStatement,MethodExpression,CallExpression
  const parsed = new URL(url);
  const origin = parseOrigin(parsed, httpAgent, httpsAgent);
  return origin === undefined ? undefined : { origin, path: `${parsed.pathname}${parsed.search}` };
}

function parseOrigin(url: URL, httpAgent: http.Agent, httpsAgent: https.Agent): Origin | undefined {
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:") return undefined;
  // An IPv6 literal's brackets belong to the URL: node:http looks up and names the bare address.
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return {
    isHttps,
    protocol: url.protocol,
    hostname,
    servername: isIP(hostname) === 0 ? hostname : "",
    port: url.port || undefined,
    // `url.host` brackets an IPv6 address and drops the scheme's default port, as node:http does.
    hostHeader: url.host,
    agent: isHttps ? httpsAgent : httpAgent,
  };
}

/**
 * The request's headers as the flat `[name, value, ...]` list node:http writes as given, with
 * the Host header it would add itself: the same bytes as passing the object, without a
 * `setHeader` per header. A name with capitals could collide with another in a different case,
 * which `setHeader` would merge: such headers go as the object.
 */
function headerList(headers: Record<string, string>, hostHeader: string): string[] | Record<string, string> {
  const list: string[] = [];
  let hasHost = false;
  for (const name in headers) {
    // Stryker disable next-line ConditionalExpression: equivalent, the object gives node:http the same bytes (request-wire test); the list saves a setHeader per header
    if (HAS_CAPITAL.test(name)) return headers;
    if (name === "host") hasHost = true;
    list.push(name, headers[name] as string);
  }
  if (!hasHost) list.push("Host", hostHeader);
  return list;
}
const HAS_CAPITAL = /[A-Z]/;

/** An answer whose headers are copied out of node's message only when a caller reads them. */
class NodeHttpResponse implements HttpResponse {
  readonly status: number;
  readonly body: Buffer;
  #message: http.IncomingMessage | undefined;
  #headers: Record<string, string> | undefined;

  constructor(message: http.IncomingMessage, body: Buffer) {
    this.status = message.statusCode ?? 0;
    this.body = body;
    this.#message = message;
  }

  get headers(): Record<string, string> {
    if (this.#headers === undefined) {
      const headers: Record<string, string> = {};
      const raw = (this.#message as http.IncomingMessage).headers;
      for (const name in raw) {
        const value = raw[name];
        if (value !== undefined) headers[name] = typeof value === "string" ? value : value.join(", ");
      }
      this.#headers = headers;
      this.#message = undefined;
    }
    return this.#headers;
  }
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}
