/**
 * What the transport puts on the wire, byte for byte, against what node:http writes for the same
 * URL parsed by `new URL` and the same header object (how the transport sent every request
 * before it parsed origins once and passed headers as a list); and its time limits, cut on a
 * clock the test moves, against a server that never answers.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import type { HttpMethod } from "../../../src/http/types.ts";
import { ManualTimers } from "../../support/manual-timers.ts";
import { startStallingServer, type StallingServer } from "../../support/stalling-server.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

/** A raw TCP server that records each request's bytes and answers every one with "ok". */
let raw: net.Server;
let rawPort: number;
const heads: string[] = [];

beforeAll(async () => {
  raw = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.subarray(0, end + 4).toString("latin1");
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        heads.push(buffered.subarray(0, end + 4 + length).toString("latin1"));
        buffered = buffered.subarray(end + 4 + length);
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      }
    });
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  rawPort = (raw.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => raw.close(r));
});

/** The request as node:http writes it from `new URL(url)` and the header object. */
async function referenceBytes(method: HttpMethod, url: string, headers: Record<string, string>, body?: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: true });
  const u = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      { method, protocol: u.protocol, hostname: u.hostname, port: u.port || undefined, path: `${u.pathname}${u.search}`, headers, agent },
      (res) => {
        res.resume();
        res.on("end", resolve);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  agent.destroy();
  return heads.pop() as string;
}

async function transportBytes(method: HttpMethod, url: string, headers: Record<string, string>, body?: string): Promise<string> {
  const t = createHttpTransport();
  const res = await t.send({ method, url, headers, body }, { timeoutMs: 5_000 });
  expect(res.body.toString()).toBe("ok");
  t.close();
  return heads.pop() as string;
}

describe("createHttpTransport on the wire", () => {
  const cases: Array<[string, HttpMethod, string, Record<string, string>, string?]> = [
    ["IM-style POST with a long query", "POST", "/v4/group_open_http_svc/create_group?sdkappid=1400000000&identifier=administrator&usersig=eJw1jtEKgjAUhu%2B7ZfmV&random=123&contenttype=json", { "content-type": "application/json", "content-length": "9" }, '{"a":"b"}'],
    ["SLS-style signed PUT with its own host header", "PUT", "/logstores/store-1/consumergroups/cg-tenant-1", { host: "proj.cn-shanghai.log.aliyuncs.com", "x-log-apiversion": "0.6.0", authorization: "LOG ak:sig", "content-type": "application/json", "content-length": "2" }, "{}"],
    ["GET without headers", "GET", "/", {}],
    ["dot segments", "GET", "/a/./b/../c", {}],
    ["percent-encoded dot segment", "GET", "/a/%2e%2E/c?x=1", {}],
    ["bytes new URL encodes", "GET", "/a b/ü?q=it's \"x\"<y>", {}],
    ["a fragment", "GET", "/path?q=1#frag", {}],
    ["header names with capitals, one repeated in another case", "POST", "/x", { "Content-Type": "text/plain", "content-type": "application/json", "X-Trace": "1", "content-length": "1" }, "x"],
    ["a Host header in capitals", "GET", "/h", { Host: "example.com" }],
  ];
  for (const [name, method, path, headers, body] of cases) {
    it(`writes what node:http writes from new URL and the header object: ${name}`, async () => {
      const url = `http://127.0.0.1:${rawPort}${path}`;
      const expected = await referenceBytes(method, url, headers, body);
      expect(await transportBytes(method, url, headers, body)).toBe(expected);
    });
  }

  it("writes the same Host header for an origin spelled in capitals", async () => {
    for (const origin of [`http://LOCALHOST:${rawPort}`, `http://localhost:${rawPort}`]) {
      const url = `${origin}/v4/x?y=1`;
      const expected = await referenceBytes("GET", url, {});
      expect(await transportBytes("GET", url, {})).toBe(expected);
    }
  });

  it("sends each request of one transport to its own URL, the same URL again or another after it", async () => {
    const urls = [
      `http://127.0.0.1:${rawPort}/v4/a?x=1`,
      `http://127.0.0.1:${rawPort}/v4/a?x=1`,
      `http://localhost:${rawPort}/v4/b`,
      `http://127.0.0.1:${rawPort}/v4/a?x=1`,
      `http://127.0.0.1:${rawPort}/a b/./c`,
      `http://127.0.0.1:${rawPort}/a b/./c`,
      `http://127.0.0.1:${rawPort}/v4/a?x=2`,
    ];
    const expected: string[] = [];
    for (const url of urls) expected.push(await referenceBytes("GET", url, {}));
    const t = createHttpTransport();
    const sent: string[] = [];
    for (const url of urls) {
      await t.send({ method: "GET", url, headers: {} }, { timeoutMs: 5_000 });
      sent.push(heads.pop() as string);
    }
    t.close();
    expect(sent).toEqual(expected);
  });

  it("a request node:http refuses as it builds it (a line break in a header value) is a rejection, sent nowhere and not watched", async () => {
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    const before = heads.length;
    const outcome = t.send({ method: "GET", url: `http://127.0.0.1:${rawPort}/x`, headers: { "x-a": "1\r\nx-b: 2" } }, { timeoutMs: 5_000 });
    await expect(outcome).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    expect(timers.armed).toEqual([]);
    // The transport goes on as before.
    await t.send({ method: "GET", url: `http://127.0.0.1:${rawPort}/y`, headers: {} }, { timeoutMs: 5_000 });
    expect(heads.length).toBe(before + 1);
    expect(heads.pop()).toMatch(/^GET \/y HTTP\/1.1\r\n/);
    t.close();
  });

  it("rejects a protocol other than http(s) without sending", async () => {
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: "ftp://127.0.0.1/x", headers: {} }, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe("connect");
    expect((err as TransportError).message).toMatch(/unsupported protocol ftp:/);
    expect((err as TransportError).sent).toBe(false);
    t.close();
  });
});

