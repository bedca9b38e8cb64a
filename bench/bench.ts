/**
 * `npm run bench`: every number measured in one run on this machine, printed as a markdown table
 * and written with the raw numbers to bench/results/latest.json.
 *
 *  1. Bundles: size (bytes, gzip) of each handler bundle built now with scripts/esbuild-options.ts,
 *     and cold init over fresh Node processes (round-robin across bundles), beside an empty
 *     handler and a reference "naive stack" bundle (bench/fixtures/naive-handler.ts). Also the
 *     handlers built without the env-only credentials plugin, to show that option's effect, and
 *     the transport choice cold: a handler with only our transport vs one with only undici.
 *  2. Warm per-tenant CPU of the core against the local stack (in a child process), and the HTTP
 *     client CPU per request: our transport vs global fetch vs undici's `request`, each client in
 *     its own process (no shared GC debt), blocks alternating, against a trivial server (a child).
 *  3. Backfill throughput and memory as deployed: `osls package` builds the template, and the
 *     backfill function's bundle from its zip runs with the template's NODE_OPTIONS (and, as the
 *     nodejs24.x runtime does, no heap flags of its own when NODE_OPTIONS names one): 10,000
 *     tenants, 20 ms latency per provider call, IM's 200/s limits enforced by the sandbox. A
 *     smaller comparison run without NODE_OPTIONS (the runtime's memory-sized heap) follows.
 *
 *     IM pacing first: the service's own IM client alone at each IM_RATE_LIMIT_PER_SECOND tried
 *     (it paces all four IM commands); then the whole backfill at the default 190/s, or at the
 *     highest tried rate above it that drew no throttling answer.
 *
 * Env knobs (defaults in brackets): BENCH_COLD_RUNS [40], BENCH_WARM_TENANTS [300],
 * BENCH_HTTP_REQUESTS [5000], BENCH_HTTP_WARMUP [3000] (requests per client before the measured
 * blocks, reported apart), BENCH_BACKFILL_TENANTS [10000], BENCH_BACKFILL_COMPARE_TENANTS
 * [2000] (0: no run without NODE_OPTIONS), BENCH_BACKFILL_RATES [180,185,190,195]
 * (IM_RATE_LIMIT_PER_SECOND values; at most 195, src/config/config.ts),
 * BENCH_SECTIONS [bundles,http,warm,backfill,fleet] (or the sections as arguments:
 * `npm run bench -- fleet`; a partial run writes bench/results/latest-<sections>.json),
 * BENCH_FLEET_SECONDS [12], BENCH_FLEET_MODE [both] (`im` or `provision`: that run only).
 *  4. Fleet: 8 service processes sharing IM's 200/s through the table (bench/fleet.ts), twice:
 *     the IM step only (the summary's headline) and full provisioning (`fleetProvision`), which
 *     on a 2-core machine is bound by CPU (its `cpu` figures say how far).
 *  5. Capacity (with the warm section): tenants per hour, AWS requests and cost per 10,000
 *     first-time tenants and the next limits, from the warm figures and serverless.yml
 *     (bench/capacity.ts); README's capacity table is written from it.
 *
 * The report's top-level `summary` holds the headline figures of this run (null: its section did
 * not run; the fleet figures come from `results.fleet`, the IM-step-only run, with the full
 * provisioning run's beside them as `fleetProvision*`).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { HANDLERS, bundleOptions, envOnlyAwsCredentials } from "../scripts/esbuild-options.ts";
import { BACKFILL_DEFAULTS } from "../src/backfill/defaults.ts";
import { lambdaRuntimeHeapFlags, packagedFunction } from "./deployed.ts";
import { capacityFrom, capacityTableLines, deployedSettings, type WarmFigures } from "./capacity.ts";
import { fleetReportLines, runFleetScenario } from "./fleet.ts";
import { backfillTimeline } from "./timeline.ts";
import { LAMBDA_ENV, median, quantile, round, startChild } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const outDir = path.join(here, ".out");
const numEnv = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const COLD_RUNS = numEnv("BENCH_COLD_RUNS", 40);
const WARM_TENANTS = numEnv("BENCH_WARM_TENANTS", 300);
const HTTP_REQUESTS = numEnv("BENCH_HTTP_REQUESTS", 5000);
const HTTP_WARMUP = numEnv("BENCH_HTTP_WARMUP", 3000);
const HTTP_CLIENTS = ["transport", "bare", "fetch", "undici"] as const;
const BACKFILL_TENANTS = numEnv("BENCH_BACKFILL_TENANTS", 10_000);
const BACKFILL_COMPARE_TENANTS = numEnv("BENCH_BACKFILL_COMPARE_TENANTS", 2000);
/** The IM pacing runs (the client alone) stay at 2,000 tenants: they only pick the rate. */
const PACING_TENANTS = Math.min(BACKFILL_TENANTS, 2000);
const BACKFILL_RATES = (process.env.BENCH_BACKFILL_RATES ?? "180,185,190,195").split(",").map(Number);
/** IM_RATE_LIMIT_PER_SECOND's default (src/config/config.ts). */
const DEFAULT_IM_RATE = 190;
/** `npm run bench -- fleet` (or BENCH_SECTIONS=fleet) runs only the named sections. */
const SECTIONS = new Set((process.argv.slice(2).join(",") || process.env.BENCH_SECTIONS || "bundles,http,warm,backfill,fleet").split(","));
const IM_LIMIT = 200;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);


interface Bundle {
  name: string;
  kind: "handler" | "empty" | "reference" | "handler-without-plugin" | "transport-choice";
  file: string;
  bytes: number;
  gzipBytes: number;
  options: string;
}

