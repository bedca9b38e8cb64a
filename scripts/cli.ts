/**
 * Operator CLI, against the local stack (`npm start` writes .local/stack.json) or, with --aws,
 * against AWS using the environment (AWS credentials, and the service's variables: see README).
 * `npm run cli -- --help` lists the commands; `npm run cli -- <command> --help` their options.
 *
 * Each command is one entry of `commands`: add a command by adding an entry.
 */
import { exitQuietlyOnBrokenPipe } from "./cli/broken-pipe.ts";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Webhook } from "standardwebhooks";
import { backfillTenants, runBackfill } from "../src/backfill/backfill.ts";
import { BACKFILL_DEFAULTS } from "../src/backfill/defaults.ts";
import { readSecret } from "../src/credentials/read-secret.ts";
import { describeIssues, ValidationError } from "../src/errors.ts";
import { TenantNotFoundError } from "../src/provisioning/errors.ts";
import { storedTenantReader } from "../src/provisioning/stored-text.ts";
import { webhookSecretsSchema } from "../src/credentials/schemas.ts";
import { LOCAL_STATE_FILE, type LocalStackState } from "../src/local/local-service.ts";
import { tenantStatusView } from "../src/outcomes/tenant-status-view.ts";
import { startDlqRedrive, waitForDlqRedrive } from "../src/queue/dlq-redrive.ts";
import { jsonFileOption, parseCommandLine, positiveInteger, stringOption, urlOption, usage, UsageError, type CliCommand, type OptionValues } from "./cli-args.ts";
import { useAwsRegion } from "./cli/aws-region.ts";
import { lifecycleCommands } from "./cli/lifecycle.ts";
import { logstoresCommand } from "./cli/logstores.ts";
import { BUDGET_DETAIL, BUDGET_OPTION, runDeadline, TABLE_DETAIL, TABLE_OPTION, withOutcomeStore, withService } from "./cli/service-run.ts";
import { ResourceNotFoundException } from "../src/aws/dynamodb/document-client.ts";

/**
 * The local stack's state (and its environment, copied into process.env), or nothing with --aws
 * (the AWS region then resolved as the AWS SDK resolves it, and set as AWS_REGION).
 */
async function localState(values: OptionValues): Promise<LocalStackState | undefined> {
  if (values.aws === true) {
    await useAwsRegion();
    return undefined;
  }
  if (!existsSync(LOCAL_STATE_FILE)) {
    throw new UsageError(`no local stack found (${LOCAL_STATE_FILE}): run \`npm start\` first, or pass --aws to use AWS`);
  }
  const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as LocalStackState;
  Object.assign(process.env, state.env);
  return state;
}

function sampleRequest(tenantId: string): Record<string, unknown> {
  return {
    tenantId,
    displayName: `Tenant ${tenantId}`,
    admin: { userId: `${tenantId}-admin`, name: "Admin" },
    members: [{ userId: `${tenantId}-member` }],
    requestedAt: new Date().toISOString(),
  };
}

const sendWebhook: CliCommand = {
  name: "send-webhook",
  summary: "send a signed Standard Webhooks request for a sample (or given) tenant",
  usage: "[--tenant ID] [--file request.json] [--url URL] [--aws]",
  details: [
    "--tenant ID          tenant id of the sample request (default: a new acme-… id)",
    "--file request.json  send this tenant request instead of the sample",
    "--url URL            webhook URL (required with --aws; WEBHOOK_SECRET_ID names the signing secret)",
  ],
  options: { tenant: { type: "string" }, file: { type: "string" }, url: { type: "string" } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    // The operator's file is checked before anything else is touched.
    const data = jsonFileOption(values, "file", "object") ?? sampleRequest(stringOption(values, "tenant") ?? `acme-${Date.now().toString(36)}`);
    const given = urlOption(values, "url");
    const state = await localState(values);
    const url = given ?? state?.webhookUrl;
    if (!url) throw new UsageError("--url is required with --aws");
    const secretId = process.env.WEBHOOK_SECRET_ID;
    if (!secretId) throw new UsageError("WEBHOOK_SECRET_ID is not set");
    const { secrets } = await readSecret(new SecretsManagerClient({}), secretId, webhookSecretsSchema);
    const newest = secrets[0];
    if (!newest) throw new UsageError("the webhook secret holds no signing key");
    const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data });
    const id = `msg_${randomUUID()}`;
    const now = new Date();
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(newest).sign(id, now, body),
      },
      body,
    });
    const text = await res.text();
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: print it as it came.
    }
    process.stdout.write(`POST ${url} -> ${res.status}\n${shown}\n`);
    // A refused or failed delivery is a failed command, so a script running it can tell.
    if (!res.ok) process.exitCode = 1;
  },
};

