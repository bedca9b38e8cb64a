/**
 * The transport over HTTPS, against a local TLS server: the https agent is used for an https
 * origin, keeps its connection alive like the http one, names the server (SNI) for a host name
 * and not for an IP address, and is closed by `close()`.
 *
 * The certificate (test/support/tls, self-signed for localhost, 127.0.0.1 and ::1, valid until
 * 2126, made with `openssl req -x509 -newkey ec`) is a test fixture, not a secret: it is trusted
 * only inside this file, through Node's default CA list, which the transport's agent reads like
 * every https client without its own `ca`.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import tls, { type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

const fixture = (name: string): string => readFileSync(new URL(`../../support/tls/${name}`, import.meta.url), "utf8");

let server: https.Server;
let port: number;
/** The TLS server name each request's connection announced (false: none), and its client port. */
const seen: { servername: string | false | null; remotePort: number }[] = [];
const open = new Set<Socket>();
let defaultCAs: string[];

beforeAll(async () => {
  defaultCAs = tls.getCACertificates("default");
  tls.setDefaultCACertificates([...defaultCAs, fixture("localhost.cert.pem")]);
  server = https.createServer({ key: fixture("localhost.key.pem"), cert: fixture("localhost.cert.pem") }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push({ servername: socket.servername, remotePort: socket.remotePort ?? 0 });
    res.end(`tls:${req.method}:${req.url}`);
  });
  server.keepAliveTimeout = 5_000;
  server.on("secureConnection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  tls.setDefaultCACertificates(defaultCAs);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("createHttpTransport over https", () => {
  it("sends to an https origin over TLS and names the host to the server (SNI)", async () => {
    seen.length = 0;
    const t = createHttpTransport();
    const res = await t.send({ method: "GET", url: `https://localhost:${port}/named?x=1`, headers: {} }, { timeoutMs: 5_000 });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("tls:GET:/named?x=1");
    expect(seen.map((s) => s.servername)).toEqual(["localhost"]);
    t.close();
  });

  it("sends no server name for an IP address origin (an IP address is no SNI name)", async () => {
    seen.length = 0;
    const t = createHttpTransport();
    const res = await t.send({ method: "POST", url: `https://127.0.0.1:${port}/ip`, headers: { "content-length": "0" } }, { timeoutMs: 5_000 });
    expect(res.body.toString()).toBe("tls:POST:/ip");
    expect(seen.map((s) => s.servername)).toEqual([false]);
    t.close();
  });

  it("keeps one TLS connection for sequential requests, as over plain http", async () => {
    seen.length = 0;
    const t = createHttpTransport();
    for (let i = 0; i < 3; i++) {
      const res = await t.send({ method: "GET", url: `https://localhost:${port}/again`, headers: {} }, { timeoutMs: 5_000 });
      expect(res.body.toString()).toBe("tls:GET:/again");
    }
    expect(new Set(seen.map((s) => s.remotePort)).size).toBe(1);
    t.close();
  });

  it("close() ends the kept TLS connection", async () => {
    const t = createHttpTransport();
    await t.send({ method: "GET", url: `https://localhost:${port}/kept`, headers: {} }, { timeoutMs: 5_000 });
    const kept = seen.at(-1)?.remotePort;
    const isOpen = (): boolean => [...open].some((s) => s.remotePort === kept);
    expect(isOpen()).toBe(true);
    t.close();
    await vi.waitFor(() => expect(isOpen()).toBe(false), HANG_CAP);
  });

  it("talks TLS to an https origin: a plain-http server on that port is no answer", async () => {
    // The http agent would have sent a plain request and read the server's plain answer.
    const plain = (await import("node:http")).createServer((_req, res) => res.end("plain"));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    const t = createHttpTransport();
    const err = await t
      .send({ method: "GET", url: `https://127.0.0.1:${(plain.address() as AddressInfo).port}/`, headers: {} }, { timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    t.close();
    plain.closeAllConnections();
    await new Promise((r) => plain.close(r));
  });
});
