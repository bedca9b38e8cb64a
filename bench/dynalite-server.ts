/**
 * dynalite in a process of its own, for bench/stack-server.ts (`dynamodbApart`): DynamoDB is a
 * service apart from SLS and IM, and on one thread with the sandboxes it was the bench's limit.
 * Sends `{ type: "ready", endpoint }`, then answers `state` → the DynamoDB requests it received
 * (bench/ddb-counter.ts), its CPU, event-loop utilization and RSS.
 */
import { startDynalite } from "../src/local/dynalite.ts";
import { countDynamoRequests } from "./ddb-counter.ts";
import { serve } from "./lib.ts";

const counts = countDynamoRequests();
const dynalite = await startDynalite({ port: 0 });

serve(
  {
    state() {
      return { ddb: counts, cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), rss: process.memoryUsage().rss };
    },
  },
  { endpoint: dynalite.endpoint },
);

process.on("SIGTERM", () => {
  void dynalite.close().finally(() => process.exit(0));
});
