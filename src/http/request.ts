import http from "node:http";
import https from "node:https";
import { isIP, type Socket } from "node:net";
import { TransportError } from "./errors.ts";
import { ExpiryWatch, type ExpiryTimers, type Expiring } from "./expiry-watch.ts";
import type { AttemptLimits, HttpRequest, HttpResponse, HttpTransport } from "./types.ts";

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
 * is left to save is options node:http would otherwise copy or work out per request.
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
  const origins = new Map<string, Origin>();

  function send(request: HttpRequest, limits: AttemptLimits): Promise<HttpResponse> {
    const budget =
      limits.deadline === undefined ? limits.timeoutMs : Math.min(limits.timeoutMs, limits.deadline - Date.now());
    if (budget <= 0) {
      return Promise.reject(new TransportError("deadline", "deadline passed before the request was sent", false));
    }
    const signal = limits.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const target = targetOf(request.url, origins, httpAgent, httpsAgent);
    if (target === undefined) {
      return Promise.reject(new TransportError("connect", `unsupported protocol ${new URL(request.url).protocol}`, false));
    }
    // A string body goes out as is: node:http then writes it together with the head in one
    // write, where a Buffer costs a separate chunk (and converting it here, a copy).
    const body = request.body;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let sent = false;
      const attempt: Expiring = {
        // Counted from here on a monotonic clock, as a setTimeout(budget) would count it.
        expiresAt: watch.now() + budget,
        expire() {
          finish(new TransportError("timeout", `no complete answer within ${budget} ms`, sent));
          req.destroy();
        },
      };
      // Only when asked for: the time to a new connection, and the caller's abort.
      let connecting: Expiring | undefined;
      const onAbort = signal
        ? () => {
            finish(abortReason(signal));
            req.destroy();
          }
        : undefined;
      const finish = (err: Error | undefined, res?: HttpResponse): void => {
        // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, a second finish only re-settles a settled promise (a no-op) and deletes an attempt already deleted
        if (settled) return;
        // Stryker disable next-line BooleanLiteral: equivalent, as above
        settled = true;
        watch.delete(attempt);
        if (connecting) watch.delete(connecting);
        if (onAbort) signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(res as HttpResponse);
      };

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
      );
      // A listener, not the callback argument: node:http wraps that in a once-wrapper per request.
      req.on("response", (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            req.destroy();
            finish(new TransportError("reset", `answer larger than ${maxResponseBytes} bytes`, true));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          // Before node:http hands the socket back to the agent (on the next tick).
          const socket = req.socket as HintedSocket | null;
          // Stryker disable next-line ConditionalExpression: equivalent, a request that got an answer always has its socket here
          if (socket) socket[SERVER_KEEP_ALIVE] = keepAliveHeader(res.rawHeaders);
          // Most answers arrive in one chunk: no copy then.
          // Stryker disable next-line ConditionalExpression: equivalent, concat of one chunk gives the same bytes (a copy: CPU only, npm run bench)
          const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
          finish(undefined, new NodeHttpResponse(res, whole));
        });
        // A message cut off emits "aborted" and then this error: one listener for both.
        res.on("error", (err) =>
          finish(
            res.aborted
              ? new TransportError("reset", "answer cut off by the server", true, err)
              : new TransportError("reset", `answer failed: ${errorCode(err)}`, true, err),
          ),
        );
      });
      watch.add(attempt);
      if (onAbort) signal?.addEventListener("abort", onAbort, { once: true });

      req.on("socket", (socket) => {
        // Once a reused socket is connected, or a new one connects, bytes may reach the server.
        if (!socket.connecting) {
          sent = true;
          return;
        }
        const connectTimeoutMs = limits.connectTimeoutMs;
        if (connectTimeoutMs !== undefined && connectTimeoutMs < budget) {
          const limit: Expiring = {
            expiresAt: watch.now() + connectTimeoutMs,
            expire() {
              if (sent) return;
              const cause = Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: "ETIMEDOUT" });
              finish(new TransportError("connect", `could not connect: ETIMEDOUT (${connectTimeoutMs} ms)`, false, cause));
              req.destroy();
            },
          };
          connecting = limit;
          watch.add(limit);
        }
        socket.once("connect", () => {
          sent = true;
          if (connecting) watch.delete(connecting);
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        const code = errorCode(err);
        if (CONNECT_CODES.has(code) && !sent) {
          finish(new TransportError("connect", `could not connect: ${code}`, false, err));
        } else if (NETWORK_RESET_CODES.has(code) || sent) {
          finish(new TransportError("reset", `connection failed: ${code}`, sent, err));
        } else {
          finish(new TransportError("connect", `request failed: ${code}`, false, err));
        }
      });
      req.end(body);
    });
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** What an aborted attempt fails with: the signal's reason when it is an error, else an AbortError. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error("Request aborted", { cause: reason }), { name: "AbortError" });
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
): { origin: Origin; path: string } | undefined {
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
