/**
 * Operator commands of the tenant lifecycle (`npm run cli -- <command>`):
 *
 *   retry TENANT_ID [--step NAME]   re-drive FAILED_PERMANENT / CONFLICT steps (a new generation);
 *                                   exit 1 unless every step then reached the desired state
 *   failures [--limit N]            finished failures with code and request id, and outcome events
 *                                   given up (sparse index, no Scan)
 *   offboard TENANT_ID              desired ABSENT: each step removes its resource; exit 1 unless
 *                                   every step is then DELETED
 *
 * Each works against the local stack or, with --aws, against AWS (see scripts/cli.ts).
 */
import { randomUUID } from "node:crypto";
import type { ProvisionResult } from "../../src/provisioning/types.ts";
import { positiveInteger, stringOption, UsageError, type CliCommand, type OptionValues } from "../cli-args.ts";
import { BUDGET_DETAIL, BUDGET_OPTION, runDeadline, TABLE_DETAIL, TABLE_OPTION, withOutcomeStore, withService } from "./service-run.ts";

const print = (value: unknown) => process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
const workerId = (command: string) => `cli-${command}-${randomUUID()}`;

/** Most failures one `failures` call lists (the store's page limit). */
const MAX_FAILURES_LIMIT = 1000;

/**
 * Exit 1 when the run did not bring the tenant to its desired state (a step still failing, or
 * left unfinished to the backfill): a script can tell a re-drive or an offboarding that did not
 * take from one that did. The steps in the way are named on stderr; stdout keeps the result.
 */
function failUnlessDone(command: string, result: ProvisionResult): void {
  if (result.succeeded) return;
  const wanted = result.desired === "ABSENT" ? "DELETED" : "SUCCEEDED";
  const open = result.steps.filter((s) => s.status !== wanted).map((s) => `${s.step} ${s.status}${s.error ? ` (${s.error.code})` : ""}`);
  process.stderr.write(`${command}: tenant ${result.tenantId} is not ${wanted} at generation ${result.generation}: ${open.join(", ")}\n`);
  process.exitCode = 1;
}

/**
 * The lifecycle commands for the CLI's command table; `useStack` points process.env at the local
 * stack unless `--aws` is given.
 *
 * @example
 * ```ts
 * const commands = [...builtIn, ...lifecycleCommands(localState)];
 * ```
 */
export function lifecycleCommands(useStack: (values: OptionValues) => Promise<unknown>): CliCommand[] {
  const budget = BUDGET_OPTION;
  const deadline = runDeadline;

  const retry: CliCommand = {
    name: "retry",
    summary: "re-drive a tenant's FAILED_PERMANENT / CONFLICT steps once their cause is fixed (a new generation), and a given-up outcome event",
    usage: "TENANT_ID [--step NAME] [--budget-ms N] [--aws]",
    details: [
      "--step NAME    re-drive only this step (default: every finished failure)",
      BUDGET_DETAIL,
      "Succeeded steps keep their result without a provider call; a retryable step runs now.",
      "An outcome event given up at the current generation (see `failures`) is published again.",
      "Exit 0 when every step then reached the desired state (SUCCEEDED; DELETED after an offboarding); 1 when one is still failing or left to the backfill (named on stderr).",
    ],
    options: { step: { type: "string" }, ...budget },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      await useStack(values);
      const tenantId = positionals[0] ?? "";
      await withService(async (service) => {
        const { declared, announcementRedriven, result } = await service.retry({ tenantId, step: stringOption(values, "step") }, { deadline: deadline(values), workerId: workerId("retry") });
        print({
          tenantId,
          change: declared.change,
          announcementRedriven,
          generation: result.generation,
          steps: result.steps.map((s) => ({ step: s.step, status: s.status, action: s.action, error: s.error?.code })),
        });
        failUnlessDone("retry", result);
      });
    },
  };

  const failures: CliCommand = {
    name: "failures",
    summary: "list finished failures (tenant, step, status, provider, code, request id) and given-up outcome events from the sparse failures index",
    usage: "[--limit N] [--aws] [--table NAME]",
    details: [`--limit N  at most N failures (default 100, at most ${MAX_FAILURES_LIMIT})`, TABLE_DETAIL],
    options: { limit: { type: "string" }, ...TABLE_OPTION },
    positionals: { min: 0, max: 0 },
    async run({ values }) {
      const limit = positiveInteger(values, "limit", 100);
      // Named as the option the operator typed (the store's own refusal said "limit: integer from 1 to 1000").
      if (limit > MAX_FAILURES_LIMIT) throw new UsageError(`--limit: at most ${MAX_FAILURES_LIMIT}`);
      await useStack(values);
      // Only the table (it needed every provider setting and secret id): see status.
      await withOutcomeStore(values, async (store) => {
        const items = await store.listFailures({ limit });
        for (const f of items) {
          print([f.tenantId, f.step, f.status, f.lastError?.provider ?? "-", f.lastError?.code ?? "-", f.lastError?.requestId ?? "-", f.updatedAt].join("\t"));
        }
        print(`${items.length} failure(s)${items.length === limit ? ` (first ${limit}; --limit N for more)` : ""}`);
        // Outcome events given up: downstream systems were never told (re-drive with `retry`).
        const announcements = await store.listFailedAnnouncements({ limit });
        for (const t of announcements) {
          const f = t.announceFailure;
          print([t.tenantId, "announcement", "GAVE_UP", "eventbridge", f?.code ?? "-", `generation ${f?.generation ?? "-"}, ${f?.attempts ?? 0} attempt(s)`, f?.failedAt ?? t.updatedAt].join("\t"));
        }
        print(`${announcements.length} undelivered announcement(s)${announcements.length === limit ? ` (first ${limit}; --limit N for more)` : ""}`);
      });
    },
  };

  const offboard: CliCommand = {
    name: "offboard",
    summary: "offboard a tenant: each step removes its resource; the records stay (status DELETED)",
    usage: "TENANT_ID [--budget-ms N] [--aws]",
    details: [BUDGET_DETAIL, "Exit 0 when every step is then DELETED; 1 when one is still failing or left to the backfill (named on stderr)."],
    options: { ...budget },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      await useStack(values);
      const tenantId = positionals[0] ?? "";
      await withService(async (service) => {
        const result = await service.offboard({ tenantId, requestedAt: "now", source: "operator-cli" }, { deadline: deadline(values), workerId: workerId("offboard") });
        print({ tenantId, desired: result.desired, generation: result.generation, steps: result.steps.map((s) => ({ step: s.step, status: s.status, ...(s.error ? { error: s.error.code } : {}) })) });
        failUnlessDone("offboard", result);
      });
    },
  };

  return [retry, failures, offboard];
}
