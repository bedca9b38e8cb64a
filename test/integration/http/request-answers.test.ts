/**
 * How the transport reads answers framed every way HTTP/1.1 allows, and what it does with the
 * malformed ones a broken or hostile server could send: a contract for the response parser
 * underneath (node:http's llhttp today; any client put in its place must meet it, issue 11's
 * "minimal HTTP/1.1 client" measurement). A malformed answer is a reset that may have reached the
 * server, naming the parser's code, and never a short or misframed body.
 *
 * Answers come byte for byte from a raw TCP server, chosen by the request path.
 */
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { createHttpTransport } from "../../../src/http/request.ts";

const MAX_RESPONSE_BYTES = 1024;

/** What the server does with a request to `/<name>`: bytes to write, or its own handling of the socket. */
const answers: Record<string, string | ((socket: net.Socket) => void)> = {
  chunked: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n",
  "until-close": (s) => s.end("HTTP/1.1 200 OK\r\n\r\nread until the server closes"),
  interim: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
  "no-content": "HTTP/1.1 204 No Content\r\n\r\n",
  "bad-status": "HTTP/1.1 20 OK\r\ncontent-length: 0\r\n\r\n",
  "bad-chunk-size": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
  "chunk-overrun": "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
  "length-and-chunked": "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  "two-lengths": "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
  "bad-length": "HTTP/1.1 200 OK\r\ncontent-length: 3x\r\n\r\nabc",
  "head-too-big": `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`,
  "space-before-colon": "HTTP/1.1 200 OK\r\ncontent-length : 2\r\n\r\nok",
  "folded-header": "HTTP/1.1 200 OK\r\nx-a: 1\r\n continued\r\ncontent-length: 2\r\n\r\nok",
  "bare-lf": "HTTP/1.1 200 OK\ncontent-length: 2\n\nok",
  "nul-in-value": "HTTP/1.1 200 OK\r\nx-a: a\0b\r\ncontent-length: 2\r\n\r\nok",
  "too-long": `HTTP/1.1 200 OK\r\ncontent-length: 2000\r\n\r\n${"x".repeat(2000)}`,
  "too-long-chunked": `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7d0\r\n${"x".repeat(2000)}\r\n0\r\n\r\n`,
  "cut-in-body": (s) => s.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", () => setTimeout(() => s.destroy(), 20)),
  "cut-in-chunk": (s) => s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab", () => setTimeout(() => s.destroy(), 20)),
  "cut-in-head": (s) => s.write("HTTP/1.1 200 OK\r\ncontent-len", () => setTimeout(() => s.destroy(), 20)),
};

let server: net.Server;
let base: string;
const open = new Set<net.Socket>();

beforeAll(async () => {
  server = net.createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => {});
    socket.once("data", (head: Buffer) => {
      const answer = answers[/^GET \/(\S*)/.exec(head.toString("latin1"))?.[1] ?? ""];
      if (typeof answer === "function") answer(socket);
      else socket.write(answer ?? "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise((r) => server.close(r));
});

async function get(name: string): Promise<{ status: number; body: string } | TransportError> {
  const t = createHttpTransport({ maxResponseBytes: MAX_RESPONSE_BYTES });
  try {
    const res = await t.send({ method: "GET", url: `${base}/${name}`, headers: {} }, { timeoutMs: 10_000 });
    return { status: res.status, body: res.body.toString("latin1") };
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  } finally {
    t.close();
  }
}

describe("createHttpTransport reading answers", () => {
  it("joins a chunked body's chunks (extensions and trailers skipped)", async () => {
    expect(await get("chunked")).toEqual({ status: 200, body: "abcde" });
  });

  it("reads a body without length or chunks until the server closes", async () => {
    expect(await get("until-close")).toEqual({ status: 200, body: "read until the server closes" });
  });

  it("skips interim 1xx answers and returns the final one", async () => {
    expect(await get("interim")).toEqual({ status: 200, body: "ok" });
  });

  it("reads a 204 as an empty body", async () => {
    expect(await get("no-content")).toEqual({ status: 204, body: "" });
  });

  const malformed: Array<[string, string]> = [
    ["bad-status", "a status line without a three-digit code"],
    ["bad-chunk-size", "a chunk size that is not hex"],
    ["chunk-overrun", "a chunk longer than its size"],
    ["length-and-chunked", "both Content-Length and chunked (a smuggling shape)"],
    ["two-lengths", "two different Content-Length values"],
    ["bad-length", "a Content-Length that is not a number"],
    ["head-too-big", "a head over 16 KiB"],
    ["space-before-colon", "white space between a header name and its colon"],
    ["folded-header", "a folded (obsolete line-continued) header"],
    ["bare-lf", "lines ended by LF alone"],
    ["nul-in-value", "a NUL byte in a header value"],
  ];
  for (const [name, what] of malformed) {
    it(`refuses ${what} as a reset after sending, naming the parser's code`, async () => {
      const outcome = await get(name);
      expect(outcome).toBeInstanceOf(TransportError);
      expect(outcome).toMatchObject({ failure: "reset", sent: true });
      expect((outcome as TransportError).message).toMatch(/^connection failed: HPE_[A-Z_]+$/);
    });
  }

  it("refuses a body over maxResponseBytes, whether framed by length or by chunks", async () => {
    for (const name of ["too-long", "too-long-chunked"]) {
      expect(await get(name)).toMatchObject({ failure: "reset", sent: true, message: `answer larger than ${MAX_RESPONSE_BYTES} bytes` });
    }
  });

  it("reports a body cut off by the server, by length or mid-chunk, as cut off: never a short body", async () => {
    for (const name of ["cut-in-body", "cut-in-chunk"]) {
      expect(await get(name)).toMatchObject({ failure: "reset", sent: true, message: "answer cut off by the server" });
    }
  });

  it("reports a connection closed in the middle of the head as a reset after sending", async () => {
    expect(await get("cut-in-head")).toMatchObject({ failure: "reset", sent: true });
  });
});
