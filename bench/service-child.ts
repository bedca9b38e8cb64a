/**
 * The measured process: holds only the service (the stack runs in bench/stack-server.ts, the
 * HTTP peer in bench/http-server.ts). Its environment (the stack's) is set by the parent at fork,
 * so modules that build the service from process.env at import see it. Ops over IPC:
 *   warm     → per-tenant CPU and DynamoDB/provider requests of sequential provisioning (first
 *              delivery, then the same tenants again), plus a per-operation breakdown
 *   httpBlock → one block of requests by one HTTP client (our transport, a bare node:http loop, global fetch or undici's
 *              request), its CPU and wall time; each client runs in its own process
 *   pacing   → the IM client alone against the sandbox's rate limits
 * (The whole backfill runs in bench/backfill-child.cjs, which loads nothing but the bundle.)
 */
import { DynamoDBDocumentClient } from "../src/aws/dynamodb/document-client.ts";
import type { AnyDocumentCommand } from "../src/aws/dynamodb/commands.ts";
import { makeHttpClient, type HttpClientName, type SendOne } from "./http-clients.ts";

/** Calls that warm the SLS and IM clients before their back-to-back CPU is measured. */
const BACK_TO_BACK_WARMUP = 2_000;
import { benchTenant, cpuMsSince, serve } from "./lib.ts";

