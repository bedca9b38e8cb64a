/**
 * `npm start`: runs the whole service on this machine with no AWS account (see README).
 * Ports: LOCAL_HTTP_PORT (3000), the stand-ins on 4566-4570 and EventBridge on any free port,
 * unless set otherwise (scripts/start-settings.ts lists them).
 */
import { ProvisionerError } from "../src/errors.ts";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { LOCAL_STATE_FILE, startLocalService } from "../src/local/local-service.ts";
import { PORT_VARIABLES, parseStartSettings, portVariableOf, type StartSettings } from "./start-settings.ts";

/** An operator's mistake: its message (naming the variable and the rule), exit 2, no stack trace. */
function refuse(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

/** Whether the local HTTP API that .local/stack.json names accepts a connection (within 500 ms). */
async function stackStillAnswers(): Promise<boolean> {
  let url: URL;
  try {
    url = new URL((JSON.parse(await readFile(LOCAL_STATE_FILE, "utf8")) as { webhookUrl: string }).webhookUrl);
  } catch {
    return false; // no file, or not one we can read: nothing to protect
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), timeout: 500 });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

let settings: StartSettings;
try {
  settings = parseStartSettings(process.env);
} catch (error) {
  if (!(error instanceof ProvisionerError)) throw error;
  refuse(`${error.name}: ${error.message}`);
}
// A second `npm start` here would rewrite .local/stack.json, and once it exited the CLI would say
// the stack that still runs is down: refuse while the stack the file names answers.
if (await stackStillAnswers()) {
  refuse(`another npm start is running from this directory (${LOCAL_STATE_FILE} names it and it answers); stop it first, or start this one from another directory (if no npm start runs, another program holds that port: delete ${LOCAL_STATE_FILE})`);
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

/** How long a stop waits for requests and queue batches in flight before it drops them. */
const STOP_GRACE_MS = 5_000;
let stopping = false;
// A stop used to wait for every slow provider call in flight (28 s with an 8 s IM latency),
// silently: users pressed Ctrl-C again to no effect and reached for kill -9. Now it says so, waits
// at most STOP_GRACE_MS, and a second Ctrl-C stops at once. Nothing is kept either way: the
// local stack holds its state in memory.
const stop = () => {
  if (stopping) {
    process.stderr.write("stopped at once\n");
    process.exit(130);
  }
  stopping = true;
  process.stderr.write(`stopping: finishing the work in flight (at most ${STOP_GRACE_MS / 1000} s; Ctrl-C again stops at once)\n`);
  setTimeout(() => {
    process.stderr.write(`stopped after ${STOP_GRACE_MS / 1000} s with work still in flight (dropped: the local stack keeps no state)\n`);
    process.exit(1);
  }, STOP_GRACE_MS).unref();
  void running.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`error: npm start: stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
