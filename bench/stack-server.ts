/**
 * The local stack (src/local/stack.ts: dynalite, the Secrets Manager stand-in, the SLS and IM
 * sandboxes) in its own process, so the process being measured holds only the service.
 *
 *   argv[2]: JSON { slsFaults?, imFaults?, keepSlsUnderQuota? }
 *
 * Sends `{ type: "ready", env }` (the service environment) over IPC, then answers:
 *   state → IM, SLS and DynamoDB (requests by operation) counters, this process's CPU, event-loop
 *           utilization counters and RSS
 *   seed  → registers `count` unfinished tenants (both steps PENDING) in the outcome table
 *   profileStart / profileStop { file } → a V8 CPU profile of this process between the two
 *           (bench/cpu-profile.ts), so seeding stays out of it
 *
 * keepSlsUnderQuota: SLS allows 30 consumer groups per logstore (ConsumerGroupQuotaExceed, a
 * permanent error), and the service puts every tenant's group on one logstore, so tenant 31 on
 * would fail its SLS step. To measure throughput with both steps succeeding, the sandbox's groups
 * are dropped whenever 20 exist (calls are still counted here).
 */
import { writeFileSync } from "node:fs";
import { Server, type IncomingMessage } from "node:http";
import { Session } from "node:inspector/promises";
import { DynamoDBDocumentClient } from "../src/aws/dynamodb/document-client.ts";
import { startLocalStack, LOCAL } from "../src/local/stack.ts";
import { OutcomeStore } from "../src/outcomes/store.ts";
import { STEP_NAMES } from "../src/outcomes/constants.ts";
import type { FaultConfig } from "../src/sandbox/faults.ts";
import { benchTenant, serve } from "./lib.ts";

interface StackServerOptions {
  slsFaults?: Partial<FaultConfig>;
  imFaults?: Partial<FaultConfig>;
  keepSlsUnderQuota?: boolean;
}

// DynamoDB requests as dynalite (in this process) receives them, by operation (X-Amz-Target),
// counted here so the measured process carries no counter of its own. With BENCH_DDB_DETAIL=1
// each request is also counted by what it does (`ddbDetail`: operation, item kind, index, the
// update's first words), from a copy of its body: a diagnosis, it costs this process CPU.
const ddbCalls: Record<string, number> = {};
const ddbDetail: Record<string, number> = {};
const detailed = process.env["BENCH_DDB_DETAIL"] === "1";
const serverEmit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string | symbol, ...rest: unknown[]) {
  if (event === "request") {
    const request = rest[0] as IncomingMessage;
    const target = request.headers["x-amz-target"];
    if (typeof target === "string" && target.startsWith("DynamoDB_")) {
      const op = target.slice(target.indexOf(".") + 1);
      ddbCalls[op] = (ddbCalls[op] ?? 0) + 1;
      if (detailed) {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          const kind = ddbRequestKind(op, Buffer.concat(chunks).toString("utf8"));
          ddbDetail[kind] = (ddbDetail[kind] ?? 0) + 1;
        });
      }
    }
  }
  return Reflect.apply(serverEmit, this, [event, ...rest]) as boolean;
} as typeof Server.prototype.emit;

/** What a DynamoDB request does, in a few words: `UpdateItem STEP# SET #status…`. */
function ddbRequestKind(op: string, body: string): string {
  try {
    const input = JSON.parse(body) as { Key?: Record<string, { S?: string }>; IndexName?: string; KeyConditionExpression?: string; UpdateExpression?: string; ConditionExpression?: string; Item?: Record<string, { S?: string }> };
    const key = input.Key ?? input.Item;
    const sk = key?.["sk"]?.S ?? "";
    const pk = key?.["pk"]?.S ?? "";
    const what = sk.startsWith("STEP#") ? "STEP#" : sk !== "" ? `${pk.split("#")[0]}/${sk.split("#")[0]}` : "";
    const expression = (input.UpdateExpression ?? input.ConditionExpression ?? input.KeyConditionExpression ?? "").slice(0, 48);
    return [op, what, input.IndexName ?? "", expression].filter((part) => part !== "").join(" | ");
  } catch {
    return `${op} (unreadable)`;
  }
}

const options = JSON.parse(process.argv[2] ?? "{}") as StackServerOptions;
const stack = await startLocalStack({
  // The sandbox is emptied as it goes (keepSlsUnderQuota): the registry must not fill up either
  // (16 × 1,000 slots, the registry's largest capacity, for the 10,000-tenant backfill).
  ...(options.keepSlsUnderQuota ? { slsLogstoreCapacity: 1_000, slsLogstoreCount: 16 } : {}),
  ...(options.slsFaults ? { slsFaults: options.slsFaults } : {}),
  ...(options.imFaults ? { imFaults: options.imFaults } : {}),
});

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
    state() {
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
        ddb: { calls: { ...ddbCalls }, detail: { ...ddbDetail } },
        cpu: process.cpuUsage(),
        elu: performance.eventLoopUtilization(),
        rss: process.memoryUsage().rss,
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
  void stack.close().finally(() => process.exit(0));
});
