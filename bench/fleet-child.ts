/**
 * One process of the fleet scenario (bench/fleet.ts): the service built from the environment
 * (the stack's, set by the parent at fork), as a Lambda process of one entry point builds it,
 * provisioning tenants the way that entry point does until the run's end (mode `provision`), or
 * running only their IM step through the service's IM client (mode `im`: no outcome store, no
 * SLS, so the machine's CPU goes to the IM budget being measured):
 *   signup   → 5 records at a time (handlers/signup.ts RECORD_CONCURRENCY), 55 s deadline each
 *   webhook  → 4 concurrent requests, each provisioning inline for at most 3 s (WEBHOOK_REQUEST_BUDGET_MS)
 *   backfill → 32 lanes (the backfill's default concurrency), 60 s deadline each
 * Reports tenants, outcomes, CPU, and the DynamoDB requests it sent: all of them and the IM
 * limiter's leases (the items under LIMIT#), counted on the document client.
 */
import { DynamoDBDocumentClient } from "../src/aws/dynamodb/document-client.ts";
import { benchTenant, cpuMsSince, serve } from "./lib.ts";

const ROLES = {
  signup: { lanes: 5, deadlineMs: 55_000 },
  webhook: { lanes: 4, deadlineMs: 3_000 },
  backfill: { lanes: 32, deadlineMs: 60_000 },
} as const;
export type FleetRole = keyof typeof ROLES;

type Service = import("../src/service.ts").Service;
type Tenant = import("../src/provisioning/tenant.ts").TenantOnboarding;
let prepared:
  | {
      service: Service;
      counts: { ddbRequests: number; limiterRequests: number; limiterConditionFailures: number };
      limiterEvents: string[];
      parse: (input: unknown) => Tenant;
      /** The IM step alone, as the service's provisioner runs it (ensureGroup through the service's IM client). */
      imOnly: (tenant: Tenant, deadline: number) => Promise<unknown>;
    }
  | undefined;

/** Loads the modules and builds the service (a cold start), before the run's clock starts. */
async function prepare() {
  const { loadConfig } = await import("../src/config/config.ts");
  const { createService } = await import("../src/service.ts");
  const { parseTenantOnboarding } = await import("../src/provisioning/tenant.ts");
  const { LIMIT_PK_PREFIX } = await import("../src/limits/keys.ts");
  const { planTenant } = await import("../src/provisioning/plan.ts");
  const inner = new DynamoDBDocumentClient();
  const counts = { ddbRequests: 0, limiterRequests: 0, limiterConditionFailures: 0 };
  const documentClient = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== "send") return Reflect.get(target, prop, receiver);
      return (command: { input?: { Key?: { pk?: unknown } } }, options?: unknown) => {
        counts.ddbRequests++;
        const sent = (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        if (!String(command.input?.Key?.pk ?? "").startsWith(LIMIT_PK_PREFIX)) return sent;
        counts.limiterRequests++;
        // Leases whose condition failed (the lane was not in the state guessed): the protocol's overhead.
        return sent.catch((error: unknown) => {
          if (error instanceof Error && error.name === "ConditionalCheckFailedException") counts.limiterConditionFailures++;
          throw error;
        });
      };
    },
  });
  // Limiter fallbacks (the table out of reach) are logged: keep those lines.
  const limiterEvents: string[] = [];
  const logger = {
    info: (message: string) => void (message.startsWith("rate limiter") && limiterEvents.push(message)),
    warn: (message: string, fields?: Record<string, unknown>) => void (message.startsWith("rate limiter") && limiterEvents.push(`${message} ${JSON.stringify(fields)}`)),
    error: () => undefined,
  };
  const config = loadConfig(process.env);
  const service = createService(config, { documentClient, logger });
  const imOnly = (tenant: Tenant, deadline: number) => {
    const plan = planTenant(tenant, config).imGroup;
    return service.im.ensureGroup(
      { type: plan.type, name: plan.name, groupId: plan.groupId, ownerAccount: plan.owner.userId, ownerProfile: { nick: plan.owner.nick }, marker: plan.marker },
      { deadline },
    );
  };
  // The credentials are read once per process, at its first invocation; read them now.
  await service.credentials.im.get();
  await service.credentials.sls.get();
  prepared = { service, counts, limiterEvents, parse: parseTenantOnboarding, imOnly };
  return { ready: true };
}

async function run(args: { role: FleetRole; mode: "provision" | "im"; prefix: string; startAt: number; endAt: number }) {
  if (prepared === undefined) throw new Error("prepare first");
  const { service, counts, limiterEvents, parse, imOnly } = prepared;
  const role = ROLES[args.role];
  const tally = { tenants: 0, succeeded: 0, retryable: 0, failed: 0, errors: 0 };
  let next = 0;
  const wait = args.startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: role.lanes }, async () => {
      while (Date.now() < args.endAt) {
        const tenant = parse({ ...benchTenant(args.prefix, next++), source: args.role });
        tally.tenants++;
        try {
          if (args.mode === "im") {
            await imOnly(tenant, Date.now() + role.deadlineMs);
            tally.succeeded++;
            continue;
          }
          const result = await service.provision(tenant, { deadline: Date.now() + role.deadlineMs, workerId: `${args.prefix}/${tally.tenants}` });
          if (result.succeeded) tally.succeeded++;
          else if (result.retryable) tally.retryable++;
          else tally.failed++;
        } catch {
          tally.errors++;
        }
      }
    }),
  );
  const wallMs = Date.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  service.close();
  return { role: args.role, ...tally, ...counts, wallMs, cpuMs, limiterEvents };
}

serve({ prepare, run });
