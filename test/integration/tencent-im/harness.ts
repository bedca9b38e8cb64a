/** Shared set-up of the Tencent IM integration tests: a sandbox and a client pointed at it. */
import type { CredentialSource, ImCredentials } from "../../../src/credentials/types.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import type { RetryPolicy } from "../../../src/http/retry.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import type { TencentImClient, TencentImClientOptions } from "../../../src/providers/tencent-im/types.ts";
import { generateUserSig } from "../../../src/providers/tencent-im/usersig.ts";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import type { ImSandbox, ImSandboxOptions } from "../../../src/sandbox/tencent-im/types.ts";

export const APP = { sdkAppId: 1400000001, secretKey: "sandbox-secret-key-0001", adminIdentifier: "administrator" };
export const OTHER_APP = { sdkAppId: 1400000002, secretKey: "sandbox-secret-key-0002", adminIdentifier: "administrator" };

/** Tiny backoffs: retries are exercised without sleeping long. */
export const FAST_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, throttledBaseDelayMs: 50 };

/** Credentials whose `refresh` calls are counted. */
export function countingCredentials(value: ImCredentials): CredentialSource<ImCredentials> & { refreshes: number } {
  const source = {
    refreshes: 0,
    get: async () => value,
    refresh: async () => {
      source.refreshes += 1;
      return value;
    },
  };
  return source;
}

export interface Harness {
  sandbox: ImSandbox;
  client: TencentImClient;
  credentials: ReturnType<typeof countingCredentials>;
  close(): Promise<void>;
}

/** Starts a sandbox and a client against it. */
export async function startHarness(
  sandboxOptions: Partial<ImSandboxOptions> = {},
  clientOptions: Partial<TencentImClientOptions> = {},
  credentialsValue: ImCredentials = APP,
): Promise<Harness> {
  const sandbox = await startTencentImSandbox({ apps: [APP, OTHER_APP], ...sandboxOptions });
  const credentials = countingCredentials(credentialsValue);
  const client = createTencentImClient({
    domain: "adminapisgp.im.qcloud.com",
    credentials,
    connectTo: sandbox.url,
    retryPolicy: FAST_RETRY,
    attemptTimeoutMs: 2_000,
    ...clientOptions,
  });
  return {
    sandbox,
    client,
    credentials,
    async close() {
      client.close();
      await sandbox.close();
    },
  };
}

/** A deadline comfortably inside a test's time budget. */
export function deadline(ms = 8_000): { deadline: number } {
  return { deadline: Date.now() + ms };
}

/** Sends one hand-made request to the sandbox and returns the status and parsed JSON body. */
export async function rawCall(
  sandbox: ImSandbox,
  path: string,
  query: Record<string, string | undefined>,
  body: string,
  method: "POST" | "GET" = "POST",
): Promise<{ status: number; json: Record<string, unknown> }> {
  const transport = createHttpTransport();
  try {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const res = await transport.send(
      { method, url: `${sandbox.url}${path}?${params.toString()}`, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : body },
      { timeoutMs: 2_000 },
    );
    return { status: res.status, json: JSON.parse(res.body.toString("utf8")) as Record<string, unknown> };
  } finally {
    transport.close();
  }
}

/** A valid query for `app` at `nowSeconds`, to be altered one field at a time. */
export function validQuery(app: typeof APP, overrides: Record<string, string | undefined> = {}, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string | undefined> {
  return {
    sdkappid: String(app.sdkAppId),
    identifier: app.adminIdentifier,
    usersig: generateUserSig({ sdkAppId: app.sdkAppId, identifier: app.adminIdentifier, secretKey: app.secretKey, expireSeconds: 3600, timeSeconds: nowSeconds }),
    random: "12345",
    contenttype: "json",
    ...overrides,
  };
}
