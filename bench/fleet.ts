/**
 * The fleet scenario of `npm run bench`: 8 service processes at once (3 signup, 3 webhook,
 * 2 backfill; bench/fleet-child.ts) provision tenants against one local stack whose IM sandbox
 * enforces IM's 200/s per command for the app (10006 beyond it) and answers after 20 ms, as
 * does the SLS sandbox. The processes share the IM budget only through the outcome table
 * (src/limits). Measured: the IM calls per second the fleet gets (create_group, the one call
 * every tenant makes once) over the steady part of the run, the throttling answers over the
 * whole run, and the limiter's DynamoDB requests per IM call.
 *
 * Env knobs: BENCH_FLEET_SECONDS [12] (run length; the first 2 s are not measured),
 * `npm run bench` runs the scenario twice: IM step only (the summary's headline: the limiter, not
 * this 2-core machine's CPU) and full provisioning (`results.fleetProvision`, with the CPU it took).
 * BENCH_FLEET_ROLES [the mixed 8] (e.g. `backfill` for a lone process), BENCH_FLEET_MODE [both] (`provision` or `im`: that mode only; `im`: each process runs only the tenant's IM step, ensureGroup
 * through the service's IM client, so a busy machine's CPU is not the bottleneck).
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChild, type Child } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const IM_LIMIT = 200;
const IM_LIMITS = ["create_group", "account_import", "get_group_info", "destroy_group"].map((operation) => ({ operation, perSecond: IM_LIMIT }));
const STACK = { keepSlsUnderQuota: true, slsFaults: { latencyMs: 20 }, imFaults: { latencyMs: 20, rateLimits: IM_LIMITS } };
const DEFAULT_ROLES = ["signup", "webhook", "backfill", "signup", "webhook", "backfill", "signup", "webhook"] as const;
type Role = (typeof DEFAULT_ROLES)[number];
/** BENCH_FLEET_ROLES=backfill measures a lone process; the default is the mixed fleet of 8. */
const ROLES: readonly Role[] = process.env.BENCH_FLEET_ROLES
  ? process.env.BENCH_FLEET_ROLES.split(",").map((r) => {
      if (!(DEFAULT_ROLES as readonly string[]).includes(r)) throw new Error(`BENCH_FLEET_ROLES: each one of signup, webhook, backfill, not ${r}`);
      return r as Role;
    })
  : DEFAULT_ROLES;
const WARMUP_MS = 2_000;

interface ImState {
  im: { calls: Record<string, number>; throttled: number };
  ddb: { calls: Record<string, number> };
  cpu: { user: number; system: number };
}
type ChildResult = { role: string; limiterEvents: string[]; tenants: number; succeeded: number; retryable: number; failed: number; errors: number; ddbRequests: number; limiterRequests: number; wallMs: number; cpuMs: number };

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const totalCalls = (s: ImState) => sum(Object.values(s.im.calls));

/**
 * Runs the fleet scenario; `results.fleet = { processes, shareOfLimit, throttled, dynamoRequestsPerImCall, ... }`.
 *
 * @example
 * ```ts
 * results.fleet = await runFleetScenario({ env: { PATH: process.env.PATH ?? "" }, log: console.error });
 * ```
 */
