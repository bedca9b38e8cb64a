/**
 * `node bench/cpu-profile.ts [tenants]`: where the backfill's CPU goes, per tenant. The stack
 * (bench/stack-server.ts: dynalite, the SLS and IM sandboxes with 20 ms latency and IM's 200/s)
 * in one process, the backfill handler from source (handlers/backfill.ts, so functions keep their
 * file names) in another, both profiled with V8's sampling profiler over the run only (seeding
 * excluded). Prints CPU ms per tenant of each process (process.cpuUsage) and each profile's self
 * time by owner: our code (src/<module>, handlers), each npm package, Node's own modules, GC.
 * The profiles are left in bench/.out/profile/ (open them in Chrome DevTools).
 * Time shares from a sampling profiler are proportions; on a loaded machine the absolute CPU ms
 * grow, the proportions much less.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const outDir = path.join(here, ".out", "profile");
mkdirSync(outDir, { recursive: true });
const tenants = Number(process.argv[2] ?? 2000);
const IM_LIMITS = ["create_group", "account_import", "get_group_info", "destroy_group"].map((operation) => ({ operation, perSecond: 200 }));
const STACK = { keepSlsUnderQuota: true, slsFaults: { latencyMs: 20 }, imFaults: { latencyMs: 20, rateLimits: IM_LIMITS } };

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Who owns a function: our module, an npm package, Node itself, or the engine. */
function owner(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : "(engine builtins)";
  if (url.startsWith("wasm:")) return "(wasm: Node's module lexers)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 2).join("/")}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split("/");
    return (parts[0] ?? "").startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? "?");
  }
  const rel = url.startsWith("file://") ? path.relative(root, fileURLToPath(url)) : url;
  const parts = rel.split(path.sep);
  return parts[0] === "src" ? `ours: src/${parts[1]}` : `ours: ${parts[0]}`;
}

/**
 * Self time per owner; with `attribute`, time in the engine's builtins and Node's modules goes to
 * the nearest caller that is ours or an npm package (who asked for that JSON.parse or socket write).
 */
function byOwner(file: string, attribute: boolean): Array<[string, number]> {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const nodeOwner = new Map(profile.nodes.map((n) => [n.id, owner(n.callFrame.url, n.callFrame.functionName)]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const attributed = (id: number): string => {
    const own = nodeOwner.get(id) ?? "?";
    if (!attribute || !(own === "(engine builtins)" || own.startsWith("node:"))) return own;
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const o = nodeOwner.get(p) ?? "?";
      if (!(o === "(engine builtins)" || o.startsWith("node:") || o === "(root)")) return o;
    }
    return own;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const key = attributed(id);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function report(title: string, file: string, cpuMsPerTenant: number): void {
  for (const attribute of [false, true]) {
    const rows = byOwner(file, attribute).filter(([k]) => k !== "(idle)");
    const busy = rows.reduce((a, [, us]) => a + us, 0);
    console.log(
      `\n${title}: ${cpuMsPerTenant.toFixed(2)} CPU ms per tenant (process.cpuUsage); profile ${attribute ? "time by owner, builtins and Node's modules counted to their nearest caller that is ours or a package" : "self time by owner"} (idle excluded):`,
    );
    let ours = 0;
    for (const [k, us] of rows) {
      if (k.startsWith("ours")) ours += us;
      if (us / busy >= 0.01) console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${((us / busy) * cpuMsPerTenant).toFixed(3)} ms/tenant  ${k}`);
    }
    console.log(`  ours in all: ${((ours / busy) * 100).toFixed(1)}% = ${((ours / busy) * cpuMsPerTenant).toFixed(3)} ms/tenant`);
  }
}

const [profileFiles] = [process.env.PROFILE_FILES];
if (profileFiles) {
  // Re-read saved profiles: PROFILE_FILES=backfill.cpuprofile,stack.cpuprofile,<backfill ms/tenant>,<stack ms/tenant>
  const [b, st, bms, sms] = profileFiles.split(",");
  report("backfill process", b ?? "", Number(bms));
  report("stack process (dynalite, sandboxes)", st ?? "", Number(sms));
  process.exit(0);
}

const stack = await startChild(path.join(here, "stack-server.ts"), { args: [JSON.stringify(STACK)] });
try {
  const env = stack.ready.env as Record<string, string>;
  await stack.call("seed", { prefix: `prof${Date.now().toString(36)}`, count: tenants, concurrency: 16 });
  const before = await stack.call<{ cpu: NodeJS.CpuUsage; ddb: { calls: Record<string, number> } }>("state");
  await stack.call("profileStart");
  const backfillDir = path.join(outDir, `backfill-${Date.now()}`);
  const child = await startChild(path.join(here, "backfill-child.cjs"), {
    env: { PATH: process.env.PATH ?? "", ...env, AWS_LAMBDA_FUNCTION_NAME: "backfill", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512", IM_RATE_LIMIT_PER_SECOND: "190" },
    execArgv: ["--cpu-prof", "--cpu-prof-dir", backfillDir],
  });
  const run = await child.call<{ tenants: number; succeeded: number; cpuMs: number; wallMs: number }>("backfill", { bundle: path.join(root, "handlers", "backfill.ts") });
  await child.stop();
  const stackFile = path.join(outDir, `stack-${Date.now()}.cpuprofile`);
  await stack.call("profileStop", { file: stackFile });
  const after = await stack.call<{ cpu: NodeJS.CpuUsage; ddb: { calls: Record<string, number> } }>("state");
  const stackCpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
  const ddb = Object.values(after.ddb.calls).reduce((a, b) => a + b, 0) - Object.values(before.ddb.calls).reduce((a, b) => a + b, 0);
  console.log(
    `${run.succeeded}/${run.tenants} tenants in ${(run.wallMs / 1000).toFixed(1)} s = ${((run.tenants * 1000) / run.wallMs).toFixed(1)}/s; CPU ms/tenant: backfill ${(run.cpuMs / run.tenants).toFixed(2)}, stack ${(stackCpuMs / run.tenants).toFixed(2)} (profilers on); ${(ddb / run.tenants).toFixed(2)} DynamoDB requests/tenant`,
  );
  const detail = (after as { ddb: { detail?: Record<string, number> } }).ddb.detail ?? {};
  const before_ = (before as { ddb: { detail?: Record<string, number> } }).ddb.detail ?? {};
  for (const [kind, n] of Object.entries(detail).sort((a, b) => b[1] - a[1])) {
    const count = n - (before_[kind] ?? 0);
    if (count > 0) console.log(`  ${(count / run.tenants).toFixed(3).padStart(7)} per tenant  ${kind}`);
  }
  const backfillFile = path.join(backfillDir, readdirSync(backfillDir)[0] ?? "");
  report("backfill process", backfillFile, run.cpuMs / run.tenants);
  report("stack process (dynalite, sandboxes)", stackFile, stackCpuMs / run.tenants);
} finally {
  await stack.stop();
}
