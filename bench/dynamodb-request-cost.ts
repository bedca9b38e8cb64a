/**
 * `node bench/dynamodb-request-cost.ts [rounds] [requests]`: CPU per DynamoDB request of the
 * service's document client (src/aws: request handler, signing) against variants, in one process,
 * in alternating blocks so that a shared machine's load falls on every variant alike. The stack
 * (dynalite) runs in its own process (bench/stack-server.ts). Each request is a conditional
 * UpdateItem like a step claim, inside an invocation's AWS call scope (deadline set), as in the
 * backfill. Prints the median CPU ms per request of each variant over the rounds.
 *
 * Variants: `service` (awsClientOptions() as deployed), `sdk-handler` (the same over the SDK's
 * NodeHttpHandler, bench/sdk-node-http-handler.ts), `sdk-sha256` (the same with the SDK's default
 * checksum for signing).
 *
 *   node bench/dynamodb-request-cost.ts --instructions <variant> [a] [b]
 *
 * counts instructions instead (load does not change them): the variant alone under callgrind
 * twice, with `a` and `b` requests after the same warm-up; (total_b - total_a) / (b - a) is one
 * request's count (this process only: dynalite's process is not traced).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { setAwsCallDeadline, withAwsCallScope } from "../src/aws/call-deadline.ts";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS, awsClientOptions, withoutSdkLogging } from "../src/aws/client-options.ts";
import { LOCAL } from "../src/local/stack.ts";
import { callgrindInstructions, median, quantile, startChild } from "./lib.ts";
import { NodeHttpDeadlineHandler } from "./sdk-node-http-handler.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const WARMUP = Number(process.env.BENCH_DDB_WARMUP ?? 600);

const variants: Record<string, () => object> = {
  "sdk-handler": () => ({
    ...awsClientOptions(),
    requestHandler: new NodeHttpDeadlineHandler({ connectionTimeout: AWS_CONNECTION_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true }),
  }),
  service: () => awsClientOptions(),
  "sdk-sha256": () => {
    const { sha256: _sdkDefault, ...rest } = awsClientOptions();
    return rest;
  },
};

/** Instructions of a whole run of `variant` with `requests` measured requests (callgrind's total). */
function instructions(variant: string, requests: number): number {
  return callgrindInstructions(fileURLToPath(import.meta.url), ["--run", variant, String(requests)], path.join(here, ".out"), `ddb.${variant}.${requests}`);
}

if (args[0] === "--instructions") {
  const variant = args[1] ?? "service";
  const a = Number(args[2] ?? 300);
  const b = Number(args[3] ?? 900);
  const ia = instructions(variant, a);
  const ib = instructions(variant, b);
  console.log(JSON.stringify({ variant, warmup: WARMUP, instructionsPerRequest: Math.round((ib - ia) / (b - a)), totals: { [a]: ia, [b]: ib } }));
  process.exit(0);
}
const single = args[0] === "--run" ? (args[1] ?? "service") : undefined;
const rounds = single ? 1 : Number(args[0] ?? 10);
const perBlock = single ? Number(args[2] ?? 300) : Number(args[1] ?? 300);

const stack = await startChild(path.join(here, "stack-server.ts"), { args: ["{}"] });
try {
  const env = stack.ready.env as Record<string, string>;
  const clients = Object.entries(variants).filter(([name]) => single === undefined || name === single).map(([name, options]) => ({
    name,
    client: DynamoDBDocumentClient.from(
      withoutSdkLogging(new DynamoDBClient({ ...options(), endpoint: env["AWS_ENDPOINT_URL_DYNAMODB"], region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } })),
      { marshallOptions: { removeUndefinedValues: true } },
    ),
  }));
  let n = 0;
  const request = (client: DynamoDBDocumentClient) =>
    client.send(
      new UpdateCommand({
        TableName: LOCAL.table,
        Key: { pk: `TENANT#cost-${n++ % 50}`, sk: "STEP#im-group" },
        UpdateExpression: "SET #status = :s, #leaseOwner = :o, #updatedAt = :now ADD #attempts :one",
        ConditionExpression: "attribute_not_exists(#pk) OR #status IN (:s, :p)",
        ExpressionAttributeNames: { "#pk": "pk", "#status": "status", "#leaseOwner": "leaseOwner", "#updatedAt": "updatedAt", "#attempts": "attempts" },
        ExpressionAttributeValues: { ":s": "IN_PROGRESS", ":p": "PENDING", ":o": "worker-1", ":now": new Date().toISOString(), ":one": 1 },
        ReturnValues: "ALL_NEW",
      }),
    );
  const block = async (client: DynamoDBDocumentClient) =>
    withAwsCallScope(async () => {
      setAwsCallDeadline(Date.now() + 3_600_000);
      const c = process.cpuUsage();
      for (let i = 0; i < perBlock; i++) await request(client);
      const d = process.cpuUsage(c);
      return (d.user + d.system) / 1000 / perBlock;
    });
  if (single !== undefined) {
    const only = clients[0]?.client;
    if (only === undefined) throw new Error(`unknown variant ${single}: ${Object.keys(variants).join(", ")}`);
    await withAwsCallScope(async () => {
      setAwsCallDeadline(Date.now() + 3_600_000);
      for (let i = 0; i < WARMUP; i++) await request(only);
    });
    await block(only);
    await stack.stop();
    process.exit(0);
  }
  for (const { client } of clients) for (let i = 0; i < 3; i++) await block(client); // warm-up
  const samples = new Map<string, number[]>(clients.map(({ name }) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    // Alternate the order per round: neither variant always runs first.
    for (const { name, client } of r % 2 === 0 ? clients : [...clients].reverse()) samples.get(name)?.push(await block(client));
  }
  // Paired per round (the rounds' load drifts alike for all variants): each variant over `service`.
  const base = samples.get("service") ?? [];
  for (const [name, values] of samples) {
    if (name === "service") continue;
    const ratios = values.map((v, i) => v / (base[i] ?? Number.NaN));
    console.log(`${name.padEnd(12)} ${median(ratios).toFixed(3)}x service (median of per-round ratios; quartiles ${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)})`);
  }
  for (const [name, values] of samples) console.log(`${name.padEnd(12)} ${median(values).toFixed(4)} CPU ms/request (median of ${rounds} blocks of ${perBlock}; min ${Math.min(...values).toFixed(4)})`);
} finally {
  await stack.stop();
}
