/**
 * `npm start`: runs the whole service on this machine with no AWS account (see README).
 * Ports: LOCAL_HTTP_PORT (3000), the stand-ins on 4566-4570 and EventBridge on any free port,
 * unless set otherwise (scripts/start-settings.ts lists them).
 */
import { ProvisionerError } from "../src/errors.ts";
import { startLocalService } from "../src/local/local-service.ts";
import { PORT_VARIABLES, parseStartSettings, portVariableOf, type StartSettings } from "./start-settings.ts";

/** An operator's mistake: its message (naming the variable and the rule), exit 2, no stack trace. */
function refuse(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

let settings: StartSettings;
try {
  settings = parseStartSettings(process.env);
} catch (error) {
  if (!(error instanceof ProvisionerError)) throw error;
  refuse(`${error.name}: ${error.message}`);
}
const { ports } = settings;
const running = await startLocalService({
  httpPort: ports.LOCAL_HTTP_PORT,
  sqsPort: ports.LOCAL_SQS_PORT,
  ports: { dynamodb: ports.LOCAL_DYNAMODB_PORT, secrets: ports.LOCAL_SECRETS_PORT, sls: ports.LOCAL_SLS_PORT, im: ports.LOCAL_IM_PORT, events: ports.LOCAL_EVENTBRIDGE_PORT },
  backfillEveryMs: settings.backfillEveryMs,
  writeStateFile: true,
}).catch((error: unknown) => {
  // A setting the service refuses (e.g. WEBHOOK_REQUEST_BUDGET_MS below its floor) is the operator's
  // to fix: its message names the variable and the rule, so print that, not a stack trace.
  if (error instanceof ProvisionerError) refuse(`${error.name}: ${error.message}`);
  // A port another process holds (often an `npm start` still running): say which variable set it.
  const { code, port } = error as { code?: unknown; port?: unknown };
  if (code === "EADDRINUSE" && typeof port === "number") {
    const variable = portVariableOf(ports, port);
    refuse(
      variable
        ? `${variable}: port ${port} on 127.0.0.1 is in use (another npm start?); stop that process or set ${variable} to a free port (${PORT_VARIABLES[variable].what})`
        : `port ${port} on 127.0.0.1 is in use; stop that process or move the stand-ins with the LOCAL_*_PORT variables`,
    );
  }
  throw error;
});

const s = running.state;
process.stdout.write(`
tenant-provisioner is running locally (no AWS account needed)

  webhook    POST ${s.webhookUrl}
  status     GET  ${s.statusUrl}   (loopback callers stand in for IAM-authorised operators)
  offboard   DELETE ${s.statusUrl}
  backfill   POST ${s.backfillUrl}   (${settings.backfillEveryMs > 0 ? `also every ${settings.backfillEveryMs / 1000} s` : "no schedule: LOCAL_BACKFILL_EVERY_MS=0"})
  signup queue ${s.signupQueueUrl}  (DLQ ${s.dlqUrl}), consumed by the signup handler
  DynamoDB ${s.env.AWS_ENDPOINT_URL_DYNAMODB}  Secrets Manager ${s.env.AWS_ENDPOINT_URL_SECRETS_MANAGER}
  SLS sandbox ${s.env.SLS_CONNECT_TO}  Tencent IM sandbox ${s.env.IM_CONNECT_TO}

In another terminal:
  npm run cli -- send-webhook --tenant acme-1     # a signed sample webhook
  npm run cli -- status acme-1                    # the tenant's recorded outcome
  npm run cli -- backfill [--now]                 # re-drive unfinished steps that are due (--now: all)
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
