/**
 * How a CLI command runs the service, the same for every command that provisions (backfill,
 * retry, offboard): one service for the command, closed after it; the operator's mistakes named
 * as usage errors; and a time budget capped like the Lambda functions' (15 minutes).
 */
import { DynamoDBDocumentClient } from "../../src/aws/dynamodb/document-client.ts";
import { loadConfig } from "../../src/config/config.ts";
import { OutcomeStore } from "../../src/outcomes/store.ts";
import { createService, type Service } from "../../src/service.ts";
import { positiveInteger, stringOption, UsageError, type OptionValues } from "../cli-args.ts";

/** Longest --budget-ms: what a Lambda may run (a claim's lease follows the budget). */
export const MAX_BUDGET_MS = 900_000;

/** The `--budget-ms` option of every command that provisions. */
export const BUDGET_OPTION = { "budget-ms": { type: "string" } } as const;

/** How `--budget-ms` reads in each such command's `--help`. */
export const BUDGET_DETAIL = `--budget-ms N  time the run may take (default 60000, at most ${MAX_BUDGET_MS}); what is left goes to the backfill`;

/**
 * Runs `run` with a service built from the environment, and closes it. A ValidationError (the
 * operator's argument broke a rule: exit 2 with the usage) and a TenantNotFoundError (a
 * well-formed id the table does not hold: exit 1, as for `status`) reach the CLI as they are, so
 * it can name the command and the field in the operator's terms.
 *
 * @example
 * ```ts
 * await withService((service) => service.store.listFailures({ limit: 10 }));
 * ```
 */
export async function withService<T>(run: (service: Service) => Promise<T>): Promise<T> {
  const service = createService(loadConfig(process.env));
  try {
    return await run(service);
  } finally {
    service.close();
  }
}

/**
 * The run's deadline (epoch ms) from `--budget-ms` (default 60000), refused above
 * {@link MAX_BUDGET_MS}. Call it before anything is written: a run past what a claim may lease
 * failed only after the new generation was declared, leaving the change behind an error.
 *
 * @example
 * ```ts
 * const deadline = runDeadline(values);
 * ```
 */
export function runDeadline(values: OptionValues): number {
  const ms = positiveInteger(values, "budget-ms", 60_000);
  if (ms > MAX_BUDGET_MS) throw new UsageError(`--budget-ms: at most ${MAX_BUDGET_MS} (15 minutes, as long as a Lambda runs)`);
  return Date.now() + ms;
}

/** The `--table` option of every command that only reads the outcome table. */
export const TABLE_OPTION = { table: { type: "string" } } as const;

/** How `--table` reads in those commands' `--help`. */
export const TABLE_DETAIL = "--table NAME  the outcome table (default: OUTCOME_TABLE_NAME); with --aws nothing else is needed";

/**
 * Runs `run` with the outcome store alone (`--table` or OUTCOME_TABLE_NAME): reading outcomes
 * needs no provider configuration or secrets, so an operator on a bad day needs only the table.
 *
 * @example
 * ```ts
 * await withOutcomeStore(values, (store) => store.listFailures({ limit: 10 }));
 * ```
 */
export async function withOutcomeStore<T>(values: OptionValues, run: (store: OutcomeStore) => Promise<T>): Promise<T> {
  const tableName = stringOption(values, "table") ?? process.env.OUTCOME_TABLE_NAME;
  if (!tableName) throw new UsageError("--table or OUTCOME_TABLE_NAME is required");
  const client = new DynamoDBDocumentClient();
  try {
    return await run(new OutcomeStore({ tableName, client }));
  } finally {
    client.destroy();
  }
}
