// The backfill process, as lean as a Lambda process: plain CJS, nothing loaded but the handler
// bundle (require()d, building its service from process.env, which the parent set to the stack's).
// Answers one IPC op, { id, op: "backfill", args: { bundle } }: invokes the handler with a
// scheduled event until its walk is complete, and reports counts, time, CPU and memory peaks.
"use strict";
const { randomUUID } = require("node:crypto");

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
  const t0 = performance.now();
  for (;;) {
    const report = await handler(event, lambdaContext("backfill", 900_000));
    totals.invocations++;
    for (const k of ["tenants", "succeeded", "retryable", "permanent", "invalid"]) totals[k] += Number(report[k]);
    if (report.complete === true || totals.invocations >= 20) break;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const eventLoopUtilization = performance.eventLoopUtilization(elu0).utilization;
  clearInterval(timer);
  sample();
  return {
    ...totals,
    wallMs,
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
