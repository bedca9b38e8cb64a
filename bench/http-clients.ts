/**
 * The HTTP clients the bench compares, each sending the same POST and parsing the same JSON
 * answer: our transport, a bare node:http loop (the floor of any node:http transport), global
 * fetch and undici's `request`. Used by the http section (bench/service-child.ts) and by
 * bench/http-cost.ts (instruction counts).
 */
import http from "node:http";

export type HttpClientName = "transport" | "bare" | "fetch" | "undici";

/** One request by a client, rejected unless the answer is 200 with a JSON body. */
export type SendOne = () => Promise<void>;

export interface HttpClientOptions {
  /** Each client's time limit per request. Default 5 s. */
  timeoutMs?: number;
  /** Module to load `createHttpTransport` from (another build, e.g. an older commit's, to compare). */
  transportModule?: string;
}

/**
 * Makes client `name` for `url`.
 *
 * @example
 * ```ts
 * const send = await makeHttpClient("transport", "http://127.0.0.1:8080/v4/bench/echo");
 * await send();
 * ```
 */
export async function makeHttpClient(name: HttpClientName, url: string, options: HttpClientOptions = {}): Promise<SendOne> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const payload = JSON.stringify({ GroupIdList: ["tenant-bench"] });
  const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
  const check = (status: number | undefined, body: string) => {
    if (status !== 200) throw new Error(`status ${status}`);
    JSON.parse(body);
  };
  if (name === "transport") {
    const { createHttpTransport } = (await import(options.transportModule ?? "../src/http/request.ts")) as typeof import("../src/http/request.ts");
    const transport = createHttpTransport();
    // As the service calls it: every IM, SLS and AWS request carries the invocation's deadline.
    return async () => {
      const res = await transport.send({ method: "POST", url, headers, body: payload }, { timeoutMs, deadline: Date.now() + timeoutMs });
      check(res.status, res.body.toString("utf8"));
    };
  }
  if (name === "bare") {
    // The same request with no time limit, no error classification, no header copy.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50, scheduling: "lifo" });
    const u = new URL(url);
    const requestOptions = { method: "POST", hostname: u.hostname, port: u.port, path: u.pathname, headers, agent };
    return () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(requestOptions, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            try {
              check(res.statusCode, (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8"));
              resolve();
            } catch (error) {
              reject(error);
            }
          });
        });
        req.on("error", reject);
        req.end(payload);
      });
  }
  if (name === "fetch") {
    return async () => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: payload, signal: AbortSignal.timeout(timeoutMs) });
      check(res.status, await res.text());
    };
  }
  const { Agent, request } = await import("undici");
  const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 50 });
  return async () => {
    const res = await request(url, { method: "POST", headers, body: payload, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    check(res.statusCode, await res.body.text());
  };
}
