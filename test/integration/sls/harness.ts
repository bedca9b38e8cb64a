/** Shared setup of the SLS integration tests: a sandbox, clients pointed at it, raw requests. */
import http from "node:http";
import type { CredentialSource, SlsCredentials } from "../../../src/credentials/types.ts";
import type { RetryPolicy } from "../../../src/http/retry.ts";
import { createSlsClient } from "../../../src/providers/sls/client.ts";
import type { SlsClient, SlsClientOptions } from "../../../src/providers/sls/types.ts";
import { startSlsSandbox } from "../../../src/sandbox/sls/server.ts";
import type { SlsSandbox, SlsSandboxOptions } from "../../../src/sandbox/sls/types.ts";

export const ENDPOINT = "cn-shanghai.log.aliyuncs.com";
export const PROJECT = "tenant-project";
export const LOGSTORE = "signups";
export const GOOD: SlsCredentials = { accessKeyId: "LTAI-test-key", accessKeySecret: "good-secret-value" };
export const STS: SlsCredentials = { accessKeyId: "STS.test-key", accessKeySecret: "sts-secret-value", securityToken: "sts-token-value" };

/** Retries that never sleep long: tests check behaviour, not timing. */
export const FAST_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 10, throttledBaseDelayMs: 5 };

export function startSandbox(overrides: Partial<SlsSandboxOptions> = {}): Promise<SlsSandbox> {
  return startSlsSandbox({
    endpoint: ENDPOINT,
    accounts: [GOOD, STS],
    projects: { [PROJECT]: [LOGSTORE, "other-store"] },
    ...overrides,
  });
}

/** A credential source that counts refreshes and serves `afterRefresh` once refreshed. */
export class CountingCredentials implements CredentialSource<SlsCredentials> {
  refreshes = 0;
  #current: SlsCredentials;
  readonly #afterRefresh: SlsCredentials;
  constructor(initial: SlsCredentials, afterRefresh: SlsCredentials = initial) {
    this.#current = initial;
    this.#afterRefresh = afterRefresh;
  }
  async get(): Promise<SlsCredentials> {
    return this.#current;
  }
  async refresh(): Promise<SlsCredentials> {
    this.refreshes++;
    this.#current = this.#afterRefresh;
    return this.#current;
  }
}

export function clientFor(sandbox: SlsSandbox, overrides: Partial<SlsClientOptions> = {}): SlsClient {
  return createSlsClient({
    endpoint: ENDPOINT,
    project: PROJECT,
    logstore: LOGSTORE,
    credentials: new CountingCredentials(GOOD),
    signature: { version: "v1" },
    connectTo: sandbox.url,
    retryPolicy: FAST_RETRY,
    attemptTimeoutMs: 2_000,
    ...overrides,
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** Sends exactly the given request line, headers and body with node:http. */
export function rawRequest(
  baseUrl: string,
  request: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { method: request.method, hostname: url.hostname, port: url.port, path: request.path, headers: request.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(request.body);
  });
}

/** The `errorCode` of an SLS error body ("" when there is none). */
export function errorCodeOf(response: RawResponse): string {
  if (!response.text) return "";
  const parsed = JSON.parse(response.text) as { errorCode?: unknown };
  return typeof parsed.errorCode === "string" ? parsed.errorCode : "";
}
