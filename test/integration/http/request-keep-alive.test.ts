/**
 * When the transport keeps a connection for the next request: it reads the server's Keep-Alive
 * hint as Node's own agent reads `res.headers["keep-alive"]` (only a leading `timeout=<seconds>`
 * counts; a hint of 1 s or less means "do not reuse"), and it drops a connection whose answer it
 * refused. Answers come from a raw TCP server, so each test chooses the exact header lines.
 */
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

/** Header lines of the answer, by request path. */
const answers = new Map<string, string[]>();
let raw: net.Server;
let base: string;
/** Client port of each request, in order; and the server's side of every open connection. */
const ports: number[] = [];
const open = new Set<net.Socket>();

beforeAll(async () => {
  raw = net.createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => {});
    let buffered = "";
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      for (let end = buffered.indexOf("\r\n\r\n"); end >= 0; end = buffered.indexOf("\r\n\r\n")) {
        const path = /^[A-Z]+ (\S+)/.exec(buffered)?.[1] ?? "";
        buffered = buffered.slice(end + 4);
        ports.push(socket.remotePort ?? 0);
        if (path === "/big") {
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${64 * 1024}\r\n\r\n${"x".repeat(64 * 1024)}`);
          continue;
        }
        const lines = answers.get(path) ?? [];
        socket.write(`HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join("")}content-length: 2\r\n\r\nok`);
      }
    });
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise((r) => raw.close(r));
});

/** How many connections three sequential requests to `path` used. */
async function connectionsFor(path: string, headerLines: string[]): Promise<number> {
  answers.set(path, headerLines);
  const t = createHttpTransport();
  const from = ports.length;
  for (let i = 0; i < 3; i++) {
    const res = await t.send({ method: "GET", url: `${base}${path}`, headers: {} }, { timeoutMs: 5_000 });
    expect(res.body.toString()).toBe("ok");
  }
  t.close();
  return new Set(ports.slice(from)).size;
}

describe("createHttpTransport keep-alive hints", () => {
  it("reuses the connection without a hint, and with a hint longer than 1 s (timeout=10 is ten seconds)", async () => {
    expect(await connectionsFor("/none", [])).toBe(1);
    expect(await connectionsFor("/ten", ["Keep-Alive: timeout=10"])).toBe(1);
  });

  it("does not reuse a connection whose server announces 1 s, in any case of the header name", async () => {
    expect(await connectionsFor("/one", ["Keep-Alive: timeout=1"])).toBe(3);
    expect(await connectionsFor("/one-lower", ["keep-alive: timeout=1, max=100"])).toBe(3);
  });

  it("reads the hint only from the Keep-Alive header, not from another header's value", async () => {
    expect(await connectionsFor("/other", ["X-Note: timeout=1", "Keep-Alive: timeout=10"])).toBe(1);
  });

  it("reads only a leading timeout=, as Node's agent does, and takes a hint without one", async () => {
    expect(await connectionsFor("/max-first", ["Keep-Alive: max=100, timeout=1"])).toBe(1);
    expect(await connectionsFor("/max-only", ["Keep-Alive: max=5"])).toBe(1);
  });

  it("closes the connection of an answer it refused as too large, instead of reading the rest", async () => {
    const t = createHttpTransport({ maxResponseBytes: 1024 });
    const err = await t.send({ method: "GET", url: `${base}/big`, headers: {} }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("reset");
    const refused = ports.at(-1);
    await vi.waitFor(() => expect([...open].some((s) => s.remotePort === refused)).toBe(false), HANG_CAP);
    t.close();
  });
});
