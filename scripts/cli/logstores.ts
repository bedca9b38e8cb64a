/**
 * `npm run cli -- logstores add NAME... [--capacity N]` and `logstores list`: the logstore
 * registry (in the outcome table) tenants' consumer groups are placed from. Against the local
 * stack, or with --aws against AWS (see scripts/cli.ts).
 */
import { MAX_CONSUMER_GROUPS_PER_LOGSTORE } from "../../src/providers/sls/constants.ts";
import { slsLogstoreNameSchema } from "../../src/providers/sls/names.ts";
import { logstoresAtSls } from "../../src/logstores/index.ts";
import { MAX_LOGSTORE_CAPACITY } from "../../src/logstores/registry.ts";
import { ValidationError } from "../../src/errors.ts";
import { schemaIssues } from "../../src/validation/issues.ts";
import { positiveInteger, UsageError, type CliCommand, type OptionValues } from "../cli-args.ts";
import { withService } from "./service-run.ts";

const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The `logstores` command for the CLI's command table; `useStack` points process.env at the local
 * stack unless `--aws` is given.
 *
 * @example
 * ```ts
 * const commands = [...builtIn, logstoresCommand(localState)];
 * ```
 */
export function logstoresCommand(useStack: (values: OptionValues) => Promise<unknown>): CliCommand {
  return {
    name: "logstores",
    summary: "register SLS logstores for tenants' consumer groups (add), or show them with their counts (list)",
    usage: "add NAME... [--capacity N] [--aws] | list [--aws]",
    details: [
      "add NAME...    register logstores (each must exist at SLS); the consumer groups SLS lists in each are",
      "               counted, and tenants' groups among them hold their slots. A registered one is left as it is.",
      `--capacity N   consumer groups each may hold (default ${MAX_CONSUMER_GROUPS_PER_LOGSTORE}, SLS's limit)`,
      "list           every registered logstore: assigned/capacity, and whether SLS refused a create there (full)",
    ],
    options: { capacity: { type: "string" } },
    positionals: { min: 1, max: 1_000 },
    async run({ values, positionals }) {
      const [action, ...names] = positionals;
      if (action !== "add" && action !== "list") throw new UsageError("logstores: the first argument must be add or list");
      if (action === "list" && (names.length > 0 || values.capacity !== undefined)) throw new UsageError("logstores list takes no names and no --capacity");
      if (action === "add" && names.length === 0) throw new UsageError("logstores add: name at least one logstore");
      const capacity = values.capacity === undefined ? undefined : positiveInteger(values, "capacity", MAX_CONSUMER_GROUPS_PER_LOGSTORE);
      // Checked before SLS is asked, naming the option (it failed after, as `logstores.0.capacity`).
      if (capacity !== undefined && capacity > MAX_LOGSTORE_CAPACITY) throw new UsageError(`--capacity: at most ${MAX_LOGSTORE_CAPACITY} (a logstore's ledger item must stay far under DynamoDB's 400 KB)`);
      if (action === "add") checkLogstoreNames(names);
      await useStack(values);
      await withService(async (service) => {
        if (action === "add") {
          const found = await logstoresAtSls(names, service.config.sls.consumerGroupPrefix, service.slsClientFor, capacity);
          const { added, existing } = await service.logstores.add(found);
          for (const l of found) {
            if (added.includes(l.name)) print(`added ${l.name}: ${l.existingGroups} consumer group(s) at SLS, ${l.tenants?.length ?? 0} of them tenants'`);
          }
          for (const name of existing) print(`already registered, left as it is: ${name}`);
          return;
        }
        const entries = (await service.logstores.list({ fresh: true })).sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) print([e.name, `${e.assigned}/${e.capacity}`, e.full ? "full" : "-"].join("\t"));
        const room = entries.reduce((n, e) => n + (e.full ? 0 : Math.max(0, e.capacity - e.assigned)), 0);
        print(`${entries.length} logstore(s), room for ${room} more consumer group(s)`);
      });
    },
  };
}

/**
 * Checks the names before anything is built or SLS is asked: each bad one is named by its
 * position (`NAME 2`) and rule, never by its text (no value goes into a message).
 */
function checkLogstoreNames(names: readonly string[]): void {
  const issues = names.flatMap((name, i) => schemaIssues(slsLogstoreNameSchema, name, `NAME ${i + 1}`));
  if (issues.length > 0) throw new UsageError(new ValidationError(issues, "logstores add").message);
}
