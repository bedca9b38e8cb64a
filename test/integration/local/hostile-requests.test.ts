/**
 * `npm start` as an operator runs it (a child process), fed malformed requests on every local
 * server: each one answers (the HTTP API adapter with 400, as API Gateway would) and the process
 * never exits on a request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStackState } from "../../../src/local/local-service.ts";
import { until } from "../../handlers/harness.ts";

const START = join(import.meta.dirname, "../../../scripts/start.ts");
let child: ChildProcess;
let state: LocalStackState;
let output = "";
let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "local-start-"));
  const ports = ["LOCAL_HTTP_PORT", "LOCAL_SQS_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_SECRETS_PORT", "LOCAL_SLS_PORT", "LOCAL_IM_PORT"];
  child = spawn(process.execPath, [START], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(ports.map((p) => [p, "0"])), LOCAL_BACKFILL_EVERY_MS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  await until(() => output.includes("is running locally") || child.exitCode !== null, "npm start to come up", 60_000);
  expect(child.exitCode, output).toBeNull();
  state = JSON.parse(await readFile(join(cwd, ".local/stack.json"), "utf8")) as LocalStackState;
}, 90_000);

afterAll(() => {
  child?.kill("SIGTERM");
});

/** Sends a raw HTTP/1.1 request (the path exactly as written, never re-encoded) and returns the status. */
function raw(base: string, request: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on("error", reject);
  });
}

