/**
 * A trivial keep-alive HTTP server for the transport CPU comparison, run in its own process so
 * its CPU is not counted. Sends `{ type: "ready", url }` over IPC; exits when the parent goes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const body = Buffer.from(JSON.stringify({ ErrorCode: 0, ActionStatus: "OK", ErrorInfo: "" }));
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: "ready", url: `http://127.0.0.1:${port}/v4/bench/echo` });
});
process.on("disconnect", () => process.exit(0));
