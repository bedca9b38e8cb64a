import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";

let server: http.Server;
let base: string;
const sockets = new Set<import("node:net").Socket>();
const seenSockets = new Set<number>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenSockets.add((req.socket.remotePort ?? 0));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/hang") return; // never answer
      if (req.url === "/reset") return req.socket.destroy();
      if (req.url === "/cut") {
        // The head and part of the body, then the connection closes.
        res.writeHead(200, { "content-length": "100" });
        res.write("partial", () => req.socket.destroy());
        return;
      }
      if (req.url === "/big") {
        res.end(Buffer.alloc(64 * 1024, 1));
        return;
      }
      const exact = /^\/bytes\/(\d+)$/.exec(req.url ?? "");
      if (exact) {
        res.end(Buffer.alloc(Number(exact[1]), 2));
        return;
      }
      if (req.url === "/cookies") {
        res.setHeader("set-cookie", ["a=1", "b=2"]);
        res.end();
        return;
      }
      if (req.url === "/garbage") {
        // Not HTTP at all: node's parser fails on the answer after the request went out.
        req.socket.end("garbage\r\n\r\n");
        return;
      }
      if (req.url === "/cut") {
        // Promises 100 bytes, sends 10, then closes: the answer is cut off mid-body.
        res.writeHead(200, { "content-length": "100" });
        res.write(Buffer.alloc(10));
        setImmediate(() => req.socket.destroy());
        return;
      }
      res.setHeader("x-echo-method", req.method ?? "");
      res.setHeader("x-echo-host", req.headers.host ?? "");
      res.statusCode = req.url === "/teapot" ? 418 : 200;
      res.end(Buffer.concat(chunks));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe("createHttpTransport", () => {
  it("sends method, headers and body, reads status, headers and the whole body", async () => {
    const t = createHttpTransport();
    const res = await t.send(
      { method: "PUT", url: `${base}/teapot`, headers: { host: "proj.example.com", "content-type": "application/json" }, body: '{"a":1}' },
      { timeoutMs: 2_000 },
    );
    expect(res.status).toBe(418);
    expect(res.headers["x-echo-method"]).toBe("PUT");
    expect(res.headers["x-echo-host"]).toBe("proj.example.com");
    expect(res.body.toString()).toBe('{"a":1}');
    t.close();
  });

  it("reuses one keep-alive connection for sequential requests", async () => {
    const t = createHttpTransport();
    seenSockets.clear();
    for (let i = 0; i < 5; i++) await t.send({ method: "GET", url: `${base}/`, headers: {} }, { timeoutMs: 2_000 });
    expect(seenSockets.size).toBe(1);
    t.close();
  });

  it("keeps a connection only as the server's Keep-Alive hint allows, as Node's agent does", async () => {
    // Node's agent keeps a socket until 1 s before the server's announced timeout: a server that
    // announces 1 s gets a new connection per request, one that announces 5 s keeps one.
    const ports = async (keepAliveTimeout: number): Promise<Set<number>> => {
      const seen = new Set<number>();
      const hinting = http.createServer((req, res) => {
        seen.add(req.socket.remotePort ?? 0);
        res.end("ok");
      });
      hinting.keepAliveTimeout = keepAliveTimeout;
      await new Promise<void>((r) => hinting.listen(0, "127.0.0.1", r));
      const t = createHttpTransport();
      const url = `http://127.0.0.1:${(hinting.address() as AddressInfo).port}/`;
      for (let i = 0; i < 3; i++) {
        const res = await t.send({ method: "GET", url, headers: {} }, { timeoutMs: 2_000 });
        expect(res.headers["keep-alive"]).toBe(`timeout=${keepAliveTimeout / 1000}`);
      }
      t.close();
      hinting.closeAllConnections();
      await new Promise((r) => hinting.close(r));
      return seen;
    };
    expect((await ports(1_000)).size).toBe(3);
    expect((await ports(5_000)).size).toBe(1);
  });

  it("cuts a hung request at the per-attempt timeout and reports it as sent", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "POST", url: `${base}/hang`, headers: {}, body: "x" }, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe("timeout");
    expect((err as TransportError).sent).toBe(true);
    t.close();
  });

  it("cuts at the deadline when it comes before the timeout", async () => {
    const t = createHttpTransport();
    const started = Date.now();
    const err = await t
      .send({ method: "GET", url: `${base}/hang`, headers: {} }, { timeoutMs: 60_000, deadline: started + 150 })
      .catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("timeout");
    t.close();
  });

  it("does not send at all when the deadline has passed", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `${base}/`, headers: {} }, { timeoutMs: 1_000, deadline: Date.now() - 1 }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("deadline");
    expect((err as TransportError).sent).toBe(false);
    expect((err as TransportError).message).toBe("deadline passed before the request was sent");
    // No cause to carry: none is attached (a `cause: undefined` would show in logs as a key).
    expect("cause" in (err as TransportError)).toBe(false);
    t.close();
  });

  it("reports a connection reset mid-request as an ambiguous reset", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "POST", url: `${base}/reset`, headers: {}, body: "x" }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("reset");
    expect((err as TransportError).sent).toBe(true);
    t.close();
  });

  it("reports an answer cut off after its head as a reset that was sent", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `${base}/cut`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe("reset");
    expect((err as TransportError).sent).toBe(true);
    expect((err as TransportError).message).toBe("answer cut off by the server");
    t.close();
  });

  it("reports a refused connection as not sent", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `http://127.0.0.1:${port}/`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("connect");
    expect((err as TransportError).sent).toBe(false);
    expect((err as TransportError).name).toBe("TransportError");
    expect((err as TransportError).message).toBe("could not connect: ECONNREFUSED");
    expect((err as TransportError).cause).toMatchObject({ code: "ECONNREFUSED" });
    t.close();
  });

  it("sends a string body's UTF-8 bytes exactly, and a Buffer body's bytes exactly", async () => {
    const t = createHttpTransport();
    const text = '{"name":"Ünïcødé 群组 🚀"}';
    const bytes = Buffer.from(text, "utf8");
    const headers = { "content-type": "application/json", "content-length": String(bytes.length) };
    const asString = await t.send({ method: "POST", url: `${base}/echo`, headers, body: text }, { timeoutMs: 2_000 });
    const asBuffer = await t.send({ method: "POST", url: `${base}/echo`, headers, body: bytes }, { timeoutMs: 2_000 });
    expect(asString.body.equals(bytes)).toBe(true);
    expect(asBuffer.body.equals(bytes)).toBe(true);
    t.close();
  });

  it("assembles an answer that arrives in many chunks, byte for byte", async () => {
    const t = createHttpTransport();
    const res = await t.send({ method: "GET", url: `${base}/big`, headers: {} }, { timeoutMs: 2_000 });
    expect(res.body.length).toBe(64 * 1024);
    expect(res.body.every((b) => b === 1)).toBe(true);
    t.close();
  });

  it("reads an answer without a body as an empty body, and every answer's bytes as its own", async () => {
    const t = createHttpTransport();
    const read = async (path: string) => (await t.send({ method: "GET", url: `${base}${path}`, headers: {} }, { timeoutMs: 2_000 })).body;
    const empty = await read("/bytes/0");
    expect(empty).toBeInstanceOf(Buffer);
    expect(empty.length).toBe(0);
    const big = await read("/big");
    expect(await read("/bytes/3")).toEqual(Buffer.from([2, 2, 2]));
    expect((await read("/bytes/0")).length).toBe(0);
    expect(big.length).toBe(64 * 1024);
    expect(big.every((b) => b === 1)).toBe(true);
    t.close();
  });

  it("refuses an answer larger than maxResponseBytes", async () => {
    const t = createHttpTransport({ maxResponseBytes: 1024 });
    const err = await t.send({ method: "GET", url: `${base}/big`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toMatch(/larger than 1024/);
    t.close();
  });

  it("takes an answer of exactly maxResponseBytes; one byte more is a reset that may have reached the server", async () => {
    const t = createHttpTransport({ maxResponseBytes: 1024 });
    const fits = await t.send({ method: "GET", url: `${base}/bytes/1024`, headers: {} }, { timeoutMs: 2_000 });
    expect(fits.body.length).toBe(1024);
    const err = await t.send({ method: "GET", url: `${base}/bytes/1025`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "reset", sent: true, message: "answer larger than 1024 bytes" });
    t.close();
  });

  it("joins a repeated answer header with a comma, as one string", async () => {
    const t = createHttpTransport();
    const res = await t.send({ method: "GET", url: `${base}/cookies`, headers: {} }, { timeoutMs: 2_000 });
    expect(res.headers["set-cookie"]).toBe("a=1, b=2");
    t.close();
  });

  it("a reset on a reused keep-alive connection is reported as sent (the request may have reached the server)", async () => {
    const t = createHttpTransport();
    seenSockets.clear();
    await t.send({ method: "GET", url: `${base}/`, headers: {} }, { timeoutMs: 2_000 });
    const err = await t.send({ method: "POST", url: `${base}/reset`, headers: {}, body: "x" }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    // Both went over one connection: the second found it connected already.
    expect(seenSockets.size).toBe(1);
    expect(err).toMatchObject({ failure: "reset", sent: true });
    expect((err as TransportError).message).toMatch(/^connection failed: ECONNRESET$|^connection failed: /);
    expect((err as TransportError).cause).toBeInstanceOf(Error);
    t.close();
  });

  it("an answer that is not HTTP is a reset after sending, naming the parser's code", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `${base}/garbage`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "reset", sent: true });
    expect((err as TransportError).message).toMatch(/^connection failed: HPE_[A-Z_]+$/);
    t.close();
  });

  it("an answer cut off mid-body is a reset after sending, never a short body", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `${base}/cut`, headers: {} }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ failure: "reset", sent: true });
    t.close();
  });

  it("opens at most maxSockets connections per host; the other requests wait for one", async () => {
    const t = createHttpTransport({ maxSockets: 2 });
    seenSockets.clear();
    await Promise.all([1, 2, 3, 4].map(() => t.send({ method: "GET", url: `${base}/bytes/10`, headers: {} }, { timeoutMs: 2_000 })));
    expect(seenSockets.size).toBeLessThanOrEqual(2);
    t.close();
  });

  it("never reuses a connection the server closed with Connection: close, even one it leaves open with a Keep-Alive hint", async () => {
    // The agents' keepSocketAlive override only reads the hint; a close answer must not reach it.
    const { createServer } = await import("node:net");
    const connections: import("node:net").Socket[] = [];
    const closing = createServer((socket) => {
      connections.push(socket);
      socket.on("data", () => socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\nKeep-Alive: timeout=30\r\nContent-Length: 2\r\n\r\nok"));
    });
    await new Promise<void>((r) => closing.listen(0, "127.0.0.1", r));
    const t = createHttpTransport();
    const url = `http://127.0.0.1:${(closing.address() as AddressInfo).port}/`;
    try {
      for (let i = 0; i < 3; i++) expect((await t.send({ method: "GET", url, headers: {} }, { timeoutMs: 2_000 })).status).toBe(200);
      expect(connections).toHaveLength(3);
    } finally {
      t.close();
      for (const socket of connections) socket.destroy();
      await new Promise((r) => closing.close(r));
    }
  });

  it("reaches an IPv6 literal origin (the brackets are the URL's, not the host's)", async () => {
    const v6 = http.createServer((req, res) => res.end(req.headers.host));
    await new Promise<void>((r) => v6.listen(0, "::1", r));
    const port = (v6.address() as AddressInfo).port;
    const t = createHttpTransport();
    try {
      const res = await t.send({ method: "GET", url: `http://[::1]:${port}/`, headers: {} }, { timeoutMs: 2_000 });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(`[::1]:${port}`);
    } finally {
      t.close();
      v6.closeAllConnections();
      await new Promise((r) => v6.close(r));
    }
  });
});
