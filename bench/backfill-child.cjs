// The backfill process, as lean as a Lambda process: plain CJS, nothing loaded but the handler
// bundle (require()d, building its service from process.env, which the parent set to the stack's).
// Answers one IPC op, { id, op: "backfill", args: { bundle } }: invokes the handler with a
// scheduled event until its walk is complete, and reports counts, time, CPU and memory peaks.
"use strict";
const { randomUUID } = require("node:crypto");
const diagnostics = require("node:diagnostics_channel");

/**
 * Requests in flight, by the service they go to (AWS: by operation; IM: by command), integrated over time (node:http's diagnostics
 * channels: a request counts from its start to its response's end or its error): the mean number
 * of the walk's lanes that were waiting on each service, beside those waiting for a rate-limit
 * slot or the CPU.
 */
function requestsInFlight() {
  const hosts = new Map();
  const open = new Map();
  let t0 = performance.now();
  const touch = (entry, now) => {
    entry.areaMs += entry.inFlight * (now - entry.since);
    entry.since = now;
  };
  const entryOf = (host) => {
    let entry = hosts.get(host);
    if (entry === undefined) {
      entry = { inFlight: 0, since: performance.now(), areaMs: 0, requests: 0, firstStart: undefined, firstEnd: undefined };
      hosts.set(host, entry);
    }
    return entry;
  };
  const end = ({ request }) => {
    const entry = open.get(request);
    if (entry === undefined) return;
    open.delete(request);
    touch(entry, performance.now());
    entry.firstEnd ??= performance.now();
    entry.inFlight--;
  };
  diagnostics.subscribe("http.client.request.start", ({ request }) => {
    // Our transport connects to the stand-ins by address: tell the services apart by what is asked.
    // (our transport passes raw header lists, which node:http writes out at once: read them there)
    const target = request.getHeader("x-amz-target") ?? /^x-amz-target: *([^\r\n]+)/im.exec(request._header ?? "")?.[1];
    const service = typeof target === "string" ? target : request.path.startsWith("/v4/") ? `tencent-im ${request.path.split("?")[0].split("/")[3] ?? ""}` : "sls"; // never the query: it carries the UserSig
    const entry = entryOf(service);
    touch(entry, performance.now());
    entry.inFlight++;
    entry.requests++;
    entry.firstStart ??= performance.now();
    open.set(request, entry);
  });
  diagnostics.subscribe("http.client.response.finish", end);
  diagnostics.subscribe("http.client.request.error", end);
  return {
    /** Clears the integrals (the walk starts). */
    reset() {
      const now = performance.now();
      t0 = now;
      for (const entry of hosts.values()) {
        touch(entry, now);
        entry.areaMs = 0;
        entry.requests = 0;
        entry.firstStart = undefined;
        entry.firstEnd = undefined;
      }
    },
    /**
     * Per service: mean requests in flight over `wallMs`, requests sent, and when its first
     * request started and its first answer came (ms since the reset): the run's start-up order.
     */
    report(wallMs) {
      const now = performance.now();
      const since = (t) => (t === undefined ? null : Math.round((t - t0) * 10) / 10);
      return Object.fromEntries(
        [...hosts].map(([host, entry]) => {
          touch(entry, now);
          return [host, { meanInFlight: Math.round((entry.areaMs / wallMs) * 100) / 100, requests: entry.requests, firstStartMs: since(entry.firstStart), firstAnswerMs: since(entry.firstEnd) }];
        }),
      );
    },
  };
}
const inFlight = requestsInFlight();

/**
 * What kept the event loop from running timers on time (a rate-limit slot used later than its
 * tolerance is lost budget): the loop's delay (sampled every ms), garbage collection pauses by
 * kind, and how often the OS took the CPU away (involuntary context switches).
 */
