import http from "node:http";
import https from "node:https";
import { TransportError } from "./errors.ts";
import type { AttemptLimits, HttpRequest, HttpResponse, HttpTransport } from "./types.ts";

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** Sockets per host kept and used at once. Default 50. */
  maxSockets?: number;
  /** Largest answer body read, in bytes; a larger one is cut and reported as a reset. Default 1 MiB. */
  maxResponseBytes?: number;
}

const NETWORK_RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET"]);
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * The one request path of the service: `node:http`/`node:https` with keep-alive agents.
 *
 * Chosen over global `fetch` (2.6x the CPU per request in `npm run bench` here, which a 128 MB Lambda's
 * fraction of a vCPU feels) and over undici (similar CPU to a keep-alive agent, but it adds
 * its size to every bundle and its load to every cold start); see `npm run bench`.
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
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets, scheduling: "lifo" });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets, scheduling: "lifo" });

  function send(request: HttpRequest, limits: AttemptLimits): Promise<HttpResponse> {
    const budget =
      limits.deadline === undefined
        ? limits.timeoutMs
        : Math.min(limits.timeoutMs, limits.deadline - Date.now());
    if (budget <= 0) {
      return Promise.reject(new TransportError("deadline", "deadline passed before the request was sent", false));
    }
    const url = new URL(request.url);
    const isHttps = url.protocol === "https:";
    if (!isHttps && url.protocol !== "http:") {
      return Promise.reject(new TransportError("connect", `unsupported protocol ${url.protocol}`, false));
    }
    // A string body goes out as is: node:http then writes it together with the head in one
    // write, where a Buffer costs a separate chunk (and converting it here, a copy).
    const body = request.body;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let sent = false;
      const finish = (err: TransportError | undefined, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res as HttpResponse);
      };

      const req = (isHttps ? https : http).request(
        {
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          headers: request.headers,
          agent: isHttps ? httpsAgent : httpAgent,
        },
        (res) => {
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
            const headers: Record<string, string> = {};
            const raw = res.headers;
            for (const name in raw) {
              const value = raw[name];
              if (value !== undefined) headers[name] = typeof value === "string" ? value : value.join(", ");
            }
            // Most answers arrive in one chunk: no copy then.
            const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
            finish(undefined, { status: res.statusCode ?? 0, headers, body: whole });
          });
          res.on("aborted", () => finish(new TransportError("reset", "answer cut off by the server", true)));
          res.on("error", (err) => finish(new TransportError("reset", `answer failed: ${errorCode(err)}`, true, err)));
        },
      );

      const timer = setTimeout(() => {
        finish(new TransportError("timeout", `no complete answer within ${budget} ms`, sent));
        req.destroy();
      }, budget);

      req.on("socket", (socket) => {
        // Once a reused socket is connected, or a new one connects, bytes may reach the server.
        if (!socket.connecting) sent = true;
        else socket.once("connect", () => (sent = true));
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

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}
