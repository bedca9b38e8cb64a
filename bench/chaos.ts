/**
 * `npm run chaos`: 1,000 tenants, each delivered three times at once (one EventBridge signup event
 * through SQS, two signed webhooks), 12% then updated and 12% offboarded, against sandboxes
 * injecting transient errors, ambiguous successes, hangs and resets; then DLQ replay and backfill
 * rounds until nothing is unfinished.
 * Prints the results and the invariant verdicts, writes bench/results/chaos-latest.json, and
 * exits 1 if any invariant is violated.
 *
 *   npm run chaos -- [--tenants 1000] [--seed N] [--attempt-timeout-ms 400] [--concurrency 12]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatChaosReport } from "./chaos/report.ts";
import { runChaos } from "./chaos/runner.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "1000" },
    seed: { type: "string", default: "20261123" },
    "attempt-timeout-ms": { type: "string", default: "400" },
    concurrency: { type: "string", default: "12" },
    pollers: { type: "string", default: "4" },
    out: { type: "string" },
    "show-logs": { type: "boolean", default: false },
  },
});

const tenants = Number(values.tenants);
const writeErr = process.stderr.write.bind(process.stderr);
const result = await runChaos({
  tenants,
  seed: Number(values.seed),
  attemptTimeoutMs: Number(values["attempt-timeout-ms"]),
  tenantConcurrency: Number(values.concurrency),
  sqsPollers: Number(values.pollers),
  imPermanentTenants: Math.max(1, Math.round(tenants / 200)),
  slsPermanentTenants: Math.max(1, Math.round(tenants / 500)),
  outageTenants: Math.max(2, Math.round(tenants / 100)),
  showHandlerLogs: values["show-logs"],
  progress: (line) => writeErr(`[chaos] ${line}\n`),
});

process.stdout.write(formatChaosReport(result));
const out = values.out ?? join(dirname(fileURLToPath(import.meta.url)), "results", "chaos-latest.json");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`\nwrote ${out}\n`);
process.exitCode = result.ok ? 0 : 1;
