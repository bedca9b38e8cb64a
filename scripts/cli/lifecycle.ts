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

/** What the lifecycle commands get from the CLI's entry point. */
export interface CliContext {
  /** Positionals after the command. */
  args: readonly string[];
  options: { step?: string | undefined; limit?: string | undefined; "budget-ms"?: string | undefined };
  /** Points process.env at the local stack (unless --aws). */
  useStack(): void;
  fail(message: string): never;
  print(text: string): void;
}

async function withService<T>(context: CliContext, run: (service: Service) => Promise<T>): Promise<T> {
  context.useStack();
  const service = createService(loadConfig(process.env));
  try {
    return await run(service);
  } catch (error) {
    // The operator's mistakes are named plainly (exit 2), not as a stack trace.
    if (error instanceof ValidationError || error instanceof TenantNotFoundError) context.fail(error.message);
    throw error;
  } finally {
    service.close();
  }
}

const deadlineOf = (context: CliContext) => Date.now() + Number(context.options["budget-ms"] ?? 60_000);
const workerId = (command: string) => `cli-${command}-${randomUUID()}`;

/** `retry TENANT_ID [--step NAME]`: bumps the generation so the failed steps run again, then runs them. */
async function retry(context: CliContext): Promise<void> {
  const tenantId = context.args[0] ?? context.fail("usage: retry TENANT_ID [--step NAME]");
  await withService(context, async (service) => {
    const { declared, result } = await service.retry(tenantId, context.options.step, deadlineOf(context), workerId("retry"));
    context.print(
      JSON.stringify(
        {
          tenantId,
          change: declared.change,
          generation: result.generation,
          steps: result.steps.map((s) => ({ step: s.step, status: s.status, action: s.action, error: s.error?.code })),
        },
        null,
        2,
      ),
    );
  });
}

/** `failures [--limit N]`: one line per finished failure, oldest first per index shard. */
async function failures(context: CliContext): Promise<void> {
  const limit = Number(context.options.limit ?? 100);
  await withService(context, async (service) => {
    const items = await service.store.listFailures({ limit });
    for (const f of items) {
      context.print(
        [f.tenantId, f.step, f.status, f.lastError?.provider ?? "-", f.lastError?.code ?? "-", f.lastError?.requestId ?? "-", f.updatedAt].join("\t"),
      );
    }
    context.print(`${items.length} failure(s)${items.length === limit ? ` (first ${limit}; --limit N for more)` : ""}`);
  });
}

/** `offboard TENANT_ID`: desired ABSENT; the steps remove their resources now (the backfill finishes the rest). */
async function offboard(context: CliContext): Promise<void> {
  const tenantId = context.args[0] ?? context.fail("usage: offboard TENANT_ID");
  await withService(context, async (service) => {
    const result = await service.offboard(tenantId, new Date().toISOString(), "operator-cli", deadlineOf(context), workerId("offboard"));
    context.print(
      JSON.stringify({ tenantId, desired: result.desired, generation: result.generation, steps: result.steps.map((s) => ({ step: s.step, status: s.status })) }, null, 2),
    );
  });
}

/** The lifecycle commands by name, for the CLI's command table. */
export const lifecycleCommands: Record<string, (context: CliContext) => Promise<void>> = { retry, failures, offboard };
