import { afterAll, beforeAll } from "vitest";
import { UpdateCommand } from "../../src/aws/dynamodb/index.ts";
import { runBackfill } from "../../src/backfill/backfill.ts";
import { loadConfig } from "../../src/config/config.ts";
import { stepKey } from "../../src/outcomes/keys.ts";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/local/stack.ts";
import type { ProvisionLogger } from "../../src/provisioning/types.ts";
import { createService, type Service, type ServiceOverrides } from "../../src/service.ts";

/** Every log line the service wrote, as JSON text (to search for leaked secrets). */
export class CapturingLogger implements ProvisionLogger {
  readonly lines: string[] = [];
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "info", message, ...fields }));
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "warn", message, ...fields }));
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "error", message, ...fields }));
  }
}

/** A started local stack for one test file, with process.env pointed at it. */
export interface StackFixture {
  stack: LocalStack;
  logger: CapturingLogger;
  /** A new service on the stack (fresh credential caches and clients). */
  service(overrides?: ServiceOverrides, env?: Record<string, string>): Service;
}

/**
 * Starts the local stack before the file's tests and stops it after; sets the AWS SDK endpoint
 * variables in process.env so the real SDK clients reach the stand-ins.
 */
export function useLocalStack(options: LocalStackOptions = {}): StackFixture {
  const fixture = {} as StackFixture & { services: Service[] };
  fixture.services = [];
  fixture.logger = new CapturingLogger();
  const saved = { ...process.env };
  beforeAll(async () => {
    fixture.stack = await startLocalStack(options);
    Object.assign(process.env, fixture.stack.env);
  });
  afterAll(async () => {
    for (const s of fixture.services) s.close();
    await fixture.stack?.close();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
  fixture.service = (overrides = {}, env = {}) => {
    const service = createService(loadConfig({ ...fixture.stack.env, ...env }), { logger: fixture.logger, ...overrides });
    fixture.services.push(service);
    return service;
  };
  return fixture;
}

let counter = 0;
/** A valid tenant-onboarding request with a unique id. */
export function sampleTenant(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    tenantId: `t${Date.now().toString(36)}-${counter}`,
    displayName: `Tenant ${counter}`,
    admin: { userId: `admin-${counter}`, name: "Admin" },
    requestedAt: new Date().toISOString(),
    source: "signup" as const,
    ...overrides,
  };
}

/**
 * Makes a FAILED_RETRYABLE step due now, as if its backoff had passed: a run then tries it again
 * (runs before its `nextAttemptAt` leave it waiting).
 */
export async function makeStepDue(service: Service, tenantId: string, step: string): Promise<void> {
  await service.documentClient.send(
    new UpdateCommand({
      TableName: service.config.outcomeTableName,
      Key: stepKey(tenantId, step),
      UpdateExpression: "SET #next = :past",
      ConditionExpression: "#status = :retryable",
      ExpressionAttributeNames: { "#next": "nextAttemptAt", "#status": "status" },
      ExpressionAttributeValues: { ":past": new Date(Date.now() - 1_000).toISOString(), ":retryable": "FAILED_RETRYABLE" },
    }),
  );
}

/**
 * One backfill run over the unfinished index, wired as the backfill handler wires it (a worker
 * id per tenant, the listed steps re-driven through `reconcileListed`), with no saved position.
 *
 * @example
 * ```ts
 * const report = await backfillOnce(fx.service());
 * ```
 */
export function backfillOnce(service: Service) {
  let run = 0;
  const workerId = () => `backfill-${++run}`;
  return runBackfill(
    { deadline: Date.now() + 60_000, perTenantBudgetMs: 20_000, concurrency: 4, pageSize: 1000 },
    {
      store: service.store,
      positions: { load: async () => undefined, save: async () => undefined },
      reconcile: (state, deadline, walk) => service.reconcile(state, { deadline, workerId: workerId(), ...walk }),
      reconcileListed: (listed, deadline, walk) => service.reconcileListed(listed, { deadline, workerId: workerId(), ...walk }),
    },
  );
}
