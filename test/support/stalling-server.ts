/**
 * An HTTP server that never answers the requests it is told to stall (by default all of them):
 * it reads them and keeps the connection open, as a hung AWS endpoint does. Other requests are
 * forwarded to `forwardTo` (e.g. dynalite), so a test can stall one kind of call only.
 */
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server saw. */
export interface StallingServer {
  url: string;
  /** Requests received (stalled or forwarded). */
  requests(): number;
  /** Requests held without an answer. */
  stalled(): number;
  /** Stalled requests whose connection the client closed (it gave up on them). */
  abandoned(): number;
  /** TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const hung = await startStallingServer();
 * new DynamoDBClient({ endpoint: hung.url });
 * ```
 */
export async function startStallingServer(
  options: {
    forwardTo?: string;
    stall?: (req: IncomingMessage, body: string) => boolean;
    /** Latency injected before a forwarded request goes on (a slow, not hung, endpoint); 0 by default. */
    delayMs?: (req: IncomingMessage, body: string) => number;
    /**
     * Requests that reach `forwardTo` (the write lands) but whose answer never comes back: a
     * call that succeeded on the service's side and hung on the way back. Counted as stalled.
     */
    landThenStall?: (req: IncomingMessage, body: string) => boolean;
  } = {},
): Promise<StallingServer> {
  const stall = options.stall ?? (() => true);
  let requests = 0;
  let stalled = 0;
  let abandoned = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const body = Buffer.concat(chunks);
      if (options.forwardTo && options.landThenStall?.(req, body.toString("utf8"))) {
        stalled++;
        res.on("close", () => abandoned++);
        const target = new URL(options.forwardTo);
        const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => answer.resume());
        upstream.on("error", () => undefined);
        upstream.end(body);
        return;
      }
      if (!options.forwardTo || stall(req, body.toString("utf8"))) {
        stalled++;
        res.on("close", () => abandoned++);
        return;
      }
      const target = new URL(options.forwardTo);
      const delayMs = options.delayMs?.(req, body.toString("utf8")) ?? 0;
      if (delayMs > 0) {
        setTimeout(() => forward(target, body), delayMs);
        return;
      }
      forward(target, body);
    });
    function forward(target: URL, body: Buffer) {
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    }
  });
  server.on("connection", (socket) => {
    connections++;
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stalled: () => stalled,
    abandoned: () => abandoned,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