const status: CliCommand = {
  name: "status",
  summary: "print a tenant's recorded outcome, per step",
  usage: "TENANT_ID [--aws] [--table NAME]",
  details: [TABLE_DETAIL],
  options: { ...TABLE_OPTION },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    await localState(values);
    const tenantId = positionals[0] ?? "";
    // Only the table: reading a status needs no provider configuration or secrets.
    await withOutcomeStore(values, async (store) => {
      const outcome = await store.getTenant(tenantId);
      // Exit 1, named like every command's failure (`error: status: ...`).
      if (!outcome.tenant) throw new TenantNotFoundError(tenantId);
      // As GET /tenants/{id} shows it (one view for both).
      process.stdout.write(`${JSON.stringify(tenantStatusView(outcome.tenant, outcome.steps), null, 2)}\n`);
    });
  },
};

/** What the service logs during a CLI run (a refused entry, with its index, field and rule), on stderr. */
const stderrLogger = {
  info: (message: string, ...fields: Record<string, unknown>[]) => process.stderr.write(`${[message, ...fields.map((f) => JSON.stringify(f))].join(" ")}\n`),
  warn: (message: string, ...fields: Record<string, unknown>[]) => process.stderr.write(`warning: ${[message, ...fields.map((f) => JSON.stringify(f))].join(" ")}\n`),
  error: (message: string, ...fields: Record<string, unknown>[]) => process.stderr.write(`error: ${[message, ...fields.map((f) => JSON.stringify(f))].join(" ")}\n`),
};

const backfill: CliCommand = {
  name: "backfill",
  summary: "re-drive unfinished steps that are due now (--now: all of them; or the tenants in a file)",
  usage: "[--now | --tenants file.json] [--budget-ms N] [--aws]",
  details: [
    "--now                also the steps that failed retryably and wait for their next attempt (backoff up to an hour),",
    "                     e.g. tenants waiting with LogstoresExhausted after `logstores add`; the report's `notDue` counts",
    "                     the tenants a run without it left waiting",
    "--tenants file.json  a JSON array of tenant requests to provision (each as a webhook's `data`; source: import);",
    "                     an entry that breaks a rule is named on stderr (index, field, rule) and the exit code is 1",
    BUDGET_DETAIL,
  ],
  options: { tenants: { type: "string" }, now: { type: "boolean" }, ...BUDGET_OPTION },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const tenantsFile = jsonFileOption(values, "tenants", "array");
    if (tenantsFile && values["now"] === true) throw new UsageError("--now re-drives recorded tenants; a --tenants file is provisioned as it is: use one or the other");
    await localState(values);
    // The same path as retry and offboard: one service, the 15-minute cap checked before any work.
    const deadline = runDeadline(values);
    await withService(async (service) => {
      // One lease owner per run, as the backfill function has: a shared one made two entries of
      // one tenant (run at once) both the creation lease's holder, each running its steps.
      const workerId = () => `cli-backfill-${randomUUID()}`;
      const provision = (tenant: Parameters<typeof service.provision>[0], d: number) => service.provision(tenant, { deadline: d, workerId: workerId() });
      const reconcile = (state: Parameters<typeof service.reconcile>[0], d: number, walk: { dueBefore: string }) =>
        service.reconcile(state, { deadline: d, workerId: workerId(), ...walk });
      const options = { deadline, concurrency: BACKFILL_DEFAULTS.concurrency, perTenantBudgetMs: BACKFILL_DEFAULTS.perTenantBudgetMs };
      const report = tenantsFile
        ? await backfillTenants(tenantsFile, options, { provision, logger: stderrLogger, readStored: storedTenantReader(service.store) })
        : await runBackfill(
            { ...options, pageSize: BACKFILL_DEFAULTS.pageSize, ignoreBackoff: values["now"] === true },
            { store: service.store, positions: service.positions, reconcile },
          );
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      // Entries refused (each named on stderr with its index, field and rule): the import is not done.
      if (report.invalid > 0) process.exitCode = 1;
      // Stopped for time with work left: exit 0 told a script the run was done.
      if (!report.complete) {
        process.stderr.write("backfill: stopped at the run's budget with work left (complete: false); run it again to go on\n");
        process.exitCode = 1;
      }
    });
  },
};

