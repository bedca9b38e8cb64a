/**
 * `npm start`: runs the whole service on this machine with no AWS account (see README).
 * Ports: LOCAL_HTTP_PORT (3000), and the stand-ins on 4566-4570 unless set otherwise.
 */
import { ProvisionerError } from "../src/errors.ts";
import { startLocalService } from "../src/local/local-service.ts";

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const running = await startLocalService({
  httpPort: port("LOCAL_HTTP_PORT", 3000),
  sqsPort: port("LOCAL_SQS_PORT", 4566),
  ports: { dynamodb: port("LOCAL_DYNAMODB_PORT", 4567), secrets: port("LOCAL_SECRETS_PORT", 4568), sls: port("LOCAL_SLS_PORT", 4569), im: port("LOCAL_IM_PORT", 4570) },
  backfillEveryMs: port("LOCAL_BACKFILL_EVERY_MS", 60_000),
  writeStateFile: true,
}).catch((error: unknown) => {
  // A setting the service refuses (e.g. WEBHOOK_REQUEST_BUDGET_MS below its floor) is the operator's
  // to fix: its message names the variable and the rule, so print that, not a stack trace.
  if (!(error instanceof ProvisionerError)) throw error;
  process.stderr.write(`error: ${error.name}: ${error.message}\n`);
  process.exit(2);
});

const s = running.state;
process.stdout.write(`
tenant-provisioner is running locally (no AWS account needed)

  webhook    POST ${s.webhookUrl}
  status     GET  ${s.statusUrl}   (loopback callers stand in for IAM-authorised operators)
  offboard   DELETE ${s.statusUrl}
  backfill   POST ${s.backfillUrl}   (also every ${Number(process.env.LOCAL_BACKFILL_EVERY_MS ?? 60_000) / 1000} s)
  signup queue ${s.signupQueueUrl}  (DLQ ${s.dlqUrl}), consumed by the signup handler
  DynamoDB ${s.env.AWS_ENDPOINT_URL_DYNAMODB}  Secrets Manager ${s.env.AWS_ENDPOINT_URL_SECRETS_MANAGER}
  SLS sandbox ${s.env.SLS_CONNECT_TO}  Tencent IM sandbox ${s.env.IM_CONNECT_TO}

In another terminal:
  npm run cli -- send-webhook --tenant acme-1     # a signed sample webhook
  npm run cli -- status acme-1                    # the tenant's recorded outcome
  npm run cli -- backfill                         # re-drive unfinished steps now
  npm run cli -- offboard acme-1                  # remove its resources (records stay, DELETED)
  npm run cli -- failures                         # finished failures; then: retry TENANT_ID
  npm run cli -- replay-dlq                       # move dead letters back to the queue

Ctrl-C stops everything.
`);

// Outcome events as downstream systems would receive them from the bus.
running.stack.events.subscribe((e) => process.stdout.write(`event ${e.detailType} ${JSON.stringify(e.detail)}\n`));

const stop = async () => {
  await running.close();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