export async function runFleetScenario(options: { env: Record<string, string>; log: (line: string) => void; seconds?: number; mode?: "provision" | "im" }) {
  const seconds = options.seconds ?? Number(process.env.BENCH_FLEET_SECONDS ?? 12);
  const mode = options.mode ?? (process.env.BENCH_FLEET_MODE === "im" ? "im" : "provision");
  const stack = await startChild(path.join(here, "stack-server.ts"), { args: [JSON.stringify(STACK)] });
  const children: Child[] = [];
  try {
    const env = { ...options.env, ...(stack.ready.env as Record<string, string>) };
    for (const role of ROLES) children.push(await startChild(path.join(here, "fleet-child.ts"), { env: { ...env, AWS_LAMBDA_FUNCTION_NAME: role } }));
    await Promise.all(children.map((child) => child.call("prepare")));
    const startAt = Date.now() + 500;
    const endAt = startAt + seconds * 1000;
    const before = await stack.call<ImState>("state");
    const runs = children.map((child, i) => child.call<ChildResult>("run", { role: ROLES[i], mode, prefix: `fleet${i}-${Date.now().toString(36)}`, startAt, endAt }));
    // The steady part: from the end of the warm-up to the end of the run.
    await new Promise((r) => setTimeout(r, startAt + WARMUP_MS - Date.now()));
    const steadyFrom = await stack.call<ImState>("state");
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
    const steadyTo = await stack.call<ImState>("state");
    const t2 = Date.now();
    const results = await Promise.all(runs);
    const after = await stack.call<ImState>("state");

    const steadyS = (t2 - t1) / 1000;
    // What the machine's cores allow: every process's CPU and the stack's, per tenant, against
    // the cores there are. A share above `shareCpuAllows` cannot be reached on this machine
    // whatever the limiter does.
    const stackCpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    const processesCpuMs = sum(results.map((r) => r.cpuMs));
    const runWallMs = Math.max(...results.map((r) => r.wallMs));
    const tenantsRun = sum(results.map((r) => r.tenants));
    const cpuMsPerTenant = (processesCpuMs + stackCpuMs) / tenantsRun;
    const stackCpuMsPerTenant = stackCpuMs / tenantsRun;
    const cores = os.availableParallelism();
    const cpu = {
      cores,
      loadAverage1m: os.loadavg()[0] ?? Number.NaN,
      processesCpuMs,
      stackCpuMs,
      wallMs: runWallMs,
      coresBusy: (processesCpuMs + stackCpuMs) / runWallMs,
      cpuMsPerTenant,
      stackCpuMsPerTenant,
      // One create_group per tenant: tenants per second the cores allow, as a share of 200/s.
      shareCpuAllows: (cores * 1000) / cpuMsPerTenant / IM_LIMIT,
      // The stack (dynalite and the sandboxes) is one Node thread: at most one core for it.
      shareStackThreadAllows: 1000 / stackCpuMsPerTenant / IM_LIMIT,
    };
    const ratePerCommand = Object.fromEntries(
      Object.keys(steadyTo.im.calls).map((op) => [op, ((steadyTo.im.calls[op] ?? 0) - (steadyFrom.im.calls[op] ?? 0)) / steadyS]),
    );
    const imCalls = totalCalls(after) - totalCalls(before);
    const limiterRequests = sum(results.map((r) => r.limiterRequests));
    const shareOfLimit = (ratePerCommand["create_group"] ?? 0) / IM_LIMIT;
    const modeMethod =
      mode === "im"
        ? " Mode im: each process runs only the tenant's IM step (ensureGroup through the service's IM client and the fleet limiter exactly as deployed: account_import, then create_group), so what is measured is the limiter sharing IM's budget, not this machine's CPU; the bench's headline (summary) is this mode because full provisioning by 8 processes plus the stack needs more CPU than 2 cores have (see fleetProvision.cpu and README)."
        : " Mode provision: each process provisions whole tenants (DynamoDB, SLS and IM), so on a small machine the processes' and the stack's CPU bound the share (cpu.shareCpuAllows, cpu.shareStackThreadAllows), not the limiter.";
    const fleet = {
      processes: ROLES.length,
      shareOfLimit,
      mode,
      throttled: after.im.throttled - before.im.throttled,
      dynamoRequestsPerImCall: limiterRequests / imCalls,
      roles: [...ROLES],
      seconds,
      steadySeconds: steadyS,
      imLimitPerSecond: IM_LIMIT,
      imCallsPerSecondSteady: ratePerCommand,
      imCalls,
      limiterRequests,
      tenants: sum(results.map((r) => r.tenants)),
      succeeded: sum(results.map((r) => r.succeeded)),
      notSucceeded: sum(results.map((r) => r.retryable + r.failed + r.errors)),
      ddbRequestsPerTenant: sum(results.map((r) => r.ddbRequests)) / sum(results.map((r) => r.tenants)),
      perProcess: results,
      cpu,
      method:
        "Stack (dynalite, Secrets Manager stand-in, SLS + IM sandboxes, 20 ms per provider call, IM's 200/s per command enforced over a sliding one-second window) in one child process; 8 service processes (createService from the environment, as each Lambda entry point builds it) in their own, provisioning fresh tenants as their entry point would (signup: 5 records at a time; webhook: 4 concurrent requests, 3 s budget; backfill: 32 lanes) for the whole run. shareOfLimit = create_group calls per second at the sandbox over the run minus its first 2 s, / 200. throttled = 10006 answers over the whole run. dynamoRequestsPerImCall = the limiter's UpdateItems (all processes, counted on their document clients) / every IM call the sandbox received. cpu: every process's CPU time plus the stack's over the run; shareCpuAllows = (cores × 1000 ms) / (CPU ms per tenant) / 200, the share the machine's cores could carry at that CPU cost per tenant; shareStackThreadAllows = 1000 ms / (the stack's CPU ms per tenant) / 200 (the stack is one thread)." + modeMethod,
    };
    options.log(
      `fleet (${mode}): ${fleet.processes} processes, create_group ${(ratePerCommand["create_group"] ?? 0).toFixed(1)}/s = ${(shareOfLimit * 100).toFixed(1)}% of ${IM_LIMIT}/s, throttled ${fleet.throttled}, ${fleet.dynamoRequestsPerImCall.toFixed(3)} DynamoDB requests per IM call, ${fleet.succeeded}/${fleet.tenants} tenants succeeded; CPU ${cpu.coresBusy.toFixed(2)} of ${cores} cores busy, ${cpuMsPerTenant.toFixed(2)} ms per tenant (the cores allow ${(cpu.shareCpuAllows * 100).toFixed(0)}% of ${IM_LIMIT}/s), stack ${stackCpuMsPerTenant.toFixed(2)} ms per tenant on its one thread (allows ${(cpu.shareStackThreadAllows * 100).toFixed(0)}%), load ${cpu.loadAverage1m.toFixed(1)}`,
    );
    return fleet;
  } finally {
    for (const child of children) await child.stop();
    await stack.stop();
  }
}