async function warm(args: { prefix: string; warmup: number; n: number; micro: number }) {
  const { loadConfig } = await import("../src/config/config.ts");
  const { createService } = await import("../src/service.ts");
  const { createHttpTransport } = await import("../src/http/request.ts");
  const { parseTenantOnboarding } = await import("../src/provisioning/tenant.ts");

  const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  const { awsClientOptions } = await import("../src/aws/client-options.ts");
  const { createOutcomeEventPublisher } = await import("../src/events/index.ts");
  const { eventBridgeAnnouncer } = await import("../src/provisioning/outcome-events.ts");

  // The same clients createService builds by default, with counters on them.
  // Every DynamoDB attempt counted at its transport (retries included).
  let ddbRequests = 0;
  const ddbBase = createHttpTransport();
  const ddb = new DynamoDBDocumentClient({
    transport: { send: (r: Parameters<typeof ddbBase.send>[0], l: Parameters<typeof ddbBase.send>[1]) => (ddbRequests++, ddbBase.send(r, l)), close: () => ddbBase.close() },
  });
  // What each request is and what it costs: the operation, the outcome store's or the IM limiter's
  // (LIMIT# items), and the capacity units dynalite reports (ReturnConsumedCapacity) per request.
  const ddbUsage = new DdbUsage();
  const documentClient = {
    send<Output>(command: AnyDocumentCommand & { __output: Output }) {
      const input = { ...command.input } as DdbInput;
      const measured = new (command.constructor as new (i: object) => AnyDocumentCommand)(input);
      return ddbUsage.measure(`${command.shape.operation}Command`, input, () => ddb.send(measured) as Promise<Output>);
    },
  };
  const base = createHttpTransport();
  let providerRequests = 0;
  const imCalls: Record<string, number> = {};
  const transport = {
    send: (r: Parameters<typeof base.send>[0], l: Parameters<typeof base.send>[1]) => {
      providerRequests++;
      const imCommand = /\/v4\/[a-z_]+\/([a-z_]+)/.exec(r.url)?.[1];
      if (imCommand) imCalls[imCommand] = (imCalls[imCommand] ?? 0) + 1;
      return base.send(r, l);
    },
    close: () => base.close(),
  };
  // Secrets Manager and EventBridge as createService builds them, counted.
  const secretsClient = new SecretsManagerClient(awsClientOptions());
  let secretsCalls = 0;
  secretsClient.middlewareStack.add((next) => async (a) => (secretsCalls++, next(a)), { step: "finalizeRequest", name: "benchCounter" });
  const config = loadConfig(process.env);
  let publisher: ReturnType<typeof createOutcomeEventPublisher> | undefined;
  let outcomeEvents = 0;
  const busName = config.outcomeEventBusName;
  const announcer = busName
    ? eventBridgeAnnouncer({ publish: (events) => ((outcomeEvents += Array.isArray(events) ? events.length : 1), (publisher ??= createOutcomeEventPublisher({ eventBusName: busName })).publish(events)) })
    : undefined;
  const service = createService(config, { documentClient, transport, secretsClient, ...(announcer ? { announcer } : {}) });

  let failed = 0;
  const one = async (i: number) => {
    const tenant = parseTenantOnboarding(benchTenant(args.prefix, i));
    const result = await service.provision(tenant, { deadline: Date.now() + 20_000, workerId: "bench-warm" });
    if (!result.succeeded) failed++;
  };
  for (let i = 0; i < args.warmup; i++) await one(i);
  const ddb0 = ddbRequests;
  const prov0 = providerRequests;
  ddbUsage.reset();
  const im0 = { ...imCalls };
  const secrets0 = secretsCalls;
  const events0 = outcomeEvents;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = args.warmup; i < args.warmup + args.n; i++) await one(i);
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  const perTenant = {
    cpuMs: cpuMs / args.n,
    wallMs: wallMs / args.n,
    ddbRequests: (ddbRequests - ddb0) / args.n,
    providerRequests: (providerRequests - prov0) / args.n,
  };
  const firstTenantUsage = {
    dynamodb: ddbUsage.perTenant(args.n),
    imCallsByCommand: Object.fromEntries(Object.entries(imCalls).map(([c, n]) => [c, (n - (im0[c] ?? 0)) / args.n])),
    secretsManagerCalls: (secretsCalls - secrets0) / args.n,
    outcomeEvents: (outcomeEvents - events0) / args.n,
  };

  // The same tenants delivered again (all already SUCCEEDED): what a duplicate delivery costs.
  const ddbR = ddbRequests;
  const provR = providerRequests;
  const cpuR = process.cpuUsage();
  const tR = performance.now();
  for (let i = args.warmup; i < args.warmup + args.n; i++) await one(i);
  const repeatDelivery = {
    cpuMs: cpuMsSince(cpuR) / args.n,
    wallMs: (performance.now() - tR) / args.n,
    ddbRequests: (ddbRequests - ddbR) / args.n,
    providerRequests: (providerRequests - provR) / args.n,
  };

  // Breakdown, same process, warm: the CPU of each kind of operation a tenant makes.
  const sample = benchTenant(args.prefix, 0);
  let c = process.cpuUsage();
  for (let i = 0; i < args.micro * 10; i++) parseTenantOnboarding(sample);
  const validationMs = cpuMsSince(c) / (args.micro * 10);
  const d0 = ddbRequests;
  c = process.cpuUsage();
  for (let i = 0; i < args.micro; i++) await service.store.getTenant(sample.tenantId);
  const ddbRequestMs = cpuMsSince(c) / (ddbRequests - d0);
  // The back-to-back SLS and IM rows: each client warmed first (V8 compiles a hot path on
  // background threads for its first ~1,000-2,000 calls, and that CPU counts), then 4x the
  // samples of the other rows (300 calls of ~0.3 ms moved 0.25 -> 0.39 ms between two runs).
  const backToBack = args.micro * 4;
  const sls = service.slsClientFor((await service.logstores.list())[0]!.name);
  for (let i = 0; i < BACK_TO_BACK_WARMUP; i++) await sls.listConsumerGroups({ deadline: Date.now() + 10_000 });
  c = process.cpuUsage();
  for (let i = 0; i < backToBack; i++) await sls.listConsumerGroups({ deadline: Date.now() + 10_000 });
  const slsRequestMs = cpuMsSince(c) / backToBack;
  // IM as the service paces it (IM_RATE_LIMIT_PER_SECOND): every call waits ~5 ms for its token,
  // and a call after an idle gap costs more CPU (the wake-up, cold caches). The client's own cost,
  // measured like the SLS request above (back to back), uses the same client code unpaced.
  c = process.cpuUsage();
  for (let i = 0; i < args.micro; i++) await service.im.getGroupInfo(`tenant-${sample.tenantId}`, { deadline: Date.now() + 10_000 });
  const imRequestPacedMs = cpuMsSince(c) / args.micro;
  const { createTencentImClient } = await import("../src/providers/tencent-im/index.ts");
  const unpaced = createTencentImClient({
    domain: service.config.im.domain,
    connectTo: service.config.im.connectTo,
    credentials: service.credentials.im,
    transport,
    rateLimits: { get_group_info: 1_000_000 },
  });
  for (let i = 0; i < BACK_TO_BACK_WARMUP; i++) await unpaced.getGroupInfo(`tenant-${sample.tenantId}`, { deadline: Date.now() + 10_000 });
  c = process.cpuUsage();
  for (let i = 0; i < backToBack; i++) await unpaced.getGroupInfo(`tenant-${sample.tenantId}`, { deadline: Date.now() + 10_000 });
  const imRequestMs = cpuMsSince(c) / backToBack;
  service.close();
  publisher?.close();
  return {
    tenants: args.n,
    warmup: args.warmup,
    failed,
    perTenant,
    firstTenantUsage,
    repeatDelivery,
    breakdown: { validationMs, ddbRequestMs, slsRequestMs, imRequestMs, imRequestPacedMs, microSamples: args.micro },
  };
}

type DdbInput = {
  Key?: { pk?: unknown };
  Item?: Record<string, unknown> & { pk?: unknown };
  ExpressionAttributeNames?: Record<string, string>;
  UpdateExpression?: string;
  ReturnConsumedCapacity?: string;
};

/** Secondary-index key attributes of the outcome table (README "The outcome table"). */
const INDEX_SORT_KEYS = ["unfinishedSk", "failuresSk"];

/**
 * DynamoDB requests of a run by operation and owner, with their capacity units: the table's as
 * dynalite reports them (ReturnConsumedCapacity TOTAL; a write whose condition failed still costs
 * 1 write unit in DynamoDB and is counted so; a read at least DynamoDB's minimum), and an estimate of the index writes dynalite does
 * not report: 1 write unit per index whose key a write sets or removes (DynamoDB charges 2 when
 * an existing index entry moves; a REMOVE of an attribute that was absent costs nothing there).
 */
