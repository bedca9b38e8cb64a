/**
 * The local stack (src/local/stack.ts: dynalite, the Secrets Manager stand-in, the SLS and IM
 * sandboxes) in its own process, so the process being measured holds only the service; with
 * `dynamodbApart`, dynalite runs in a child process of its own (bench/dynalite-server.ts), as
 * DynamoDB is a service apart from SLS and IM, and `state` sums both processes' CPU.
 *
 *   argv[2]: JSON { slsFaults?, imFaults?, keepSlsUnderQuota?, dynamodbApart? }
 *
 * Sends `{ type: "ready", env }` (the service environment) over IPC, then answers:
 *   state → IM, SLS and DynamoDB (requests by operation) counters, this process's CPU, event-loop
 *           utilization counters and RSS
 *   seed  → registers `count` unfinished tenants (both steps PENDING) in the outcome table
 *   profileStart / profileStop { file } → a V8 CPU profile of this process between the two
 *           (bench/cpu-profile.ts), so seeding stays out of it
 *   imCallTimes → epoch ms of every IM call the sandbox admitted (not throttled) since the last
 *           imCallTimes, by command, and clears them: the backfill's timeline (bench/timeline.ts)
 *
 * keepSlsUnderQuota: SLS allows 30 consumer groups per logstore (ConsumerGroupQuotaExceed, a
 * permanent error), and the service puts every tenant's group on one logstore, so tenant 31 on
 * would fail its SLS step. To measure throughput with both steps succeeding, the sandbox's groups
 * are dropped whenever 20 exist (calls are still counted here).
 */
import { writeFileSync } from "node:fs";
import type { EventLoopUtilization } from "node:perf_hooks";
import { Session } from "node:inspector/promises";
import { DynamoDBDocumentClient } from "../src/aws/dynamodb/document-client.ts";
import { startLocalStack, LOCAL } from "../src/local/stack.ts";
import { OutcomeStore } from "../src/outcomes/store.ts";
import { STEP_NAMES } from "../src/outcomes/constants.ts";
import type { FaultConfig } from "../src/sandbox/faults.ts";
import { countDynamoRequests, type DynamoRequestCounts } from "./ddb-counter.ts";
import { benchTenant, serve, startChild } from "./lib.ts";

interface StackServerOptions {
  slsFaults?: Partial<FaultConfig>;
  imFaults?: Partial<FaultConfig>;
  keepSlsUnderQuota?: boolean;
  /** dynalite in a process of its own (bench/dynalite-server.ts), as DynamoDB is a service of its own. */
  dynamodbApart?: boolean;
}

interface DynamoState {
  ddb: DynamoRequestCounts;
  cpu: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
  rss: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as StackServerOptions;
const apart = options.dynamodbApart ? await startChild(new URL("./dynalite-server.ts", import.meta.url).pathname) : undefined;
const localCounts = apart === undefined ? countDynamoRequests() : undefined;
const stack = await startLocalStack({
  ...(apart ? { dynamodbEndpoint: apart.ready["endpoint"] as string } : {}),
  // The sandbox is emptied as it goes (keepSlsUnderQuota): the registry must not fill up either
  // (16 × 1,000 slots, the registry's largest capacity, for the 10,000-tenant backfill).
  ...(options.keepSlsUnderQuota ? { slsLogstoreCapacity: 1_000, slsLogstoreCount: 16 } : {}),
  ...(options.slsFaults ? { slsFaults: options.slsFaults } : {}),
  ...(options.imFaults ? { imFaults: options.imFaults } : {}),
});

// Every IM call the sandbox admits, by command (ms): wraps the sandbox's rate-limit check, which
// every call passes before its latency and answer, so the times are when IM counted the call.
const imCallTimes = new Map<string, number[]>();
const overRateLimit = stack.im.faults.overRateLimit.bind(stack.im.faults);
stack.im.faults.overRateLimit = (operation: string, now = Date.now()): boolean => {
  const over = overRateLimit(operation, now);
  if (!over) {
    const times = imCallTimes.get(operation) ?? [];
    times.push(now);
    imCallTimes.set(operation, times);
  }
  return over;
};

const slsTotals = { calls: {} as Record<string, number>, createsApplied: 0, throttled: 0, quotaResets: 0 };
function foldSls(reset: boolean): void {
  const s = stack.sls.state();
  for (const [op, n] of Object.entries(s.calls)) slsTotals.calls[op] = (slsTotals.calls[op] ?? 0) + n;
  slsTotals.createsApplied += s.createsApplied;
  slsTotals.throttled += s.throttled;
  if (reset) {
    stack.sls.reset();
    slsTotals.quotaResets++;
  }
}
const groupCount = () =>
  Object.values(stack.sls.state().groups).reduce((n, stores) => n + Object.values(stores).reduce((m, g) => m + g.length, 0), 0);
if (options.keepSlsUnderQuota) {
  setInterval(() => {
    if (groupCount() >= 20) foldSls(true);
  }, 10).unref();
}

const documents = new DynamoDBDocumentClient({ endpoint: stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
const store = new OutcomeStore({ tableName: LOCAL.table, client: documents });

let profiler: Session | undefined;

serve(
  {
    async profileStart() {
      profiler = new Session();
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
      return { started: true };
    },
    async profileStop(args: { file: string }) {
      if (profiler === undefined) throw new Error("profileStart first");
      const { profile } = await profiler.post("Profiler.stop");
      writeFileSync(args.file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return { file: args.file };
    },
    imCallTimes() {
      const times = Object.fromEntries(imCallTimes);
      imCallTimes.clear();
      return times;
    },
    async state() {
      const dynamo = apart ? await apart.call<DynamoState>("state") : undefined;
      const ddb = dynamo?.ddb ?? (localCounts as DynamoRequestCounts);
      const own = process.cpuUsage();
      const im = stack.im.state();
      const sls = stack.sls.state();
      return {
        im: { ...im.counters, groups: im.groups.length, accounts: im.accounts.length },
        sls: {
          calls: Object.fromEntries(
            [...new Set([...Object.keys(slsTotals.calls), ...Object.keys(sls.calls)])].map((op) => [op, (slsTotals.calls[op] ?? 0) + (sls.calls[op] ?? 0)]),
          ),
          createsApplied: slsTotals.createsApplied + sls.createsApplied,
          throttled: slsTotals.throttled + sls.throttled,
          rejections: sls.rejections,
          quotaResets: slsTotals.quotaResets,
        },
        ddb: { calls: { ...ddb.calls }, detail: { ...ddb.detail } },
        // With dynalite apart: CPU of both processes, and each one's event loop.
        cpu: dynamo ? { user: own.user + dynamo.cpu.user, system: own.system + dynamo.cpu.system } : own,
        elu: performance.eventLoopUtilization(),
        ...(dynamo ? { dynamodbElu: dynamo.elu } : {}),
        rss: process.memoryUsage().rss + (dynamo?.rss ?? 0),
      };
    },
    async seed(args: { prefix: string; count: number; concurrency: number }) {
      let next = 0;
      const lane = async () => {
        while (next < args.count) {
          const tenant = benchTenant(args.prefix, next++);
          await store.registerTenant(tenant.tenantId, { ...tenant }, tenant.source, STEP_NAMES);
        }
      };
      await Promise.all(Array.from({ length: args.concurrency }, lane));
      return { registered: args.count };
    },
  },
  { env: stack.env },
);

process.on("SIGTERM", () => {
  void stack
    .close()
    .then(() => apart?.stop())
    .finally(() => process.exit(0));
});
