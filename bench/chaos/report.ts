/** The chaos run's results as plain-text tables. */
import type { ChaosResult, SandboxFaultReport } from "./runner.ts";

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const kv = (record: Readonly<Record<string, number | undefined>>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v ?? 0}`)
    .join(", ");

function faultRows(name: string, f: SandboxFaultReport): string[][] {
  return [
    [`${name} calls`, `${f.totalCalls} (${kv(f.calls)})`],
    [`${name} faults injected`, `${f.injected} of ${f.decisions} decided calls = ${pct(f.injectedShare)}`],
    [`${name} faults by kind`, kv(f.byKind)],
    [`${name} throttled (rate limit)`, String(f.throttled)],
    [`${name} creates applied`, String(f.createsApplied)],
  ];
}

/** The whole report: summary, faults, backfill rounds, invariants. */
export function formatChaosReport(r: ChaosResult): string {
  const d = r.deliveries;
  const summary = table([
    ["chaos run", `${r.startedAt}, ${r.environment.node}, ${r.environment.cpus} CPU`],
    ["tenants", `${r.config.tenants} × 3 deliveries at once (1 SQS signup event + 2 signed webhooks), ${r.config.tenantConcurrency} tenants in flight`],
    ["SLS logstores", `${r.config.logstores} (in the logstore registry; tenants take a slot in one with room, at most 30 consumer groups each)`],
    ["fault mix (per call)", `transient ${pct(r.config.mix.transient)}, ambiguous on creates ${pct(r.config.mix.ambiguous)}, hang ${pct(r.config.mix.hang)}, reset ${pct(r.config.mix.reset)}; attempt timeout ${r.config.attemptTimeoutMs} ms`],
    ["permanent errors injected", r.config.permanent.map((p) => `${p.tenantId} ${p.provider} ${p.code}`).join("; ") || "none"],
    ["lifecycle mix", `${r.config.updated} tenants updated, ${r.config.offboarded} offboarded right after their signup deliveries`],
    ["outages injected", r.config.outages.length ? `${r.config.outages.length} tenants (every call to their resource fails until the deliveries end): ${r.config.outages.map((o) => `${o.tenantId} ${o.provider}`).join(", ")}` : "none"],
    ["webhook requests", `${d.webhookRequests}: ${kv(d.webhookStatuses)}${Object.keys(d.webhook409).length ? ` (409: ${kv(d.webhook409)})` : ""}`],
    ["webhook latency", `p50 ${d.webhookLatencyMs.p50} ms, p95 ${d.webhookLatencyMs.p95} ms, p99 ${d.webhookLatencyMs.p99} ms, max ${d.webhookLatencyMs.max} ms`],
    ["SQS", `${d.sqsMessagesSent} signup events sent; ${d.signupInvocations} signup invocations, ${d.signupRecords} records (${d.signupRecordsRetried} left for redelivery), ${d.signupHandlerErrors} crashed`],
    ["DLQ", `${r.dlq.afterDeliveries} message(s) after the deliveries; ${r.dlq.messagesReplayed} replayed after the backfill in ${r.dlq.replayRounds} round(s)`],
    ["unfinished after deliveries", `${r.backfill.unfinishedAfterDeliveries} steps`],
    ["backfill rounds", String(r.backfill.rounds.length)],
    ["final step statuses", kv(r.counts.steps)],
    ["outcome events", kv(r.counts.outcomeEvents)],
    ["step attempts", `${r.counts.stepAttempts.total} in all, at most ${r.counts.stepAttempts.max} for one step`],
    ["resources", `${r.counts.slsGroups} consumer groups, ${r.counts.imGroups} IM groups`],
    ["table items", kv(r.counts.tableItems)],
    ...faultRows("SLS", r.faults.sls),
    ...faultRows("IM", r.faults.im),
    [
      "durations",
      `startup ${sec(r.durationsMs.startup)}, deliveries ${sec(r.durationsMs.deliveries)}, drain ${sec(r.durationsMs.drain)}, DLQ ${sec(r.durationsMs.dlq)}, backfill ${sec(r.durationsMs.backfill)}, verify ${sec(r.durationsMs.verify)}, total ${sec(r.durationsMs.total)}`,
    ],
  ]);
  const rounds = table([
    ["round", "sim. +min", "unfinished before", "tenants", "succeeded", "retryable", "permanent", "unfinished after", "time"],
    ...r.backfill.rounds.map((b) => [
      String(b.round),
      String(b.simulatedAheadMin),
      String(b.unfinishedBefore),
      String(b.tenants),
      String(b.succeeded),
      String(b.retryable),
      String(b.permanent),
      String(b.unfinishedAfter),
      sec(b.durationMs),
    ]),
  ]);
  const invariants = r.invariants
    .map((i) => `${i.ok ? "PASS" : "FAIL"}  ${i.name}: ${i.detail}${i.failures.map((f) => `\n        - ${f}`).join("")}`)
    .join("\n");
  return `${summary}\n\nbackfill (${r.config.backfill})\n${rounds}\n\ninvariants\n${invariants}\n\n${r.ok ? "ALL INVARIANTS HOLD" : "INVARIANTS VIOLATED"}\n`;
}
