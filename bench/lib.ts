/** Small helpers shared by the benchmark's parent and child processes. */
import { execFileSync, fork, type ChildProcess, type StdioOptions } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

/** A child process spoken to over IPC: `call(op, args)` → the child's `{ id, result | error }`. */
export interface Child {
  process: ChildProcess;
  /** The first message the child sent (its `ready` message). */
  ready: Record<string, unknown>;
  call<T = unknown>(op: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Forks `file` with Node 24 (this process's node) and waits for its `{ type: "ready" }` message. */
export async function startChild(file: string, options: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions; args?: string[]; execArgv?: string[] } = {}): Promise<Child> {
  const child = fork(file, options.args ?? [], {
    env: options.env ?? process.env,
    execPath: process.execPath,
    execArgv: options.execArgv ?? [],
    stdio: options.stdio ?? ["ignore", "ignore", "inherit", "ipc"],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let isReady = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const p of pending.values()) p.reject(new Error(`${file} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    }),
  );
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once("error", reject);
    void exited.then(() => {
      if (!isReady) reject(new Error(`${file} exited before it was ready`));
    });
    child.once("message", (m) => {
      isReady = true;
      resolve(m as Record<string, unknown>);
    });
  });
  child.on("message", (raw) => {
    const m = raw as { id: number; result?: unknown; error?: string };
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${file}: ${m.error}`));
    else p.resolve(m.result);
  });
  return {
    process: child,
    ready,
    call<T>(op: string, args?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, args });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** Child side: answer the parent's `{ id, op, args }` messages with `handlers[op](args)`. */
export function serve(handlers: Record<string, (args: any) => unknown>, ready: Record<string, unknown> = {}): void {
  process.on("message", async (raw) => {
    const m = raw as { id: number; op: string; args: unknown };
    try {
      const handler = handlers[m.op];
      if (!handler) throw new Error(`unknown op ${m.op}`);
      process.send?.({ id: m.id, result: await handler(m.args) });
    } catch (error) {
      process.send?.({ id: m.id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ type: "ready", ...ready });
}

/** The q-quantile (0..1) of numbers, by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Rounds for the JSON and the table. */
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A valid tenant-onboarding request (src/provisioning/tenant.ts) for bench tenant number `i`. */
export function benchTenant(prefix: string, i: number) {
  return {
    tenantId: `${prefix}-${i}`,
    displayName: `Bench tenant ${i}`,
    admin: { userId: `${prefix}-admin-${i}`, name: "Admin" },
    requestedAt: new Date().toISOString(),
    source: "backfill" as const,
  };
}

/** CPU time (user + system) in ms since `since` (a process.cpuUsage() value). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** What a Lambda process sees, with dummy values the config (src/config/config.ts) accepts. */
export const LAMBDA_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIABENCHBENCHBENCH0",
  AWS_SECRET_ACCESS_KEY: "bench-secret-access-key-bench-bench-bench0",
  AWS_SESSION_TOKEN: "bench-session-token",
  AWS_LAMBDA_FUNCTION_NAME: "tenant-provisioner-bench",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  SLS_ENDPOINT: "cn-shanghai.log.aliyuncs.com",
  SLS_PROJECT: "bench-project",
  SLS_LOGSTORE: "bench-logstore",
  IM_DOMAIN: "console.tim.qq.com",
  SLS_SECRET_ID: "bench/sls",
  IM_SECRET_ID: "bench/im",
  WEBHOOK_SECRET_ID: "bench/webhook",
  OUTCOME_TABLE_NAME: "bench-outcomes",
  SIGNUP_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/bench-signup",
};

/**
 * Instructions of a whole run of `script args` in this Node (callgrind's total; only that process,
 * not its children). The output file goes to `outDir` and is removed after reading.
 */
export function callgrindInstructions(script: string, args: readonly string[], outDir: string, label: string): number {
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `callgrind.${label}.${process.pid}`);
  execFileSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, process.execPath, script, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const text = readFileSync(out, "utf8");
  rmSync(out);
  const total = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (!total) throw new Error(`no totals in ${out}`);
  return Number(total[1]);
}
