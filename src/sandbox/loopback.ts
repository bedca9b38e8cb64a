/** Loopback listening for every local stand-in: the provider sandboxes and the AWS ones (src/local builds on src/sandbox, never the reverse). */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Starts `server` listening on 127.0.0.1 (port 0 picks a free one) and resolves with the port;
 * a failure to bind (port taken) rejects instead of throwing later.
 *
 * @example
 * ```ts
 * const port = await listenOnLoopback(http.createServer(handler), 0);
 * ```
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Stops `server`: stops accepting, and cuts its connections so the close cannot hang on
 * keep-alive sockets (`idle`) or on requests a sandbox holds open on purpose (`all`).
 *
 * @example
 * ```ts
 * await closeServer(server, "all");
 * ```
 */
export function closeServer(server: Server, connections: "idle" | "all"): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    if (connections === "all") server.closeAllConnections();
    else server.closeIdleConnections();
  });
}
