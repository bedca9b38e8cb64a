/**
 * What the tests of the service's own AWS JSON calls (SQS SendMessage, EventBridge PutEvents)
 * share to hold them to the official SDK's requests: a local HTTP server that records each
 * request as it arrived (raw header names lowercased, body bytes as text) and answers from a
 * script, a clock whose backoffs are recorded instead of waited, and a SigV4 check recomputed from
 * what arrived.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "vitest";
import type { Clock } from "../../src/http/types.ts";

/** One request as the server received it. */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** How the server answers one request. */
export type ScriptedAnswer = (req: CapturedRequest, res: ServerResponse) => void;

/** The recording server: `answers` are used in order, then `fallback`; `reset` empties both lists. */
export interface CapturingServer {
  readonly origin: string;
  captured: CapturedRequest[];
  answers: ScriptedAnswer[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a recording server on 127.0.0.1.
 *
 * @example
 * ```ts
 * const wire = await startCapturingServer(success);
 * wire.answers = [error500];
 * ```
 */
export async function startCapturingServer(fallback: ScriptedAnswer): Promise<CapturingServer> {
  const wire = {
    captured: [] as CapturedRequest[],
    answers: [] as ScriptedAnswer[],
  };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers[(req.rawHeaders[i] as string).toLowerCase()] = req.rawHeaders[i + 1] as string;
      const request = { method: req.method ?? "", url: req.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8") };
      wire.captured.push(request);
      (wire.answers.shift() ?? fallback)(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(wire, {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reset() {
      wire.captured = [];
      wire.answers = [];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/**
 * A clock whose sleeps return at once and are recorded: backoffs without waiting.
 *
 * @example
 * ```ts
 * const clock = recordingClock(); // ... clock.sleeps: [63, 740]
 * ```
 */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
}

/**
 * Whether a captured request's SigV4 signature is right for what arrived: recomputed from its
 * signed headers and its body (the payload hash is the received body's, whatever the header
 * claims, as the service computes it).
 *
 * @example
 * ```ts
 * expect(await verifiesSigV4(request, { service: "events", region, credentials, origin })).toBe(true);
 * ```
 */
export async function verifiesSigV4(
  request: CapturedRequest,
  signing: { service: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; origin: string },
): Promise<boolean> {
  const auth = request.headers["authorization"] ?? "";
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(";") ?? [];
  const amzDate = request.headers["x-amz-date"] ?? "";
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const url = new URL(request.url, signing.origin);
  const signer = new SignatureV4({ service: signing.service, region: signing.region, credentials: signing.credentials, sha256: Sha256, uriEscapePath: true });
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, request.headers[name] ?? ""]));
  if ("x-amz-content-sha256" in headers) headers["x-amz-content-sha256"] = createHash("sha256").update(request.body, "utf8").digest("hex");
  const resigned = await signer.sign(
    { method: request.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers, body: request.body },
    { signingDate: date },
  );
  return resigned.headers["authorization"] === auth;
}

/** The SDK's own telemetry headers, which it signs and the service's clients do not send. */
export const SDK_TELEMETRY_HEADERS: readonly string[] = ["amz-sdk-invocation-id", "amz-sdk-request", "x-amz-user-agent", "user-agent"];

/**
 * Asserts that `ours` is the request the SDK sent as `fromSdk`: method, path, the named headers,
 * body bytes, credential scope (`<key>/<date>/<region>/<service>/aws4_request`), every header
 * the SDK signs but its telemetry signed, and a signature that verifies (while one over a
 * changed body does not: `tamper` changes it).
 *
 * @example
 * ```ts
 * await expectSdkRequest(fromSdk, fromOurs, ["content-type", "x-amz-target"], { service: "sqs", region, credentials, origin }, (b) => b.replace("é", "e"));
 * ```
 */
export async function expectSdkRequest(
  fromSdk: CapturedRequest,
  ours: CapturedRequest,
  headerNames: readonly string[],
  signing: Parameters<typeof verifiesSigV4>[1],
  tamper: (body: string) => string,
): Promise<void> {
  for (const name of headerNames) expect(ours.headers[name], name).toBe(fromSdk.headers[name]);
  expect([ours.method, ours.url]).toEqual([fromSdk.method, fromSdk.url]);
  expect(ours.body).toBe(fromSdk.body);
  const scope = (auth: string | undefined) => /Credential=([^,]+)/.exec(auth ?? "")?.[1]?.replace(/\/\d{8}\//, "/<date>/");
  expect(scope(ours.headers["authorization"])).toBe(scope(fromSdk.headers["authorization"]));
  expect(scope(ours.headers["authorization"])).toBe(`${signing.credentials.accessKeyId}/<date>/${signing.region}/${signing.service}/aws4_request`);
  // Every header the service reads is signed as the SDK signs it; the SDK's telemetry headers are the only others.
  const signed = (auth: string | undefined) => /SignedHeaders=([^,]+)/.exec(auth ?? "")?.[1]?.split(";") ?? [];
  expect(signed(ours.headers["authorization"])).toEqual(signed(fromSdk.headers["authorization"]).filter((h) => !SDK_TELEMETRY_HEADERS.includes(h)));
  expect(await verifiesSigV4(fromSdk, signing), "the verifier accepts the SDK's request").toBe(true);
  expect(await verifiesSigV4(ours, signing), "our request's signature").toBe(true);
  const tampered = tamper(ours.body);
  expect(tampered, "the tampered body differs").not.toBe(ours.body);
  expect(await verifiesSigV4({ ...ours, body: tampered }, signing), "a changed body fails").toBe(false);
}