async function buildBundles(): Promise<Bundle[]> {
  rmSync(outDir, { recursive: true, force: true });
  const bundles: Bundle[] = [];
  const build = async (name: string, kind: Bundle["kind"], entry: string, options: esbuild.BuildOptions, label: string) => {
    const file = path.join(outDir, name, "index.cjs");
    mkdirSync(path.dirname(file), { recursive: true });
    await esbuild.build({ ...options, absWorkingDir: root, entryPoints: [entry], outfile: file });
    const buf = readFileSync(file);
    bundles.push({ name, kind, file, bytes: statSync(file).size, gzipBytes: gzipSync(buf).length, options: label });
  };
  for (const h of HANDLERS) await build(h, "handler", `handlers/${h}.ts`, bundleOptions, "scripts/esbuild-options.ts");
  await build("empty", "empty", "bench/fixtures/empty-handler.ts", bundleOptions, "scripts/esbuild-options.ts");
  await build("reference", "reference", "bench/fixtures/naive-handler.ts", { bundle: true, platform: "node", format: "cjs", minify: true, logLevel: "warning" }, "bundle, platform node, format cjs, minify");
  for (const t of ["node-http", "undici"]) {
    await build(`transport-${t}`, "transport-choice", `bench/fixtures/transport-${t}.ts`, bundleOptions, "scripts/esbuild-options.ts");
  }
  for (const h of HANDLERS) {
    const plugins = (bundleOptions.plugins ?? []).filter((plugin) => plugin !== envOnlyAwsCredentials);
    await build(`${h}-sdk-chain`, "handler-without-plugin", `handlers/${h}.ts`, { ...bundleOptions, plugins }, "esbuild-options.ts without envOnlyAwsCredentials");
  }
  return bundles;
}