describe("createHttpTransport time limits against a server that never answers", () => {
  afterEach(() => vi.useRealTimers());
  let hung: StallingServer;
  beforeAll(async () => {
    hung = await startStallingServer();
  });
  afterAll(async () => {
    await hung.close();
  });

  it("cuts the attempt at timeoutMs on its clock, reports it sent, and closes the connection", async () => {
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    const before = hung.abandoned();
    let outcome: unknown;
    const pending = t.send({ method: "POST", url: `${hung.url}/stall`, headers: { "content-length": "1" }, body: "x" }, { timeoutMs: 5_000 }).then(
      () => (outcome = "answered"),
      (e: unknown) => (outcome = e),
    );
    await vi.waitFor(() => expect(hung.stalled()).toBeGreaterThan(0), HANG_CAP);
    const stalled = hung.stalled();
    timers.advance(4_999);
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    timers.advance(1);
    await pending;
    expect(outcome).toBeInstanceOf(TransportError);
    expect((outcome as TransportError).failure).toBe("timeout");
    expect((outcome as TransportError).sent).toBe(true);
    expect((outcome as TransportError).message).toBe("no complete answer within 5000 ms");
    await vi.waitFor(() => expect(hung.abandoned()).toBe(before + 1), HANG_CAP);
    expect(hung.stalled()).toBe(stalled);
    t.close();
  });

  it("cuts at the deadline when it comes first, and each of two concurrent attempts at its own limit", async () => {
    // The deadline is wall-clock (epoch ms): Date stands still, so the budget is exactly 300 ms.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    const settled: string[] = [];
    const start = Date.now();
    const near = t
      .send({ method: "GET", url: `${hung.url}/near`, headers: {} }, { timeoutMs: 60_000, deadline: start + 300 })
      .catch((e: TransportError) => settled.push(`near:${e.failure}:${e.message}`));
    const far = t
      .send({ method: "GET", url: `${hung.url}/far`, headers: {} }, { timeoutMs: 1_000 })
      .catch((e: TransportError) => settled.push(`far:${e.failure}`));
    const stalledBefore = hung.stalled();
    await vi.waitFor(() => expect(hung.stalled()).toBeGreaterThanOrEqual(stalledBefore + 2), HANG_CAP);
    timers.advance(300);
    await near;
    expect(settled).toEqual(["near:timeout:no complete answer within 300 ms"]);
    timers.advance(699);
    await Promise.resolve();
    expect(settled).toHaveLength(1);
    timers.advance(1);
    await far;
    expect(settled).toEqual(["near:timeout:no complete answer within 300 ms", "far:timeout"]);
    t.close();
  });

  it("measures a limit on a monotonic clock by default: a wall clock that stands still does not stop it", async () => {
    // Node's own timers here (as a test that stops only Date runs the service): a limit counted
    // in Date time would never come.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const t = createHttpTransport();
    const err = await t.send({ method: "GET", url: `${hung.url}/frozen`, headers: {} }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("timeout");
    t.close();
  });

  it("does not send when the deadline has passed", async () => {
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    const before = hung.requests();
    const err = await t.send({ method: "GET", url: `${hung.url}/late`, headers: {} }, { timeoutMs: 1_000, deadline: Date.now() }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe("deadline");
    expect((err as TransportError).sent).toBe(false);
    expect(hung.requests()).toBe(before);
    expect(timers.armed).toEqual([]);
    t.close();
  });

  it("a caller's abort cuts the attempt at once with the signal's reason, and closes the connection", async () => {
    const t = createHttpTransport();
    const controller = new AbortController();
    const before = { abandoned: hung.abandoned(), stalled: hung.stalled() };
    const pending = t.send({ method: "GET", url: `${hung.url}/abort`, headers: {} }, { timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(hung.stalled()).toBeGreaterThan(before.stalled), HANG_CAP);
    const reason = new Error("caller gave up");
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await vi.waitFor(() => expect(hung.abandoned()).toBe(before.abandoned + 1), HANG_CAP);
    // Without an error as its reason: an AbortError.
    const other = new AbortController();
    const second = t.send({ method: "GET", url: `${hung.url}/abort2`, headers: {} }, { timeoutMs: 60_000, signal: other.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(hung.stalled()).toBeGreaterThan(before.stalled + 1), HANG_CAP);
    other.abort("no");
    expect(await second).toMatchObject({ name: "AbortError", message: "Request aborted", cause: "no" });
    t.close();
  });

  it("an already aborted signal sends nothing", async () => {
    const t = createHttpTransport();
    const connections = hung.connections();
    const error = await t.send({ method: "GET", url: `${hung.url}/never`, headers: {} }, { timeoutMs: 60_000, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError" });
    expect(hung.connections()).toBe(connections);
    t.close();
  });

  it("a new connection not made within connectTimeoutMs fails as connect (nothing sent) with code ETIMEDOUT", async () => {
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    const pending = t.send({ method: "GET", url: `${hung.url}/connect`, headers: {} }, { timeoutMs: 5_000, connectTimeoutMs: 2_000 }).catch((e: unknown) => e);
    // node:http hands the request its new socket on the next tick; the connection itself needs
    // the event loop's I/O phase, which has not come yet: the limit is armed and still running.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(timers.armed).toEqual([5_000, 2_000]);
    timers.advance(2_000);
    const error = (await pending) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.failure).toBe("connect");
    expect(error.sent).toBe(false);
    expect(error.cause).toMatchObject({ code: "ETIMEDOUT" });
    t.close();
  });

  it("a connection made in time ends the connect limit: the attempt runs to its own timeout", async () => {
    const timers = new ManualTimers();
    const t = createHttpTransport({ timers });
    let outcome: unknown;
    const pending = t.send({ method: "GET", url: `${hung.url}/connected`, headers: {} }, { timeoutMs: 5_000, connectTimeoutMs: 2_000 }).then(
      () => (outcome = "answered"),
      (e: unknown) => (outcome = e),
    );
    const stalled = hung.stalled();
    await vi.waitFor(() => expect(hung.stalled()).toBeGreaterThan(stalled), HANG_CAP);
    timers.advance(4_999);
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    timers.advance(1);
    await pending;
    expect((outcome as TransportError).failure).toBe("timeout");
    t.close();
  });
});
