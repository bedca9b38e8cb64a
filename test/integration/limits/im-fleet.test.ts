
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { beforeEach, describe, expect, it } from "vitest";
import { startDynalite } from "../../../src/local/dynalite.ts";
import { createHttpTransport } from "../../../src/http/request.ts";
import { createLocalRateLimiter } from "../../../src/limits/local-limiter.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import type { TencentImClient } from "../../../src/providers/tencent-im/types.ts";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/index.ts";
import { CapturingLogger, useLocalStack } from "../../support/local-stack.ts";
import { VirtualClock } from "../../support/virtual-time.ts";

const fx = useLocalStack();
const soon = () => Date.now() + 60_000;

/** `lanes` callers per client import `perClient` accounts each through `clients`, all at once. */
async function importAll(clients: TencentImClient[], perClient: number, lanes: number, prefix: string, deadline: () => number = soon): Promise<void> {
  await Promise.all(
    clients.map(async (im, c) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          while (next < perClient) await im.accountImport({ userId: `${prefix}-${c}-${next++}` }, { deadline: deadline() });
        }),
      );
    }),
  );
}

describe("the IM budget across service instances", () => {
  beforeEach(() => fx.stack.im.reset());

  it("four service instances never draw a throttling answer (10006)", async () => {
    const services = Array.from({ length: 4 }, () => fx.service());
    await importAll(services.map((s) => s.im), 150, 24, "fleet");
    const { counters } = fx.stack.im.state();
    expect(counters.calls["account_import"]).toBe(600);
    expect(counters.throttled).toBe(0);
  }, 60_000);

  it("with the table unreachable, a service still calls IM, at the fallback rate, and says so in its log", async () => {
    // A DynamoDB endpoint that refuses connections: a dynalite started and stopped again.
    const gone = await startDynalite();
    await gone.close();
    const client = new DynamoDBDocumentClient({ endpoint: gone.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 });
    const logger = new CapturingLogger();
    const service = fx.service({ documentClient: client, logger });
    try {
      await importAll([service.im], 3, 1, "outage");
    } finally {
      client.destroy();
    }
    expect(fx.stack.im.state().counters.calls["account_import"]).toBe(3);
    const warnings = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === "warn");
    // account_import and create_group are leased together (IM_LEASED_TOGETHER): the failed lease
    // sends both to the fallback, each said once.
    expect(warnings).toEqual(
      ["account_import", "create_group"].map((command) =>
        expect.objectContaining({ message: expect.stringContaining("rate limiter: the table is out of reach"), provider: "tencent-im", command, fallbackRatePerSecond: 190 / service.config.im.fleetMaxProcesses }),
      ),
    );
  }, 60_000);

  it("control: the same load paced per process at 190/s is throttled by the sandbox", async () => {
    // In virtual time (test/support/virtual-time.ts), shared by the limiters, the clients' retries and
    // the sandbox's rate windows: the two processes send at 2 × 190/s whatever the machine manages.
    // In real time an overloaded machine never reached 200/s, and the control passed for no reason.
    const clock = new VirtualClock(Date.now());
    const credentials = fx.stack.credentials.im;
    const sandbox = await startTencentImSandbox({ apps: [credentials], clock });
    const clients = Array.from({ length: 2 }, () => {
      const http = createHttpTransport();
      return createTencentImClient({
        domain: fx.stack.env.IM_DOMAIN as string,
        credentials: { get: async () => credentials, refresh: async () => credentials },
        connectTo: sandbox.url,
        // The sandbox answers in no virtual time: the clock stands still while a request is out.
        transport: { send: (request, limits) => clock.track(() => http.send(request, limits)), close: () => http.close() },
        clock,
        rateLimiter: createLocalRateLimiter({ account_import: 190 }, clock),
        retryPolicy: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 50, throttledBaseDelayMs: 50 },
      });
    });
    try {
      let done = false;
      const work = importAll(clients, 150, 24, "control", () => clock.now() + 60_000).finally(() => {
        done = true;
      });
      while (!done) await clock.runUntil(clock.now() + 100);
      await work;
      const { counters } = sandbox.state();
      expect(counters.calls["account_import"]).toBeGreaterThanOrEqual(300);
      expect(counters.throttled).toBeGreaterThan(0);
    } finally {
      for (const c of clients) c.close();
      await sandbox.close();
    }
  }, 60_000);
});