function coldInit(bundles: Bundle[]) {
  const coldChild = path.join(here, "cold-child.cjs");
  const samples = new Map(bundles.map((b) => [b.name, { sinceStart: [] as number[], require: [] as number[] }]));
  // Round 0 warms the page cache and is dropped; each round starts one bundle further on.
  for (let round = 0; round <= COLD_RUNS; round++) {
    for (let k = 0; k < bundles.length; k++) {
      const b = bundles[(k + round) % bundles.length] as Bundle;
      const r = spawnSync(process.execPath, [coldChild, b.file], { env: LAMBDA_ENV, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`cold init of ${b.name} failed: ${r.stderr}`);
      if (round === 0) continue;
      const m = JSON.parse(r.stdout) as { sinceStart: number; require: number };
      const s = samples.get(b.name)!;
      s.sinceStart.push(m.sinceStart);
      s.require.push(m.require);
    }
    if (round % 10 === 0) log(`cold init round ${round}/${COLD_RUNS}`);
  }
  return samples;
}

/**
 * CPU per request of each HTTP client, each in its own process (so one client's garbage is never
 * collected on another's time), in alternating blocks (so the shared machine's noise hits all).
 */
async function httpSection() {
  const server = await startChild(path.join(here, "http-server.ts"));
  const names = HTTP_CLIENTS;
  const children = await Promise.all(names.map(() => startChild(path.join(here, "service-child.ts"))));
  try {
    const url = server.ready.url as string;
    const blocks = 10;
    const perBlock = Math.ceil(HTTP_REQUESTS / blocks);
    const totals = names.map(() => ({ cpuMs: 0, systemMs: 0, wallMs: 0, requests: 0 }));
    // Warm-up: V8 compiles the hot paths on background threads during the first ~2,000 requests,
    // and that CPU counts in the process's usage; measured apart so the blocks are the steady cost.
    const warmups: number[] = [];
    for (const [i, child] of children.entries()) {
      const r = await child.call<{ cpuMs: number }>("httpBlock", { client: names[i], url, requests: HTTP_WARMUP });
      warmups.push(r.cpuMs / HTTP_WARMUP);
    }
    for (let b = 0; b < blocks; b++) {
      const order = names.map((_, i) => (i + b) % names.length);
      for (const i of order) {
        const r = await children[i]!.call<{ cpuMs: number; systemMs: number; wallMs: number }>("httpBlock", { client: names[i], url, requests: perBlock });
        totals[i]!.cpuMs += r.cpuMs;
        totals[i]!.systemMs += r.systemMs;
        totals[i]!.wallMs += r.wallMs;
        totals[i]!.requests += perBlock;
      }
    }
    const result = Object.fromEntries(
      names.map((name, i) => {
        const t = totals[i]!;
        return [name, { requests: t.requests, cpuMsPerRequest: t.cpuMs / t.requests, systemMsPerRequest: t.systemMs / t.requests, wallMsPerRequest: t.wallMs / t.requests, warmupRequests: HTTP_WARMUP, warmupCpuMsPerRequest: warmups[i] as number }];
      }),
    ) as Record<(typeof names)[number], { requests: number; cpuMsPerRequest: number; systemMsPerRequest: number; wallMsPerRequest: number; warmupRequests: number; warmupCpuMsPerRequest: number }>;
    return { ...result, fetchToTransportCpuRatio: result.fetch.cpuMsPerRequest / result.transport.cpuMsPerRequest, undiciToTransportCpuRatio: result.undici.cpuMsPerRequest / result.transport.cpuMsPerRequest };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await server.stop();
  }
}

interface StackState {
  im: { calls: Record<string, number>; throttled: number; groups: number; createGroupApplied: number; rejections: Record<string, number> };
  sls: { calls: Record<string, number>; throttled: number; createsApplied: number; quotaResets: number };
  ddb: { calls: Record<string, number> };
  cpu: NodeJS.CpuUsage;
  elu: { idle: number; active: number };
  /** dynalite's own event loop, when it runs in a process of its own. */
  dynamodbElu?: { idle: number; active: number };
  rss: number;
}

/** Share of time an event loop was busy between two readings. */
const busyShare = (a: { idle: number; active: number } | undefined, b: { idle: number; active: number } | undefined): number | null =>
  a === undefined || b === undefined ? null : (b.active - a.active) / (b.active - a.active + b.idle - a.idle);

async function warmSection() {
  const stack = await startChild(path.join(here, "stack-server.ts"), { args: [JSON.stringify({ keepSlsUnderQuota: true })] });
  const env = stack.ready.env as Record<string, string>;
  const child = await startChild(path.join(here, "service-child.ts"), { env: { PATH: LAMBDA_ENV.PATH, ...env } });
  try {
    return await child.call<Record<string, unknown>>("warm", { prefix: `warm${Date.now().toString(36)}`, warmup: 50, n: WARM_TENANTS, micro: 300 });
  } finally {
    await child.stop();
    await stack.stop();
  }
}

/** Whole-machine CPU counters (/proc/stat, all cores), to see how busy the shared machine was. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return { busy: 0, total: 0 };
  }
}
/** Cores' worth of CPU the whole machine used since `since` (all processes, ours included). */
function busyCoresSince(since: { busy: number; total: number }): number {
  const now = machineCpu();
  return now.total > since.total ? ((now.busy - since.busy) / (now.total - since.total)) * os.cpus().length : Number.NaN;
}

const IM_LIMITS = ["create_group", "account_import", "get_group_info", "destroy_group"].map((operation) => ({ operation, perSecond: IM_LIMIT }));
// dynalite apart from the sandboxes, as DynamoDB is a service apart from SLS and IM: on one thread
// with them it was the backfill's limit (95% busy at 5.7 ms per tenant, 2026-12-01 07:46).
const BACKFILL_STACK = { keepSlsUnderQuota: true, dynamodbApart: true, slsFaults: { latencyMs: 20 }, imFaults: { latencyMs: 20, rateLimits: IM_LIMITS } };

/**
 * The IM client's pacing alone against the sandbox's 200/s windows (no outcome store): the
 * service's own client, built from the config with IM_RATE_LIMIT_PER_SECOND = rate, which paces
 * every IM command.
 */
async function pacingRun(rate: number) {
  const stack = await startChild(path.join(here, "stack-server.ts"), { args: [JSON.stringify(BACKFILL_STACK)] });
  try {
    const env = stack.ready.env as Record<string, string>;
    const child = await startChild(path.join(here, "service-child.ts"), {
      env: { PATH: LAMBDA_ENV.PATH, ...env, IM_RATE_LIMIT_PER_SECOND: String(rate) },
    });
    let run;
    try {
      run = await child.call<{ tenants: number; failed: number; wallMs: number; cpuMs: number; tenantsPerSecond: number; ratePerSecond: number }>("pacing", {
        prefix: `p${rate}`,
        count: PACING_TENANTS,
        concurrency: 32,
      });
    } finally {
      await child.stop();
    }
    if (run.ratePerSecond !== rate) throw new Error(`the service read IM_RATE_LIMIT_PER_SECOND as ${run.ratePerSecond}, not ${rate}`);
    const state = await stack.call<StackState>("state");
    const result = { ...run, ratePerSecond: rate, fractionOfLimit: run.tenantsPerSecond / IM_LIMIT, imThrottled: state.im.throttled, imCalls: state.im.calls };
    log(`IM pacing @${rate}/s: ${run.tenantsPerSecond.toFixed(1)} tenants/s, throttled ${result.imThrottled}, failed ${run.failed}`);
    return result;
  } finally {
    await stack.stop();
  }
}

type BackfillChildResult = { tenants: number; succeeded: number; retryable: number; permanent: number; invocations: number; wallMs: number; startedAtMs: number; endedAtMs: number; invocationTimes: Array<{ invokedAtMs: number; returnedAtMs: number; tenants: number; complete: boolean }>; requestsInFlightMean: Record<string, { meanInFlight: number; requests: number; firstStartMs: number | null; firstAnswerMs: number | null }>; imLimiter: Record<string, number>; stalls: Record<string, unknown>; cpuMs: number; rssBeforeLoadMB: number; rssAfterLoadMB: number; peakRssMB: number; peakHeapUsedMB: number; peakHeapTotalMB: number; peakExternalMB: number; maxRssMB: number; eventLoopUtilization: number };

interface BackfillProcess {
  /** What the row is. */
  label: string;
  tenants: number;
  /** NODE_OPTIONS of the process (undefined: none). */
  nodeOptions: string | undefined;
  /** Command-line flags (what the Lambda runtime adds). */
  execArgv: string[];
  memorySize: number;
}

/** The whole backfill: the bundled handler in its own process, the stack in another. */
async function backfillRun(imRate: number, bundle: string, proc: BackfillProcess) {
  const stack = await startChild(path.join(here, "stack-server.ts"), { args: [JSON.stringify(BACKFILL_STACK)] });
  try {
    const env = stack.ready.env as Record<string, string>;
    const t = performance.now();
    await stack.call("seed", { prefix: `bf${imRate}`, count: proc.tenants, concurrency: 16 });
    log(`backfill @${imRate}/s ${proc.label}: seeded ${proc.tenants} unfinished tenants in ${Math.round(performance.now() - t)} ms`);
    const before = await stack.call<StackState>("state");
    await stack.call("imCallTimes"); // from here on
    const machine0 = machineCpu();
    const child = await startChild(path.join(here, "backfill-child.cjs"), {
      env: {
        PATH: LAMBDA_ENV.PATH,
        ...env,
        AWS_LAMBDA_FUNCTION_NAME: "backfill",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(proc.memorySize),
        IM_RATE_LIMIT_PER_SECOND: String(imRate),
        ...(proc.nodeOptions === undefined ? {} : { NODE_OPTIONS: proc.nodeOptions }),
      },
      execArgv: proc.execArgv,
    });
    let run: BackfillChildResult;
    try {
      run = await child.call<BackfillChildResult>("backfill", { bundle });
    } finally {
      await child.stop();
    }
    const machineBusyCores = busyCoresSince(machine0);
    const after = await stack.call<StackState>("state");
    const timeline = backfillTimeline({
      callTimes: await stack.call<Record<string, number[]>>("imCallTimes"),
      startedAtMs: run.startedAtMs,
      endedAtMs: run.endedAtMs,
      ratePerSecond: imRate,
      lanes: BACKFILL_DEFAULTS.concurrency,
    });
    const stackCpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    const tenantsPerSecond = run.tenants / (run.wallMs / 1000);
    const ddbCalls = Object.fromEntries(
      Object.entries(after.ddb.calls)
        .map(([op, n]) => [op, n - (before.ddb.calls[op] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    const ddbRequests = Object.values(ddbCalls).reduce((x, y) => x + y, 0);
    const result = {
      imRateLimitPerSecond: imRate,
      label: proc.label,
      memorySize: proc.memorySize,
      nodeOptions: proc.nodeOptions ?? null,
      runtimeFlags: proc.execArgv.join(" ") || null,
      ...run,
      tenantsPerSecond,
      fractionOfLimit: tenantsPerSecond / IM_LIMIT,
      imThrottled: after.im.throttled - before.im.throttled,
      slsThrottled: after.sls.throttled - before.sls.throttled,
      imCalls: after.im.calls,
      imGroups: after.im.groups,
      slsCalls: after.sls.calls,
      slsQuotaResets: after.sls.quotaResets,
      ddbCalls,
      ddbRequestsPerTenant: ddbRequests / run.tenants,
      backfillCpuMsPerTenant: run.cpuMs / run.tenants,
      stackCpuMsPerTenant: stackCpuMs / run.tenants,
      backfillCores: run.cpuMs / run.wallMs,
      stackCores: stackCpuMs / run.wallMs,
      machineBusyCores,
      stackEventLoopUtilization: busyShare(before.elu, after.elu) as number,
      dynamodbEventLoopUtilization: busyShare(before.dynamodbElu, after.dynamodbElu),
      stackRssMB: round(after.rss / 2 ** 20, 1),
      timeline,
    };
    log(`backfill @${imRate}/s: ${run.tenants} tenants in ${Math.round(run.wallMs)} ms = ${tenantsPerSecond.toFixed(1)}/s, throttled ${result.imThrottled}, ${result.ddbRequestsPerTenant.toFixed(2)} DynamoDB requests/tenant, peak RSS ${run.peakRssMB} MB`);
    log(`backfill @${imRate}/s timeline: ${timelineLine(timeline)}; IM limiter ${JSON.stringify(run.imLimiter)}; stalls ${JSON.stringify(run.stalls)}; requests in flight (mean): ${Object.entries(run.requestsInFlightMean).map(([host, f]) => `${host} ${f.meanInFlight} (first sent at ${f.firstStartMs} ms, answered at ${f.firstAnswerMs} ms)`).join(", ")}`);
    return result;
  } finally {
    await stack.stop();
  }
}

/** One line of a backfill timeline (bench/timeline.ts): where the wall time beyond the pace went. */
function timelineLine(t: ReturnType<typeof backfillTimeline>): string {
  if (t === null) return "no create_group call";
  return `${t.calls} ${t.command} in ${t.wallMs} ms, ${t.idealMs} ms at ${t.ratePerSecond}/s; beyond it: start ${t.lossMs.start} ms (first IM call at ${t.firstImCallMs} ms), interior ${t.lossMs.interior} ms (gaps over one interval ${t.gapExcessMs} ms; steady ${t.steadyPerSecond}/s), end ${t.lossMs.end} ms; last ${BACKFILL_DEFAULTS.concurrency} calls over ${t.lastLanesMs} ms`;
}

// ---------------------------------------------------------------------------------------------

/** A number, or null when the section that measures it did not run. */
const num = (x: unknown): number | null => (typeof x === "number" && Number.isFinite(x) ? round(x, 4) : null);

/**
 * The headline figures of this run (issue 11's "Done when"), each read from this run's sections;
 * the fleet figures from the fleet scenario's `results.fleet` when it ran.
 */
function summarize(r: Record<string, unknown>) {
  type Row = { kind: string; bytes: number; ratioToReference: number };
  type BackfillRow = { label: string; fractionOfLimit: number; imThrottled: number; maxRssMB: number; peakRssMB: number };
  const rows = ((r.bundles as { rows?: Row[] } | undefined)?.rows ?? []).filter((row) => row.kind === "handler");
  const http = r.http as { transport?: { cpuMsPerRequest: number } } | undefined;
  const warm = r.warm as { perTenant?: { ddbRequests: number }; breakdown?: { imRequestMs: number } } | undefined;
  const deployed = ((r.backfill as { runs?: BackfillRow[] } | undefined)?.runs ?? []).find((run) => run.label === "as deployed");
  type FleetFigures = { processes?: unknown; mode?: unknown; shareOfLimit?: unknown; throttled?: unknown; dynamoRequestsPerImCall?: unknown; cpu?: { shareCpuAllows?: unknown } };
  const fleet = r.fleet as FleetFigures | undefined;
  const provisionFleet = r.fleetProvision as FleetFigures | undefined;
  return {
    coldInitRatioFromStartMax: rows.length > 0 ? num(Math.max(...rows.map((row) => row.ratioToReference))) : null,
    bundleKbMax: rows.length > 0 ? num(Math.max(...rows.map((row) => row.bytes)) / 1024) : null,
    transportCpuMsPerRequest: num(http?.transport?.cpuMsPerRequest),
    imRequestCpuMs: num(warm?.breakdown?.imRequestMs),
    backfillShareOfLimit: num(deployed?.fractionOfLimit),
    backfillThrottled: num(deployed?.imThrottled),
    fleetProcesses: num(fleet?.processes),
    fleetShareOfLimit: num(fleet?.shareOfLimit),
    fleetThrottled: num(fleet?.throttled),
    dynamoRequestsPerImCall: num(fleet?.dynamoRequestsPerImCall),
    peakRssMbDeployed: deployed ? num(Math.max(deployed.maxRssMB, deployed.peakRssMB)) : null,
    dynamoRequestsPerFirstTenant: num(warm?.perTenant?.ddbRequests),
    // Which run the fleet figures above come from, and the full-provisioning run beside it.
    fleetMode: typeof fleet?.mode === "string" ? fleet.mode : null,
    fleetProvisionShareOfLimit: num(provisionFleet?.shareOfLimit),
    fleetProvisionThrottled: num(provisionFleet?.throttled),
    fleetProvisionDynamoRequestsPerImCall: num(provisionFleet?.dynamoRequestsPerImCall),
    fleetProvisionShareCpuAllows: num(provisionFleet?.cpu?.shareCpuAllows),
  };
}

const startedAt = new Date();
const loadBefore = os.loadavg();
const results: Record<string, unknown> = {};
const wall0 = performance.now();

let bundleRows: Array<Bundle & { coldSinceStart: { median: number; p90: number }; coldRequire: { median: number; p90: number }; ratioToReference: number; requireRatioToReference: number }> = [];
if (SECTIONS.has("bundles")) {
  log("building bundles");
  const bundles = await buildBundles();
  log(`cold init: ${COLD_RUNS} fresh processes per bundle, ${bundles.length} bundles, round-robin`);
  const samples = coldInit(bundles);
  const stat = (xs: number[]) => ({ median: round(median(xs)), p90: round(quantile(xs, 0.9)) });
  const refMedian = median(samples.get("reference")!.sinceStart);
  const refRequireMedian = median(samples.get("reference")!.require);
  bundleRows = bundles.map((b) => {
    const s = samples.get(b.name)!;
    return {
      ...b,
      file: path.relative(root, b.file),
      coldSinceStart: stat(s.sinceStart),
      coldRequire: stat(s.require),
      ratioToReference: round(median(s.sinceStart) / refMedian, 3),
      requireRatioToReference: round(median(s.require) / refRequireMedian, 3),
    };
  });
  // The env-only credentials plugin's effect: each handler against its build without it.
  const pluginEffect = HANDLERS.map((h) => {
    const withPlugin = bundleRows.find((r) => r.name === h)!;
    const without = bundleRows.find((r) => r.name === `${h}-sdk-chain`)!;
    return {
      handler: h,
      bytesSaved: without.bytes - withPlugin.bytes,
      gzipBytesSaved: without.gzipBytes - withPlugin.gzipBytes,
      initMedianSavedMs: round(without.coldSinceStart.median - withPlugin.coldSinceStart.median),
      requireMedianSavedMs: round(without.coldRequire.median - withPlugin.coldRequire.median),
    };
  });
  results.bundles = {
    coldRuns: COLD_RUNS,
    method:
      "fresh `node bench/cold-child.cjs <bundle>` per sample (Node 24, Lambda-like env with dummy values), run one at a time, round-robin over the bundles with the start rotating each round, a first round discarded. sinceStart = performance.now() after require() returned (ms since the process's timeOrigin: Node bootstrap + loading the bundle, which builds the service); require = the require() call alone.",
    rows: bundleRows,
    envOnlyCredentialsPluginEffect: pluginEffect,
    raw: Object.fromEntries(samples),
  };
}

if (SECTIONS.has("http")) {
  log(`http: ${HTTP_REQUESTS} requests per client`);
  results.http = await httpSection();
}

if (SECTIONS.has("warm")) {
  log(`warm: ${WARM_TENANTS} tenants, sequential`);
  results.warm = await warmSection();
  // Tenants per hour, AWS requests and cost per 10,000 first-time tenants, from this run's figures.
  results.capacity = capacityFrom(results.warm as WarmFigures, await deployedSettings(root, DEFAULT_IM_RATE));
}

if (SECTIONS.has("backfill")) {
  const pacing: Awaited<ReturnType<typeof pacingRun>>[] = [];
  for (const rate of BACKFILL_RATES) pacing.push(await pacingRun(rate));
  const clean = pacing.filter((r) => r.imThrottled === 0 && r.failed === 0);
  const bestClean = [...clean].sort((x, y) => y.tenantsPerSecond - x.tenantsPerSecond)[0];
  // The whole backfill: the default rate, unless a higher tried rate drew no throttling answer.
  const higherClean = clean.filter((r) => r.ratePerSecond > DEFAULT_IM_RATE).sort((x, y) => y.ratePerSecond - x.ratePerSecond)[0];
  const chosenRate = higherClean?.ratePerSecond ?? DEFAULT_IM_RATE;
  const chosenBecause = higherClean
    ? `${chosenRate}/s drew no throttling answer in the pacing run (the highest such rate above the default ${DEFAULT_IM_RATE})`
    : `the default ${DEFAULT_IM_RATE}/s: no tried rate above it ran without throttling`;
  log(`backfill rate: ${chosenBecause}`);
  log("packaging (osls package) to run the backfill as deployed");
  const deployed = await packagedFunction("backfill", outDir);
  const asDeployed = lambdaRuntimeHeapFlags(deployed.memorySize, deployed.nodeOptions);
  const processes: BackfillProcess[] = [
    { label: "as deployed", tenants: BACKFILL_TENANTS, nodeOptions: deployed.nodeOptions, execArgv: asDeployed.flags, memorySize: deployed.memorySize },
  ];
  if (BACKFILL_COMPARE_TENANTS > 0) {
    const runtimeOnly = lambdaRuntimeHeapFlags(deployed.memorySize, undefined);
    processes.push({ label: "without NODE_OPTIONS (runtime heap flags, approximated)", tenants: BACKFILL_COMPARE_TENANTS, nodeOptions: undefined, execArgv: runtimeOnly.flags, memorySize: deployed.memorySize });
  }
  const runs: Awaited<ReturnType<typeof backfillRun>>[] = [];
  for (const proc of processes) runs.push(await backfillRun(chosenRate, deployed.bundle, proc));
  results.backfill = {
    tenants: BACKFILL_TENANTS,
    defaults: BACKFILL_DEFAULTS,
    deployed: { memorySize: deployed.memorySize, nodeOptions: deployed.nodeOptions ?? null, runtimeHeapFlags: asDeployed.flags, runtimeHeapFlagsApproximate: asDeployed.approximate },
    latencyMsPerCall: 20,
    imLimitPerSecond: IM_LIMIT,
    imSandboxRateLimits: IM_LIMITS,
    method:
      `Stack (dynalite, Secrets Manager stand-in, SLS + IM sandboxes with 20 ms latency per call and IM's 200/s sliding-window limits) in one child process; the measured process in another. IM pacing: the service's own IM client alone (ensureGroup = account_import + create_group, 32 lanes) per IM_RATE_LIMIT_PER_SECOND, which paces all four IM commands. Full backfill: the tenants registered unfinished (registerTenant, both steps PENDING), then the backfill bundle from the packaged zip (handlers/backfill.ts defaults: concurrency ${BACKFILL_DEFAULTS.concurrency}, pageSize ${BACKFILL_DEFAULTS.pageSize}), with the packaged template's NODE_OPTIONS and memory size, invoked until its walk is complete, at IM_RATE_LIMIT_PER_SECOND = the default 190 unless a higher tried rate drew no throttling answer. DynamoDB requests are counted by dynalite's HTTP server in the stack process (X-Amz-Target), seeding excluded. The SLS sandbox's groups are dropped whenever 20 exist, so SLS's 30-per-logstore quota never fails a step.`,
    pacing,
    defaultImRatePerSecond: DEFAULT_IM_RATE,
    bestCleanRate: bestClean ? { ratePerSecond: bestClean.ratePerSecond, tenantsPerSecond: bestClean.tenantsPerSecond, fractionOfLimit: bestClean.fractionOfLimit } : null,
    chosenImRatePerSecond: chosenRate,
    chosenBecause,
    runs,
  };
}

if (SECTIONS.has("fleet")) {
  // The headline is the IM step alone: with full provisioning, 8 processes and the stack need
  // more CPU than this 2-core machine has (fleet.cpu), so that run measures the machine, not
  // the limiter. It still runs, reported beside it (fleetProvision). BENCH_FLEET_MODE: one only.
  const env = { PATH: LAMBDA_ENV.PATH as string };
  const only = process.env.BENCH_FLEET_MODE;
  if (only === "provision") results.fleet = await runFleetScenario({ env, log, mode: "provision" });
  else {
    results.fleet = await runFleetScenario({ env, log, mode: "im" });
    if (only !== "im") results.fleetProvision = await runFleetScenario({ env, log, mode: "provision" });
  }
}

const machine = {
  cpuModel: os.cpus()[0]?.model,
  cpuCount: os.cpus().length,
  totalMemMB: Math.round(os.totalmem() / 2 ** 20),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  loadavgBefore: loadBefore.map((n) => round(n)),
  loadavgAfter: os.loadavg().map((n) => round(n)),
};
const report = { date: startedAt.toISOString(), durationS: round((performance.now() - wall0) / 1000, 1), machine, summary: summarize(results), ...results };
mkdirSync(path.join(here, "results"), { recursive: true });
// A run of some sections only does not replace the full run's figures.
const allSections = ["bundles", "http", "warm", "backfill", "fleet"].every((name) => SECTIONS.has(name));
const resultFile = allSections ? "latest.json" : `latest-${[...SECTIONS].join("-")}.json`;
writeFileSync(path.join(here, "results", resultFile), `${JSON.stringify(report, null, 2)}\n`);

// ---------------------------------------------------------------------------------------------
const lines: string[] = [];
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
lines.push(`## npm run bench — ${report.date} — ${machine.cpuCount}× ${machine.cpuModel}, Node ${machine.node}, ${report.durationS} s`, "");
if (bundleRows.length > 0) {
  lines.push(`### Bundles and cold init (${COLD_RUNS} fresh processes each, round-robin; ms)`, "");
  lines.push("| bundle | size | gzip | of 400 KB | from process start: median / p90 | require(): median / p90 | vs reference: from start / require |", "|---|---|---|---|---|---|---|");
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  for (const r of bundleRows) {
    const handler = r.kind === "handler";
    lines.push(
      `| ${r.name} | ${kb(r.bytes)} | ${kb(r.gzipBytes)} | ${handler ? `${mark(r.bytes <= 400 * 1024)} ${(r.bytes / (400 * 1024)).toFixed(2)}` : "–"} | ${r.coldSinceStart.median} / ${r.coldSinceStart.p90} | ${r.coldRequire.median} / ${r.coldRequire.p90} | ${r.ratioToReference.toFixed(2)}x${handler ? ` ${mark(r.ratioToReference <= 0.6)}` : ""} / ${r.requireRatioToReference.toFixed(2)}x${handler ? ` ${mark(r.requireRatioToReference <= 0.6)}` : ""} |`,
    );
  }
  lines.push(
    "",
    "Target: handler init ≤ 0.6x the reference; bundle ≤ 400 KB. \"from process start\" includes Node's own bootstrap (the empty bundle's row), as a Lambda init does. `*-sdk-chain` = the same handler built without the env-only credentials plugin.",
    "",
  );
}
if (results.http) {
  const h = results.http as Record<string, { cpuMsPerRequest: number; systemMsPerRequest?: number; wallMsPerRequest: number; requests: number; warmupRequests: number; warmupCpuMsPerRequest: number }> & { fetchToTransportCpuRatio: number; undiciToTransportCpuRatio: number };
  lines.push("### HTTP client CPU per request (loopback, server in another process)", "", "| client | requests | CPU ms/request | of it in the kernel | wall ms/request | CPU ms/request in the warm-up |", "|---|---|---|---|---|---|");
  const clientNames: Record<string, string> = {
    transport: "createHttpTransport (node:http keep-alive)",
    bare: "bare node:http loop (the floor: agent, one callback, body collected; no limits)",
    fetch: "global fetch",
    undici: "undici request (keep-alive Agent)",
  };
  for (const name of HTTP_CLIENTS) {
    const c = h[name]!;
    lines.push(`| ${clientNames[name]} | ${c.requests} | ${c.cpuMsPerRequest.toFixed(3)} | ${c.systemMsPerRequest?.toFixed(3) ?? "-"} | ${c.wallMsPerRequest.toFixed(3)} | ${c.warmupCpuMsPerRequest.toFixed(3)} (first ${c.warmupRequests}) |`);
  }
  lines.push("", `fetch / transport CPU: ${h.fetchToTransportCpuRatio.toFixed(2)}x; undici / transport: ${h.undiciToTransportCpuRatio.toFixed(2)}x. Each client in its own process, blocks alternating, after a warm-up measured apart (V8 compiles the hot path on background threads during it). Size and cold init of each choice: the transport-* rows of the bundle table. Instructions per request (repeatable under load): \`node bench/http-cost.ts --instructions <client>\`.`, "");
}
if (results.warm) {
  type PerTenant = { cpuMs: number; wallMs: number; ddbRequests: number; providerRequests: number };
  const w = results.warm as { tenants: number; failed: number; perTenant: PerTenant; repeatDelivery: PerTenant; breakdown: { validationMs: number; ddbRequestMs: number; slsRequestMs: number; imRequestMs: number; imRequestPacedMs: number } };
  lines.push(`### Warm per-tenant cost (${w.tenants} tenants, sequential, stack in another process, no added latency)`, "");
  lines.push("| delivery | CPU ms/tenant | wall ms/tenant | DynamoDB requests/tenant | provider requests/tenant | failed |", "|---|---|---|---|---|---|");
  lines.push(`| first | ${w.perTenant.cpuMs.toFixed(2)} | ${w.perTenant.wallMs.toFixed(2)} | ${w.perTenant.ddbRequests.toFixed(1)} | ${w.perTenant.providerRequests.toFixed(1)} | ${w.failed} |`);
  lines.push(`| again (already SUCCEEDED) | ${w.repeatDelivery.cpuMs.toFixed(2)} | ${w.repeatDelivery.wallMs.toFixed(2)} | ${w.repeatDelivery.ddbRequests.toFixed(1)} | ${w.repeatDelivery.providerRequests.toFixed(1)} | – |`, "");
  lines.push("| CPU per operation | ms |", "|---|---|");
  lines.push(`| tenant validation | ${w.breakdown.validationMs.toFixed(3)} |`, `| DynamoDB request (SDK v3, DocumentClient) | ${w.breakdown.ddbRequestMs.toFixed(3)} |`);
  lines.push(`| SLS request (signed, ListConsumerGroup) | ${w.breakdown.slsRequestMs.toFixed(3)} |`, `| IM request (get_group_info), back to back like the SLS row | ${w.breakdown.imRequestMs.toFixed(3)} |`, `| IM request (get_group_info), paced by IM_RATE_LIMIT_PER_SECOND (a wake-up after each token wait) | ${w.breakdown.imRequestPacedMs.toFixed(3)} |`, "");
  const ddbShare = (w.perTenant.ddbRequests * w.breakdown.ddbRequestMs) / w.perTenant.cpuMs;
  lines.push(`DynamoDB requests ≈ ${(ddbShare * 100).toFixed(0)}% of a tenant's CPU (${w.perTenant.ddbRequests.toFixed(1)} × ${w.breakdown.ddbRequestMs.toFixed(2)} ms, each priced as getTenant's Query, the heaviest: an upper bound).`, "");
}
if (results.capacity) {
  const capacity = results.capacity as ReturnType<typeof capacityFrom>;
  lines.push("### Capacity (first-time tenants on the signup path; README's table)", "", ...capacityTableLines(capacity, report.date), "");
  lines.push(`Tenants per hour: ${capacity.tenantsPerHour} (bound by ${capacity.boundBy}). Next: ${capacity.limits.slice(1).map((l) => `${l.tenantsPerHour}/h (${l.limit})`).join("; ")}. SLS: ${capacity.slsProject.tenantsPerProject} tenants per project in all (${capacity.slsProject.consumerGroupsPerLogstore} consumer groups × ${capacity.slsProject.logstoresPerProject} logstores).`, "");
}
if (results.backfill) {
  type Pacing = Awaited<ReturnType<typeof pacingRun>>;
  type Run = Awaited<ReturnType<typeof backfillRun>>;
  const b = results.backfill as { pacing: Pacing[]; runs: Run[]; chosenImRatePerSecond: number; chosenBecause: string };
  lines.push(`### Backfill: ${BACKFILL_TENANTS} tenants, 20 ms per provider call, IM limits ${IM_LIMIT}/s enforced by the sandbox`, "");
  lines.push("IM pacing alone (the service's IM client, ensureGroup = account_import + create_group, 32 lanes, no outcome store), IM_RATE_LIMIT_PER_SECOND = rate on all four IM commands:", "");
  lines.push("| IM_RATE_LIMIT_PER_SECOND | tenants/s | of 200/s | throttling answers (10006) | extra calls: account_import / create_group | failed |", "|---|---|---|---|---|---|");
  for (const p of b.pacing) {
    const extra = (op: string) => (p.imCalls[op] ?? 0) - p.tenants;
    lines.push(`| ${p.ratePerSecond} | ${p.tenantsPerSecond.toFixed(1)} | ${(p.fractionOfLimit * 100).toFixed(1)}% | ${p.imThrottled} | ${extra("account_import")} / ${extra("create_group")} | ${p.failed} |`);
  }
  lines.push("", `Whole backfill (the packaged backfill bundle, defaults: concurrency ${BACKFILL_DEFAULTS.concurrency}, pageSize ${BACKFILL_DEFAULTS.pageSize}) at IM_RATE_LIMIT_PER_SECOND=${b.chosenImRatePerSecond} (${b.chosenBecause}):`, "");
  lines.push("| process | tenants | NODE_OPTIONS / runtime heap flags | tenants/s | of 200/s | throttled | succeeded | DynamoDB requests/tenant | RSS after load / peak (maxRSS) | peak heap used | CPU ms/tenant: backfill / stack | cores used: backfill / stack / whole machine | event loop busy: backfill / stack (sandboxes) / dynalite |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of b.runs) {
    lines.push(
      `| ${r.label} (${r.memorySize} MB) | ${r.tenants} | ${r.nodeOptions ?? "–"} / ${r.runtimeFlags ?? "–"} | ${r.tenantsPerSecond.toFixed(1)} | ${(r.fractionOfLimit * 100).toFixed(1)}% | ${r.imThrottled} | ${r.succeeded}/${r.tenants} | ${r.ddbRequestsPerTenant.toFixed(2)} | ${r.rssAfterLoadMB} / ${r.maxRssMB} MB | ${r.peakHeapUsedMB} MB | ${r.backfillCpuMsPerTenant.toFixed(2)} / ${r.stackCpuMsPerTenant.toFixed(2)} | ${r.backfillCores.toFixed(2)} / ${r.stackCores.toFixed(2)} / ${r.machineBusyCores.toFixed(2)} of ${os.cpus().length} | ${(r.eventLoopUtilization * 100).toFixed(0)}% / ${(r.stackEventLoopUtilization * 100).toFixed(0)}% / ${r.dynamodbEventLoopUtilization === null ? "(in the stack)" : `${(r.dynamodbEventLoopUtilization * 100).toFixed(0)}%`} |`,
    );
  }
  const firstRun = b.runs[0];
  if (firstRun) lines.push("", `DynamoDB requests in the first run, by operation: ${Object.entries(firstRun.ddbCalls).map(([op, n]) => `${op} ${(n / firstRun.tenants).toFixed(2)}`).join(", ")} per tenant.`);
  for (const r of b.runs) {
    lines.push("", `Timeline of "${r.label}" (bench/timeline.ts, IM calls as the sandbox admitted them): ${timelineLine(r.timeline)}. Requests in flight, mean over the run: ${Object.entries(r.requestsInFlightMean).map(([host, f]) => `${host} ${f.meanInFlight} (${f.requests} requests)`).join(", ")}.`);
    if (r.timeline) lines.push("", `create_group calls per second: ${r.timeline.perSecond.join(" ")}`);
  }
  lines.push("", "Targets: ≥ 95% of 200/s with zero throttling answers; peak RSS ≤ 128 MB as deployed.", "");
}
if (results.fleet) lines.push(...fleetReportLines(results.fleet as Awaited<ReturnType<typeof runFleetScenario>>));
if (results.fleetProvision) lines.push(...fleetReportLines(results.fleetProvision as Awaited<ReturnType<typeof runFleetScenario>>));
lines.push("### Summary", "", "```json", JSON.stringify(report.summary, null, 2), "```", "");
process.stdout.write(`${lines.join("\n")}\n`);