function stalls() {
  const { monitorEventLoopDelay, PerformanceObserver, constants } = require("node:perf_hooks");
  const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: "minor", [constants.NODE_PERFORMANCE_GC_MAJOR]: "major", [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental", [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb" };
  let gc = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[entry.detail?.kind] ?? String(entry.detail?.kind);
      const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0, over5Ms: 0 });
      g.count++;
      g.totalMs += entry.duration;
      g.maxMs = Math.max(g.maxMs, entry.duration);
      if (entry.duration > 5) g.over5Ms++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let switches0;
  return {
    start() {
      gc = {};
      delay.enable();
      switches0 = process.resourceUsage();
    },
    report() {
      delay.disable();
      const usage = process.resourceUsage();
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      const round = (x) => Math.round(x * 100) / 100;
      return {
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p90: ms(delay.percentile(90)), p99: ms(delay.percentile(99)), max: ms(delay.max), samples: delay.count },
        gc: Object.fromEntries(Object.entries(gc).map(([k, g]) => [k, { count: g.count, totalMs: round(g.totalMs), maxMs: round(g.maxMs), over5Ms: g.over5Ms }])),
        involuntaryContextSwitches: usage.involuntaryContextSwitches - switches0.involuntaryContextSwitches,
        voluntaryContextSwitches: usage.voluntaryContextSwitches - switches0.voluntaryContextSwitches,
      };
    },
  };
}
const stall = stalls();

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

function lambdaContext(functionName, timeoutMs) {
  const endsAt = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `bench/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

async function backfill({ bundle }) {
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  sample();
  const rssBeforeLoadMB = mb(process.memoryUsage().rss);
  const timer = setInterval(sample, 20);
  const { handler } = require(bundle);
  sample();
  const rssAfterLoadMB = mb(process.memoryUsage().rss);
  const totals = { tenants: 0, succeeded: 0, retryable: 0, permanent: 0, invalid: 0, invocations: 0 };
  const event = { "detail-type": "Scheduled Event", source: "aws.events", detail: {} };
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  inFlight.reset();
  stall.start();
  // Epoch ms, comparable with the sandbox's call times (bench/timeline.ts).
  const invocations = [];
  const imLimiter = {};
  const t0 = performance.now();
  const startedAtMs = Date.now();
  for (;;) {
    const invokedAtMs = Date.now();
    const report = await handler(event, lambdaContext("backfill", 900_000));
    invocations.push({ invokedAtMs, returnedAtMs: Date.now(), tenants: Number(report.tenants), complete: report.complete === true });
    totals.invocations++;
    for (const k of ["tenants", "succeeded", "retryable", "permanent", "invalid"]) totals[k] += Number(report[k]);
    // The process's IM limiter over the invocation (handlers/backfill.ts): slots leased, used, lapsed.
    for (const [k, n] of Object.entries(report.imLimiter ?? {})) imLimiter[k] = (imLimiter[k] ?? 0) + Number(n);
    if (report.complete === true || totals.invocations >= 20) break;
  }
  const wallMs = performance.now() - t0;
  const endedAtMs = Date.now();
  const requestsInFlightMean = inFlight.report(wallMs);
  const stallReport = stall.report();
  const cpu = process.cpuUsage(cpu0);
  const eventLoopUtilization = performance.eventLoopUtilization(elu0).utilization;
  clearInterval(timer);
  sample();
  return {
    ...totals,
    wallMs,
    startedAtMs,
    endedAtMs,
    invocationTimes: invocations,
    imLimiter,
    requestsInFlightMean,
    stalls: stallReport,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopUtilization,
    rssBeforeLoadMB,
    rssAfterLoadMB,
    peakRssMB: mb(peak.rss),
    peakHeapUsedMB: mb(peak.heapUsed),
    peakHeapTotalMB: mb(peak.heapTotal),
    peakExternalMB: mb(peak.external),
    maxRssMB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
  };
}

process.on("message", async (m) => {
  try {
    if (m.op !== "backfill") throw new Error(`unknown op ${m.op}`);
    process.send({ id: m.id, result: await backfill(m.args) });
  } catch (error) {
    process.send({ id: m.id, error: `${error.name}: ${error.message}\n${error.stack}` });
  }
});
process.on("disconnect", () => process.exit(0));
// A normal exit on SIGTERM too, so a --cpu-prof profile is written (bench/cpu-profile.ts).
process.on("SIGTERM", () => process.exit(0));
process.send({ type: "ready" });
