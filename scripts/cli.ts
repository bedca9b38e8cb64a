/**
 * Operator CLI, against the local stack (`npm start` writes .local/stack.json) or, with --aws,
 * against AWS using the environment (AWS credentials, and the service's variables: see README).
 *
 *   npm run cli -- send-webhook [--tenant ID] [--file request.json] [--url URL]
 *   npm run cli -- status TENANT_ID
 *   npm run cli -- backfill [--tenants file.json] [--budget-ms N]
 *   npm run cli -- replay-dlq [--max N] [--dlq-url URL] [--queue-url URL]
 *   npm run cli -- retry TENANT_ID [--step NAME] | failures [--limit N] | offboard TENANT_ID
 *     (scripts/cli/lifecycle.ts)
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Webhook } from "standardwebhooks";
import { backfillTenants, runBackfill } from "../src/backfill/backfill.ts";
import { loadConfig } from "../src/config/config.ts";
import { readSecret } from "../src/credentials/read-secret.ts";
import { webhookSecretsSchema } from "../src/credentials/schemas.ts";
import { LOCAL_STATE_FILE, type LocalStackState } from "../src/local/local-service.ts";
import { createService } from "../src/service.ts";
import { lifecycleCommands } from "./cli/lifecycle.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    aws: { type: "boolean", default: false },
    tenant: { type: "string" },
    file: { type: "string" },
    url: { type: "string" },
    tenants: { type: "string" },
    "budget-ms": { type: "string", default: "60000" },
    max: { type: "string", default: "100" },
    "dlq-url": { type: "string" },
    "queue-url": { type: "string" },
    step: { type: "string" },
    limit: { type: "string" },
  },
});
const [command, ...rest] = positionals;

function localState(): LocalStackState | undefined {
  if (values.aws) return undefined;
  if (!existsSync(LOCAL_STATE_FILE)) {
    fail(`no local stack found (${LOCAL_STATE_FILE}): run \`npm start\` first, or pass --aws to use AWS`);
  }
  const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as LocalStackState;
  Object.assign(process.env, state.env);
  return state;
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
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

async function sendWebhook(): Promise<void> {
  const state = localState();
  const url = values.url ?? state?.webhookUrl ?? fail("--url is required with --aws");
  const data = values.file ? (JSON.parse(readFileSync(values.file, "utf8")) as Record<string, unknown>) : sampleRequest(values.tenant ?? `acme-${Date.now().toString(36)}`);
  const config = loadConfig(process.env);
  const { secrets } = await readSecret(new SecretsManagerClient({}), config.secrets.webhookSecretId, webhookSecretsSchema);
  const body = JSON.stringify({ type: "tenant.created", timestamp: new Date().toISOString(), data });
  const id = `msg_${randomUUID()}`;
  const now = new Date();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secrets[0] ?? fail("no webhook secret")).sign(id, now, body),
    },
    body,
  });
  process.stdout.write(`POST ${url} -> ${res.status}\n${JSON.stringify(JSON.parse(await res.text()), null, 2)}\n`);
}

async function status(): Promise<void> {
  localState();
  const tenantId = rest[0] ?? fail("usage: status TENANT_ID");
  const service = createService(loadConfig(process.env));
  const outcome = await service.store.getTenant(tenantId);
  service.close();
  if (!outcome.tenant) fail(`tenant ${tenantId} is not recorded`);
  process.stdout.write(`${JSON.stringify({ tenantId, source: outcome.tenant.source, registeredAt: outcome.tenant.createdAt, steps: outcome.steps }, null, 2)}\n`);
}

async function backfill(): Promise<void> {
  localState();
  const service = createService(loadConfig(process.env));
  const deadline = Date.now() + Number(values["budget-ms"]);
  const workerId = `cli-${randomUUID()}`;
  const provision = (tenant: Parameters<typeof service.provision>[0], d: number) => service.provision(tenant, d, workerId);
  const reconcile = (state: Parameters<typeof service.reconcile>[0], d: number, walk: { dueBefore: string }) => service.reconcile(state, d, workerId, walk);
  const options = { deadline, concurrency: 16, perTenantBudgetMs: 10_000 };
  const report = values.tenants
    ? await backfillTenants(JSON.parse(readFileSync(values.tenants, "utf8")) as unknown[], options, { provision })
    : await runBackfill({ ...options, pageSize: 1000 }, { store: service.store, positions: service.positions, reconcile });
  service.close();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

async function replayDlq(): Promise<void> {
  const state = localState();
  const dlqUrl = values["dlq-url"] ?? state?.dlqUrl ?? process.env.DLQ_URL ?? fail("--dlq-url is required with --aws");
  const queueUrl = values["queue-url"] ?? state?.signupQueueUrl ?? process.env.SIGNUP_QUEUE_URL ?? fail("--queue-url is required with --aws");
  const sqs = new SQSClient({});
  let moved = 0;
  const max = Number(values.max);
  while (moved < max) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), WaitTimeSeconds: 1 }));
    if (Messages.length === 0) break;
    for (const m of Messages) {
      // Send first, then delete: a crash in between duplicates (harmless: provisioning converges), never loses.
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.Body ?? "" }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
      moved++;
    }
  }
  sqs.destroy();
  process.stdout.write(`moved ${moved} message(s) from the DLQ back to the signup queue\n`);
}

const lifecycle = Object.fromEntries(
  Object.entries(lifecycleCommands).map(([name, command]) => [
    name,
    () => command({ args: rest, options: values, useStack: () => void localState(), fail, print: (text) => process.stdout.write(`${text}\n`) }),
  ]),
);
const commands: Record<string, () => Promise<void>> = { "send-webhook": sendWebhook, status, backfill, "replay-dlq": replayDlq, ...lifecycle };
const run = commands[command ?? ""];
if (!run) fail(`usage: npm run cli -- <${Object.keys(commands).join("|")}> [options]`);
await run();