const get = (base: string, path: string) => raw(base, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
const post = (base: string, path: string, body: string, type = "application/json") =>
  raw(base, `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);

describe("npm start under malformed requests", () => {
  it("the HTTP API adapter answers 400 to malformed percent-encoding and a bad JSON body, and keeps serving", async () => {
    const api = new URL(state.webhookUrl).origin;
    for (const path of ["/tenants/%ZZ", "/tenants/%E0%A4%A", "/tenants/%", "/tenants/abc%C0%AF"]) {
      expect(await get(api, path), path).toBe(400);
    }
    expect(await post(api, "/__local/backfill", "{not json")).toBe(400);
    expect(await get(api, "/%ZZ")).toBe(404);
    expect(await get(api, "/tenants/never-signed-up"), output).toBe(404);
    expect(child.exitCode).toBeNull();
  });

  it("a client that disconnects mid-body does not take the process down", async () => {
    const api = new URL(state.webhookUrl);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: api.hostname, port: api.port, path: api.pathname, method: "POST", headers: { "content-length": "100000" } });
      req.on("error", () => resolve());
      req.write("x".repeat(1000), () => {
        req.destroy();
        resolve();
      });
    });
    expect(await get(api.origin, "/tenants/still-up")).toBe(404);
    expect(child.exitCode).toBeNull();
  });

  it("the SQS, Secrets Manager and EventBridge stand-ins and the SLS and IM sandboxes answer malformed requests with a refusal, and keep serving", async () => {
    const servers = {
      sqs: new URL(state.signupQueueUrl).origin,
      secrets: state.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? "",
      sls: state.env.SLS_CONNECT_TO ?? "",
      im: state.env.IM_CONNECT_TO ?? "",
      dynamodb: state.env.AWS_ENDPOINT_URL_DYNAMODB ?? "",
      eventbridge: state.env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? "",
    };
    for (const [name, base] of Object.entries(servers)) {
      expect(base, name).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const status of [await get(base, "/%ZZ"), await get(base, "/a/%E0%A4%A?x=%ZZ"), await post(base, "/%ZZ", "{not json"), await post(base, "/", "\u0000\u00ff", "application/x-amz-json-1.0")]) {
        expect(status, name).toBeGreaterThanOrEqual(200);
        // The IM sandbox answers as IM does (HTTP 200 with an error envelope), dynalite (not ours)
        // answers a GET with its health text; every other one refuses with a 4xx.
        if (name !== "im" && name !== "dynamodb") expect(status, name).toBeGreaterThanOrEqual(400);
        expect(status, name).toBeLessThan(500);
      }
    }
    expect(child.exitCode).toBeNull();
  });
});

describe("npm start with a setting the service refuses", () => {
  it("names the variable and the rule, exits 2, no stack trace", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "local-start-bad-"));
    const ports = ["LOCAL_HTTP_PORT", "LOCAL_SQS_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_SECRETS_PORT", "LOCAL_SLS_PORT", "LOCAL_IM_PORT"];
    const bad = spawn(process.execPath, [START], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(ports.map((p) => [p, "0"])), LOCAL_BACKFILL_EVERY_MS: "0", WEBHOOK_REQUEST_BUDGET_MS: "50" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    bad.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once("exit", resolve));
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("WEBHOOK_REQUEST_BUDGET_MS: must be >= 500");
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});

describe("a second npm start in the same directory", () => {
  // It rewrote .local/stack.json; once it exited, the CLI said the stack still running was down.
  it("is refused (exit 2) while the stack .local/stack.json names answers, and the file is left as it was", async () => {
    const before = await readFile(join(cwd, ".local/stack.json"), "utf8");
    const ports = ["LOCAL_HTTP_PORT", "LOCAL_SQS_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_SECRETS_PORT", "LOCAL_SLS_PORT", "LOCAL_IM_PORT"];
    const second = spawn(process.execPath, [START], { cwd, env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(ports.map((p) => [p, "0"])), LOCAL_BACKFILL_EVERY_MS: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    second.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => second.once("exit", resolve));
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("another npm start is running from this directory");
    expect(await readFile(join(cwd, ".local/stack.json"), "utf8")).toBe(before);
    expect(child.exitCode).toBeNull();
  }, 60_000);
});

describe("npm start with a port it cannot use", () => {
  /** Starts a second `npm start` with `env` over free ports; resolves with its exit code and stderr. */
  async function startWith(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const cwd = await mkdtemp(join(tmpdir(), "local-start-port-"));
    const ports = ["LOCAL_HTTP_PORT", "LOCAL_SQS_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_SECRETS_PORT", "LOCAL_SLS_PORT", "LOCAL_IM_PORT"];
    const second = spawn(process.execPath, [START], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(ports.map((p) => [p, "0"])), LOCAL_BACKFILL_EVERY_MS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    second.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => second.once("exit", resolve));
    return { code, stderr };
  }

  // It was an uncaught EADDRINUSE stack trace naming neither the variable nor what to do.
  it("a port another process holds (the running npm start's): names the variable, exits 2, no stack trace, the running one unharmed", async () => {
    for (const [variable, url] of [
      ["LOCAL_HTTP_PORT", state.webhookUrl],
      ["LOCAL_DYNAMODB_PORT", state.env.AWS_ENDPOINT_URL_DYNAMODB ?? ""],
    ] as const) {
      const taken = new URL(url).port;
      const { code, stderr } = await startWith({ [variable]: taken });
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(`${variable}: port ${taken} on 127.0.0.1 is in use`);
      expect(stderr).not.toMatch(/^\s+at /m);
    }
    expect(await get(new URL(state.webhookUrl).origin, "/tenants/still-up")).toBe(404);
    expect(child.exitCode).toBeNull();
  }, 60_000);

  // A typo reached server.listen as NaN (a RangeError stack trace), a negative interval printed "every -0.005 s".
  it("a port or interval that is not a number in range: names each variable and rule before anything listens, exits 2", async () => {
    const { code, stderr } = await startWith({ LOCAL_HTTP_PORT: "80OO", LOCAL_SQS_PORT: "70000", LOCAL_BACKFILL_EVERY_MS: "-5" });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("LOCAL_HTTP_PORT: an integer 0-65535");
    expect(stderr).toContain("LOCAL_SQS_PORT: an integer 0-65535");
    expect(stderr).toContain("LOCAL_BACKFILL_EVERY_MS: a whole number of milliseconds");
    expect(stderr).not.toContain("80OO");
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
