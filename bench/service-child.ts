/**
 * The measured process: holds only the service (the stack runs in bench/stack-server.ts, the
 * HTTP peer in bench/http-server.ts). Its environment (the stack's) is set by the parent at fork,
 * so modules that build the service from process.env at import see it. Ops over IPC:
 *   warm     → per-tenant CPU and DynamoDB/provider requests of sequential provisioning (first
 *              delivery, then the same tenants again), plus a per-operation breakdown
 *   httpBlock → one block of requests by one HTTP client (our transport, global fetch or undici's
 *              request), its CPU and wall time; each client runs in its own process
 *   pacing   → the IM client alone against the sandbox's rate limits
 * (The whole backfill runs in bench/backfill-child.cjs, which loads nothing but the bundle.)
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { benchTenant, cpuMsSince, serve } from "./lib.ts";

async function warm(args: { prefix: string; warmup: number; n: number; micro: number }) {
  const { loadConfig } = await import("../src/config/config.ts");
  const { createService } = await import("../src/service.ts");
  const { createHttpTransport } = await import("../src/http/request.ts");
  const { parseTenantOnboarding } = await import("../src/provisioning/tenant.ts");

  // The same clients createService builds by default, with counters on them.
  const ddb = new DynamoDBClient({});
  let ddbRequests = 0;
  ddb.middlewareStack.add((next) => async (a) => (ddbRequests++, next(a)), { step: "finalizeRequest", name: "benchCounter" });
  const documentClient = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const base = createHttpTransport();
  let providerRequests = 0;
  const transport = { send: (r: Parameters<typeof base.send>[0], l: Parameters<typeof base.send>[1]) => (providerRequests++, base.send(r, l)), close: () => base.close() };
  const service = createService(loadConfig(process.env), { documentClient, transport });

  let failed = 0;
  const one = async (i: number) => {
    const tenant = parseTenantOnboarding(benchTenant(args.prefix, i));
    const result = await service.provision(tenant, { deadline: Date.now() + 20_000, workerId: "bench-warm" });
    if (!result.succeeded) failed++;
  };
  for (let i = 0; i < args.warmup; i++) await one(i);
  const ddb0 = ddbRequests;
  const prov0 = providerRequests;
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
  const sls = service.slsClientFor((await service.logstores.list())[0]!.name);
  c = process.cpuUsage();
  for (let i = 0; i < args.micro; i++) await sls.listConsumerGroups({ deadline: Date.now() + 10_000 });
  const slsRequestMs = cpuMsSince(c) / args.micro;
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
  for (let i = 0; i < 50; i++) await unpaced.getGroupInfo(`tenant-${sample.tenantId}`, { deadline: Date.now() + 10_000 });
  c = process.cpuUsage();
  for (let i = 0; i < args.micro; i++) await unpaced.getGroupInfo(`tenant-${sample.tenantId}`, { deadline: Date.now() + 10_000 });
  const imRequestMs = cpuMsSince(c) / args.micro;
  service.close();
  return {
    tenants: args.n,
    warmup: args.warmup,
    failed,
    perTenant,
    repeatDelivery,
    breakdown: { validationMs, ddbRequestMs, slsRequestMs, imRequestMs, imRequestPacedMs, microSamples: args.micro },
  };
}

type HttpClientName = "transport" | "fetch" | "undici";
const httpClients = new Map<HttpClientName, () => Promise<void>>();

/** One client, made once per process: the same POST and JSON answer for each. */
async function httpClient(name: HttpClientName, url: string): Promise<() => Promise<void>> {
  const made = httpClients.get(name);
  if (made) return made;
  const payload = JSON.stringify({ GroupIdList: ["tenant-bench"] });
  const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
  let send: () => Promise<void>;
  if (name === "transport") {
    const { createHttpTransport } = await import("../src/http/request.ts");
    const transport = createHttpTransport();
    send = async () => {
      const res = await transport.send({ method: "POST", url, headers, body: payload }, { timeoutMs: 5_000 });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      JSON.parse(res.body.toString("utf8"));
    };
  } else if (name === "fetch") {
    send = async () => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: payload, signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      JSON.parse(await res.text());
    };
  } else {
    const { Agent, request } = await import("undici");
    const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 50 });
    send = async () => {
      const res = await request(url, { method: "POST", headers, body: payload, dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      JSON.parse(await res.body.text());
    };
  }
  httpClients.set(name, send);
  return send;
}

/** One block of `requests` sequential requests by one client: CPU and wall time. */
async function httpBlock(args: { client: HttpClientName; url: string; requests: number }) {
  const send = await httpClient(args.client, args.url);
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < args.requests; i++) await send();
  return { cpuMs: cpuMsSince(c), wallMs: performance.now() - t };
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