const replayDlq: CliCommand = {
  name: "replay-dlq",
  summary: "move dead letters back to the signup queue (an SQS message move task)",
  usage: "[--dlq-url URL] [--queue-url URL] [--max N] [--wait-ms N] [--aws]",
  details: [
    "--dlq-url URL    the dead-letter queue (default: the local stack's; with --aws required, or DLQ_URL)",
    "--queue-url URL  where to move them (default: the queue each message came from)",
    "--max N          move at most N messages per second (default: as fast as SQS moves them)",
    "--wait-ms N      how long to wait for the task to finish, printing its progress (default 300000)",
    "SQS moves the messages itself (StartMessageMoveTask); the local SQS stand-in implements it too.",
  ],
  options: { max: { type: "string" }, "dlq-url": { type: "string" }, "queue-url": { type: "string" }, "wait-ms": { type: "string" } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const maxPerSecond = values.max === undefined ? undefined : positiveInteger(values, "max", 1);
    const waitMs = positiveInteger(values, "wait-ms", 300_000);
    const givenDlqUrl = urlOption(values, "dlq-url");
    const queueUrl = urlOption(values, "queue-url");
    const state = await localState(values);
    const dlqUrl = givenDlqUrl ?? state?.dlqUrl ?? process.env.DLQ_URL;
    if (!dlqUrl) throw new UsageError("--dlq-url (or DLQ_URL) is required with --aws");
    const sqs = new SQSClient({});
    try {
      const task = await startDlqRedrive(sqs, { dlqUrl, destinationQueueUrl: queueUrl, maxPerSecond });
      process.stdout.write(`moving messages from ${task.sourceArn} to ${task.destinationArn ?? "the queues they came from"}\n`);
      const done = await waitForDlqRedrive(sqs, task.sourceArn, { deadline: Date.now() + waitMs });
      process.stdout.write(`${done.status}: moved ${done.moved} of ${done.toMove} message(s)${done.failureReason ? ` (${done.failureReason})` : ""}\n`);
      if (done.status === "FAILED") process.exitCode = 1;
    } finally {
      sqs.destroy();
    }
  },
};

/**
 * An unexpected failure as an operator reads it: its name and message, then the messages of its
 * causes (a bare "fetch failed" hid "connect ECONNREFUSED 127.0.0.1:1"), at most three deep.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const causes: string[] = [];
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if (e.message && !causes.includes(e.message)) causes.push(e.message);
  }
  return `${error.name}: ${error.message}${causes.length > 0 ? ` (${causes.join("; ")})` : ""}`;
}

/** A refused connection, however deep the SDK or the service wrapped it. */
function refusedConnection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === "ECONNREFUSED" || e.message.includes("ECONNREFUSED")) return true;
  }
  return false;
}

/** Every command, in the order `--help` lists them. */
const commands: CliCommand[] = [
  sendWebhook,
  status,
  backfill,
  replayDlq,
  ...lifecycleCommands(localState),
  logstoresCommand(localState),
];

exitQuietlyOnBrokenPipe(process.stdout);
const line = parseCommandLine(process.argv.slice(2), commands);
if (line.kind === "help") {
  process.stdout.write(line.text);
} else if (line.kind === "usage-error") {
  process.stderr.write(line.text);
  process.exitCode = 2;
} else {
  try {
    await line.command.run(line);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n${usage(commands, line.command)}`);
      process.exitCode = 2;
    } else if (error instanceof ValidationError) {
      // An argument the service refused (e.g. a tenant id breaking its rule): the operator's input, so
      // exit 2 like any other bad argument. Named by the command the operator ran and the field
      // and rule (never the value), not by the store method that checked it ("getTenant: ...").
      process.stderr.write(`error: ${line.command.name}: invalid input: ${describeIssues(error.issues)}\n${usage(commands, line.command)}`);
      process.exitCode = 2;
    } else if (error instanceof TenantNotFoundError) {
      // A well-formed id the table does not hold: the command ran and failed, as `status` says it.
      process.stderr.write(`error: ${line.command.name}: tenant ${error.tenantId} is not recorded\n`);
      process.exitCode = 1;
    } else {
      // The service's errors name the field and rule and never carry a secret; no stack for operators.
      process.stderr.write(`error: ${line.command.name}: ${describeFailure(error)}\n`);
      if (error instanceof ResourceNotFoundException) {
        process.stderr.write(`the DynamoDB table this command reads was not found: check --table (or OUTCOME_TABLE_NAME) and the region\n`);
      }
      // .local/stack.json outlives the stack it describes (Ctrl-C leaves it): say so.
      if (line.values.aws !== true && refusedConnection(error)) {
        process.stderr.write(`the local stack in ${LOCAL_STATE_FILE} does not answer: is \`npm start\` running? (--aws uses AWS instead)\n`);
      }
      process.exitCode = 1;
    }
  }
}