/** The fleet scenario's lines of the bench's markdown report. */
export function fleetReportLines(fleet: Awaited<ReturnType<typeof runFleetScenario>>): string[] {
  const rates = Object.entries(fleet.imCallsPerSecondSteady).map(([op, r]) => `${op} ${r.toFixed(1)}/s`).join(", ");
  return [
    `### Fleet (${fleet.mode === "im" ? "IM step only" : "full provisioning"}): ${fleet.processes} processes (${fleet.roles.join(", ")}), one IM budget through the table, sandbox enforcing ${fleet.imLimitPerSecond}/s`,
    "",
    "| processes | share of 200/s (create_group) | throttled (10006) | DynamoDB requests per IM call (limiter) | tenants succeeded | DynamoDB requests/tenant (all) |",
    "|---|---|---|---|---|---|",
    `| ${fleet.processes} | ${(fleet.shareOfLimit * 100).toFixed(1)}% | ${fleet.throttled} | ${fleet.dynamoRequestsPerImCall.toFixed(3)} | ${fleet.succeeded}/${fleet.tenants} | ${fleet.ddbRequestsPerTenant.toFixed(2)} |`,
    "",
    `Steady IM calls: ${rates}. Targets: ≥ 90% of 200/s, 0 throttled, ≤ 0.1 DynamoDB requests per IM call.`,
    "",
    `CPU: ${fleet.cpu.coresBusy.toFixed(2)} of ${fleet.cpu.cores} cores busy (load ${fleet.cpu.loadAverage1m.toFixed(1)}), ${fleet.cpu.cpuMsPerTenant.toFixed(2)} ms per tenant (processes and stack): the cores allow ${(fleet.cpu.shareCpuAllows * 100).toFixed(0)}% of 200/s; the stack's one thread, at ${fleet.cpu.stackCpuMsPerTenant.toFixed(2)} ms per tenant, ${(fleet.cpu.shareStackThreadAllows * 100).toFixed(0)}%.`,
    "",
  ];
}
