/**
 * Operator commands of the tenant lifecycle (`npm run cli -- <command>`):
 *
 *   retry TENANT_ID [--step NAME]   re-drive FAILED_PERMANENT / CONFLICT steps (a new generation)
 *   failures [--limit N]            finished failures with code and request id (sparse index, no Scan)
 *   offboard TENANT_ID              desired ABSENT: each step removes its resource
 *
 * Each works against the local stack or, with --aws, against AWS (see scripts/cli.ts).
 */
import { randomUUID } from "node:crypto";
import { loadConfig } from "../../src/config/config.ts";
import { ValidationError } from "../../src/errors.ts";
import { TenantNotFoundError } from "../../src/provisioning/errors.ts";
import { createService, type Service } from "../../src/service.ts";
import { positiveInteger, stringOption, UsageError, type CliCommand, type OptionValues } from "../cli-args.ts";

/** Runs `run` with a service built from process.env; the operator's mistakes become a UsageError (exit 2). */
export async function withService<T>(run: (service: Service) => Promise<T>): Promise<T> {
  const service = createService(loadConfig(process.env));
  try {
    return await run(service);
  } catch (error) {
    // The operator's mistakes are named plainly (exit 2 with the usage), not as a failure.
    if (error instanceof ValidationError || error instanceof TenantNotFoundError) throw new UsageError(error.message);
    throw error;
  } finally {
    service.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
const workerId = (command: string) => `cli-${command}-${randomUUID()}`;

/** Longest --budget-ms: what a Lambda may run (a claim's lease follows the budget). */
const MAX_BUDGET_MS = 900_000;

/**
 * The lifecycle commands for the CLI's command table; `useStack` points process.env at the local
 * stack unless `--aws` is given.
 *
 * @example
 * ```ts
 * const commands = [...builtIn, ...lifecycleCommands((values) => void localState(values))];
 * ```
 */
export function lifecycleCommands(useStack: (values: OptionValues) => void): CliCommand[] {
  const budget = { "budget-ms": { type: "string" } } as const;
  const deadline = (values: OptionValues) => {
    const ms = positiveInteger(values, "budget-ms", 60_000);
    // Checked before anything is written: a run past what a claim may lease failed only after
    // the new generation was declared, leaving the change to the backfill behind an error.
    if (ms > MAX_BUDGET_MS) throw new UsageError(`--budget-ms: at most ${MAX_BUDGET_MS} (15 minutes, as long as a Lambda runs)`);
    return Date.now() + ms;
  };

  const retry: CliCommand = {
    name: "retry",
    summary: "re-drive a tenant's FAILED_PERMANENT / CONFLICT steps once their cause is fixed (a new generation)",
    usage: "TENANT_ID [--step NAME] [--budget-ms N] [--aws]",
    details: [
      "--step NAME    re-drive only this step (default: every finished failure)",
      "--budget-ms N  time the run may take (default 60000, at most 900000); what is left goes to the backfill",
      "Succeeded steps keep their result without a provider call; a retryable step runs now.",
    ],
    options: { step: { type: "string" }, ...budget },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      useStack(values);
      const tenantId = positionals[0] ?? "";
      await withService(async (service) => {
        const { declared, result } = await service.retry({ tenantId, step: stringOption(values, "step") }, { deadline: deadline(values), workerId: workerId("retry") });
        print({
          tenantId,
          change: declared.change,
          generation: result.generation,
          steps: result.steps.map((s) => ({ step: s.step, status: s.status, action: s.action, error: s.error?.code })),
        });
      });
    },
  };

  const failures: CliCommand = {
    name: "failures",
    summary: "list finished failures (tenant, step, status, provider, code, request id) from the sparse failures index",
    usage: "[--limit N] [--aws]",
    details: ["--limit N  at most N failures (default 100, at most 1000)"],
    options: { limit: { type: "string" } },
    positionals: { min: 0, max: 0 },
    async run({ values }) {
      const limit = positiveInteger(values, "limit", 100);
      useStack(values);
      await withService(async (service) => {
        const items = await service.store.listFailures({ limit });
        for (const f of items) {
          print([f.tenantId, f.step, f.status, f.lastError?.provider ?? "-", f.lastError?.code ?? "-", f.lastError?.requestId ?? "-", f.updatedAt].join("\t"));
        }
        print(`${items.length} failure(s)${items.length === limit ? ` (first ${limit}; --limit N for more)` : ""}`);
      });
    },
  };

  const offboard: CliCommand = {
    name: "offboard",
    summary: "offboard a tenant: each step removes its resource; the records stay (status DELETED)",
    usage: "TENANT_ID [--budget-ms N] [--aws]",
    details: ["--budget-ms N  time the run may take (default 60000, at most 900000); what is left goes to the backfill"],
    options: { ...budget },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      useStack(values);
      const tenantId = positionals[0] ?? "";
      await withService(async (service) => {
        const result = await service.offboard({ tenantId, requestedAt: "now", source: "operator-cli" }, { deadline: deadline(values), workerId: workerId("offboard") });
        print({ tenantId, desired: result.desired, generation: result.generation, steps: result.steps.map((s) => ({ step: s.step, status: s.status })) });
      });
    },
  };

  return [retry, failures, offboard];
}
