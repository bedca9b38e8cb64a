/**
 * One process of the multi-process limiter test: a FleetRateLimiter on the given table, `lanes`
 * callers taking `count` grants in all; prints the grant times (epoch ms) as JSON on stdout.
 *   argv[2]: JSON { endpoint, tableName, count, lanes, limit, rate, storeTimeoutMs? }
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "../../src/aws/dynamodb/index.ts";
import { FleetRateLimiter } from "../../src/limits/fleet-limiter.ts";
import { CallScheduleStore } from "../../src/limits/schedule-store.ts";

const args = JSON.parse(process.argv[2] ?? "{}") as { endpoint: string; tableName: string; count: number; lanes: number; limit: number; rate: number; storeTimeoutMs?: number };
const client = new DynamoDBClient({ endpoint: args.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
const limiter = new FleetRateLimiter({
  provider: "test",
  store: new CallScheduleStore({ client: new DynamoDBDocumentClient({ endpoint: args.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } }), tableName: args.tableName, timeoutMs: args.storeTimeoutMs }),
  commands: { op: { limitPerSecond: args.limit, ratePerSecond: args.rate } },
  maxProcesses: 8,
});
const grants: number[] = [];
let left = args.count;
await Promise.all(
  Array.from({ length: args.lanes }, async () => {
    while (left > 0) {
      left--;
      await limiter.acquire("op");
      grants.push(Date.now());
    }
  }),
);
client.destroy();
process.stdout.write(JSON.stringify({ grants, stats: limiter.stats() }));
