/**
 * The deployed defaults agree by arithmetic: `serverless.yml` as osls resolves it (params,
 * stage, per-function settings) bounds every function that calls IM, those bounds add up to
 * IM_FLEET_MAX_PROCESSES, and then neither the leased budget nor every process at its fallback
 * rate (the table out of reach) can exceed IM's app-wide limit of any command.
 */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { fallbackRate, fleetRate, slotToleranceMs, worstWindowCount } from "../../src/limits/budget.ts";
import { IM_RATE_LIMITS } from "../../src/providers/tencent-im/constants.ts";
import { DEFAULT_LEASE_GRACE_MS } from "../../src/provisioning/provision.ts";
import { MAX_BUDGET_MS } from "../../scripts/cli/service-run.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
}
interface Resolved {
  provider: { environment: Record<string, Json> };
  functions: Record<string, { role?: string; reservedConcurrency?: number; environment?: Record<string, Json>; events?: Obj[] }>;
  resources: { Resources: Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }> };
}

let resolved: Resolved;

beforeAll(async () => {
  // No AWS credentials reach osls: resolving the file must not need any.
  const env: NodeJS.ProcessEnv = { PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}` };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, "node_modules/osls/bin/serverless.js"), "print", "--stage", "ci", "--region", "eu-central-1", "--format", "json"],
    { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
  );
  resolved = JSON.parse(stdout) as Resolved;
}, 120_000);

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const refersTo = (resource: Json, logicalId: string) => JSON.stringify(resource).includes(`"${logicalId}"`);

function statements(functionName: string): Statement[] {
  const role = resolved.functions[functionName]?.role;
  expect(role, `${functionName}: its own role`).toBeDefined();
  return (resolved.resources.Resources[role as string]?.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
}

/** Functions that call IM: their role may read the IM credentials. */
function imCallers(): string[] {
  return Object.keys(resolved.functions).filter((name) =>
    statements(name).some((s) => s.Effect === "Allow" && list(s.Action).includes("secretsmanager:GetSecretValue") && refersTo(s.Resource, "ImCredentialsSecret")),
  );
}

/** The most processes a function may run at once: reserved concurrency, or its SQS source's maximum. */
function maxProcesses(name: string): number {
  const fn = resolved.functions[name] ?? {};
  const caps: number[] = [];
  if (typeof fn.reservedConcurrency === "number") caps.push(fn.reservedConcurrency);
  const events = fn.events ?? [];
  const sqs = events.map((e) => e["sqs"]).filter((e): e is Obj => typeof e === "object" && e !== null && !Array.isArray(e));
  // Only an SQS-only function is bounded by its event source mappings' maximumConcurrency.
  if (sqs.length > 0 && sqs.length === events.length && sqs.every((e) => typeof e["maximumConcurrency"] === "number")) {
    caps.push(sqs.reduce((n, e) => n + (e["maximumConcurrency"] as number), 0));
  }
  return caps.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...caps);
}

/** The environment a function's processes read, Refs replaced by valid placeholders. */
function environmentOf(name: string): Record<string, string> {
  const merged = { ...resolved.provider.environment, ...(resolved.functions[name]?.environment ?? {}) };
  const placeholders: Record<string, string> = {
    SLS_SECRET_ID: "sls",
    IM_SECRET_ID: "im",
    WEBHOOK_SECRET_ID: "webhook",
    OUTCOME_TABLE_NAME: "outcomes",
    SIGNUP_QUEUE_URL: "https://sqs.eu-central-1.amazonaws.com/000000000000/signup",
  };
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, typeof v === "string" || typeof v === "number" ? String(v) : (placeholders[k] ?? "")]));
}

describe("the fleet's IM budget in serverless.yml", () => {
  it("bounds every function that calls IM, and the bounds add up to IM_FLEET_MAX_PROCESSES", () => {
    const callers = imCallers();
    expect(callers.sort()).toEqual(["backfill", "offboard", "signup", "webhook"]);
    for (const name of callers) expect(maxProcesses(name), `${name}: reservedConcurrency or SQS maximumConcurrency`).toBeLessThan(Number.POSITIVE_INFINITY);
    const total = callers.reduce((n, name) => n + maxProcesses(name), 0);
    for (const name of callers) {
      expect(loadConfig(environmentOf(name)).im.fleetMaxProcesses, `${name}: IM_FLEET_MAX_PROCESSES ≥ ${total}`).toBeGreaterThanOrEqual(total);
    }
  });

  it("keeps every process at its fallback rate, and the leased budget, under each command's limit", () => {
    const callers = imCallers();
    const processes = callers.reduce((n, name) => n + maxProcesses(name), 0);
    for (const name of callers) {
      const { im } = loadConfig(environmentOf(name));
      for (const [command, limit] of Object.entries(IM_RATE_LIMITS)) {
        const rate = fleetRate(limit, im.rateLimitPerSecond);
        // The table out of reach: every process that may run paces at the fallback rate.
        expect(processes * fallbackRate(rate, im.fleetMaxProcesses), `${name} ${command}: worst case without the table`).toBeLessThanOrEqual(limit);
        // The table in reach: the fleet's slots, used up to the tolerance late, plus three times
        // as much for the way to the provider and clock skew.
        expect(worstWindowCount(rate, 4 * slotToleranceMs(limit, rate)), `${name} ${command}: leased budget`).toBeLessThanOrEqual(limit);
      }
    }
  });

  it("lets every IM caller lease: UpdateItem on the outcome table", () => {
    for (const name of imCallers()) {
      const allowed = statements(name).some(
        (s) => s.Effect === "Allow" && list(s.Action).includes("dynamodb:UpdateItem") && refersTo(s.Resource, "OutcomeTable") && !JSON.stringify(s.Resource).includes("/index/"),
      );
      expect(allowed, `${name}: dynamodb:UpdateItem on OutcomeTable`).toBe(true);
    }
  });
});

describe("leases against the signup queue's redelivery in serverless.yml", () => {
  it("every lease any run takes lapses before maxReceiveCount receives of a message it turned away", () => {
    const queue = resolved.resources.Resources["SignupQueue"] as unknown as { Properties: { VisibilityTimeout: number; RedrivePolicy: { maxReceiveCount: number } } };
    const visibilityMs = Number(queue.Properties.VisibilityTimeout) * 1000;
    const maxReceiveCount = Number(queue.Properties.RedrivePolicy.maxReceiveCount);
    // A run's leases end at its deadline plus the grace: a function's deadline is within its
    // timeout, an operator's CLI run's within MAX_BUDGET_MS.
    const timeoutsMs = Object.entries(resolved.functions).map(([name, fn]) => {
      const timeout = (fn as { timeout?: number }).timeout;
      expect(timeout, `${name}: timeout`).toBeTypeOf("number");
      return Number(timeout) * 1000;
    });
    const longestLeaseMs = Math.max(...timeoutsMs, MAX_BUDGET_MS) + DEFAULT_LEASE_GRACE_MS;
    // Receives at 0, V, 2V, … meet the lease while k·V < its length: ceil(length / V) of them.
    // At least one receive must come after it, or a duplicate delivery of a tenant that ends
    // fine goes to the DLQ.
    expect(Math.ceil(longestLeaseMs / visibilityMs)).toBeLessThan(maxReceiveCount);
  });
});