class DdbUsage {
  private requests: Record<string, number> = {};
  private readUnits = 0;
  private writeUnits = 0;
  private indexWriteUnits = 0;
  reset() {
    this.requests = {};
    this.readUnits = 0;
    this.writeUnits = 0;
    this.indexWriteUnits = 0;
  }
  async measure<T>(command: string, input: DdbInput, send: () => Promise<T>): Promise<T> {
    // Marshalled ({ S }) or not, depending on where the document client's marshalling runs.
    const raw: unknown = input.Key?.pk ?? input.Item?.pk;
    const pk = typeof raw === "string" ? raw : ((raw as { S?: string } | undefined)?.S ?? "");
    const owner = pk.startsWith("LIMIT#") ? "imLimiter" : "outcomeStore";
    const key = `${owner}.${command.replace(/Command$/, "")}`;
    this.requests[key] = (this.requests[key] ?? 0) + 1;
    const isRead = command === "QueryCommand" || command === "GetItemCommand";
    if (!isRead) {
      const touched = input.Item ? Object.keys(input.Item) : Object.values(input.ExpressionAttributeNames ?? {});
      this.indexWriteUnits += INDEX_SORT_KEYS.filter((k) => touched.includes(k)).length;
    }
    input.ReturnConsumedCapacity = "TOTAL";
    try {
      const out = await send();
      const units = (out as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 1;
      // DynamoDB bills a read that finds nothing at least 1 unit (strongly consistent; 0.5
      // eventually consistent); dynalite reports 0 for it.
      if (isRead) this.readUnits += Math.max(units, (input as { ConsistentRead?: boolean }).ConsistentRead ? 1 : 0.5);
      else this.writeUnits += units;
      return out;
    } catch (error) {
      if (!isRead) this.writeUnits += 1;
      throw error;
    }
  }
  perTenant(n: number) {
    const per = (x: number) => x / n;
    const byOperation = Object.fromEntries(Object.entries(this.requests).sort().map(([k, v]) => [k, per(v)]));
    const sum = (pred: (k: string) => boolean) => per(Object.entries(this.requests).filter(([k]) => pred(k)).reduce((a, [, v]) => a + v, 0));
    return {
      requests: sum(() => true),
      outcomeStoreRequests: sum((k) => k.startsWith("outcomeStore.")),
      imLimiterRequests: sum((k) => k.startsWith("imLimiter.")),
      readRequests: sum((k) => k.endsWith(".Query") || k.endsWith(".GetItem")),
      writeRequests: sum((k) => !(k.endsWith(".Query") || k.endsWith(".GetItem"))),
      byOperation,
      readRequestUnits: per(this.readUnits),
      writeRequestUnits: per(this.writeUnits),
      indexWriteRequestUnitsEstimated: per(this.indexWriteUnits),
    };
  }
}

const httpClients = new Map<HttpClientName, SendOne>();

/** One client, made once per process. */
async function httpClient(name: HttpClientName, url: string): Promise<SendOne> {
  const made = httpClients.get(name);
  if (made) return made;
  const send = await makeHttpClient(name, url);
  httpClients.set(name, send);
  return send;
}

/**
 * One block of `requests` sequential requests by one client: CPU and wall time, and the kernel's
 * part of that CPU (the socket writes and reads, which on loopback also carry the server's receive
 * and its wake-up: no client can save it).
 */
async function httpBlock(args: { client: HttpClientName; url: string; requests: number }) {
  const send = await httpClient(args.client, args.url);
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < args.requests; i++) await send();
  const wallMs = performance.now() - t;
  const d = process.cpuUsage(c);
  return { cpuMs: (d.user + d.system) / 1000, systemMs: d.system / 1000, wallMs };
}

/**
 * The IM side alone (no outcome store): ensureGroup (account_import + create_group, as the
 * service's provisioner calls them) for `count` tenants with `concurrency` lanes, through the
 * service's own IM client, paced by IM_RATE_LIMIT_PER_SECOND (set by the parent at fork) on every
 * IM command. Shows what the pacing gives against the sandbox's 200/s windows.
 */
async function pacing(args: { prefix: string; count: number; concurrency: number }) {
  const { loadConfig } = await import("../src/config/config.ts");
  const { createService } = await import("../src/service.ts");
  const { planTenant } = await import("../src/provisioning/plan.ts");
  const config = loadConfig(process.env);
  const service = createService(config);
  const im = service.im;
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const lane = async () => {
    while (next < args.count) {
      const plan = planTenant(benchTenant(args.prefix, next++), config).imGroup;
      try {
        await im.ensureGroup(
          { type: plan.type, name: plan.name, groupId: plan.groupId, ownerAccount: plan.owner.userId, ownerProfile: { nick: plan.owner.nick }, marker: plan.marker },
          { deadline: Date.now() + 30_000 },
        );
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, lane));
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  service.close();
  return { tenants: args.count, failed, wallMs, cpuMs, tenantsPerSecond: args.count / (wallMs / 1000), ratePerSecond: config.im.rateLimitPerSecond };
}

serve({ warm, httpBlock, pacing });
