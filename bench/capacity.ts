/**
 * The capacity figures of a bench run: tenants per hour, what a first-time tenant costs in AWS
 * requests and money, and where the next limit is. Computed from that run's measured figures
 * (the warm section: DynamoDB requests and capacity units, CPU time, IM calls by command,
 * Secrets Manager calls, outcome events per first-time tenant) and the deployed settings as
 * `serverless.yml` resolves them (`osls print`: memory, SQS batch size, concurrency bounds).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

/**
 * AWS list prices, us-east-1, on-demand, as of 2026-11 (re-check before relying on them: they
 * change, and other regions differ). USD.
 */
export const PRICES_USD = {
  region: "us-east-1 (list prices, on-demand; re-check: https://aws.amazon.com/pricing/)",
  dynamodbPerMillionWriteRequestUnits: 0.625,
  dynamodbPerMillionReadRequestUnits: 0.125,
  lambdaPerGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  sqsPerMillionRequests: 0.4,
  eventBridgePerMillionCustomEvents: 1.0,
  secretsManagerPer10kApiCalls: 0.05,
} as const;

/** Lambda gives a function one full vCPU at 1,769 MB and CPU in proportion to memory below it. */
export const LAMBDA_MB_PER_VCPU = 1769;
/** Tencent IM: 200 calls/s per command per app (shared/reference/PROVIDERS.md). */
export const IM_LIMIT_PER_COMMAND_PER_SECOND = 200;
/** SLS: 30 consumer groups per logstore (PROVIDERS.md; CreateConsumerGroup's API reference). */
export const SLS_CONSUMER_GROUPS_PER_LOGSTORE = 30;
/**
 * SLS: 200 logstores per project. Not in shared/reference/PROVIDERS.md; from the CreateLogStore
 * API reference ("You can create up to 200 Logstores in a project",
 * https://www.alibabacloud.com/help/doc-detail/29015.htm), a quota that can be raised on request.
 */
export const SLS_LOGSTORES_PER_PROJECT = 200;

/** What the warm section measured per first-time tenant (bench/service-child.ts). */
export interface WarmFigures {
  tenants: number;
  perTenant: { cpuMs: number; wallMs: number; ddbRequests: number; providerRequests: number };
  firstTenantUsage: {
    dynamodb: {
      requests: number;
      outcomeStoreRequests: number;
      imLimiterRequests: number;
      readRequests: number;
      writeRequests: number;
      byOperation: Record<string, number>;
      readRequestUnits: number;
      writeRequestUnits: number;
      indexWriteRequestUnitsEstimated: number;
    };
    imCallsByCommand: Record<string, number>;
    secretsManagerCalls: number;
    outcomeEvents: number;
  };
}

/** The deployed settings the figures depend on, as `osls print` resolves `serverless.yml`. */
export interface DeployedSettings {
  signupMemoryMb: number;
  signupBatchSize: number;
  signupMaxConcurrency: number;
  imRatePerSecond: number;
}

/**
 * Reads the signup function's memory, SQS batch size and maximum concurrency from
 * `serverless.yml` as osls resolves it (params and stage applied; no AWS credentials needed).
 *
 * @example
 * ```ts
 * const deployed = await deployedSettings(root, 190);
 * ```
 */
export async function deployedSettings(root: string, defaultImRate: number): Promise<DeployedSettings> {
  const env: NodeJS.ProcessEnv = { PATH: `${path.join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}` };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, "node_modules/osls/bin/serverless.js"), "print", "--stage", "ci", "--region", "us-east-1", "--format", "json"],
    { cwd: root, env, maxBuffer: 16 * 1024 * 1024 },
  );
  type Fn = { memorySize?: number; events?: { sqs?: { batchSize?: number; maximumConcurrency?: number } }[] };
  const resolved = JSON.parse(stdout) as { provider: { memorySize?: number; environment?: Record<string, unknown> }; functions: Record<string, Fn> };
  const signup = resolved.functions["signup"];
  const sqs = signup?.events?.find((e) => e.sqs)?.sqs;
  const memory = signup?.memorySize ?? resolved.provider.memorySize;
  if (!memory || !sqs?.batchSize || !sqs.maximumConcurrency) throw new Error("serverless.yml: signup needs memorySize and an sqs event with batchSize and maximumConcurrency");
  const rate = Number(resolved.provider.environment?.["IM_RATE_LIMIT_PER_SECOND"] ?? defaultImRate);
  return { signupMemoryMb: memory, signupBatchSize: sqs.batchSize, signupMaxConcurrency: sqs.maximumConcurrency, imRatePerSecond: Number.isFinite(rate) ? rate : defaultImRate };
}

const r = (x: number, digits = 4) => Number(x.toPrecision(digits));

/**
 * The capacity object of bench/results/latest.json: per first-time tenant on the signup path
 * (EventBridge → SQS → signup Lambda), the AWS cost of 10,000 such tenants, and tenants per hour
 * under each limit, the lowest one first.
 *
 * @example
 * ```ts
 * const capacity = capacityFrom(results.warm, await deployedSettings(root, 190));
 * ```
 */
export function capacityFrom(warm: WarmFigures, deployed: DeployedSettings) {
  const ddb = warm.firstTenantUsage.dynamodb;
  const writeUnits = ddb.writeRequestUnits + ddb.indexWriteRequestUnitsEstimated;
  // CPU-bound time in a signup Lambda: the measured CPU time on a full core, slowed to the
  // function's share of a vCPU. Waiting on providers is not CPU and not counted here.
  const vcpuShare = Math.min(1, deployed.signupMemoryMb / LAMBDA_MB_PER_VCPU);
  const lambdaSecondsPerTenant = warm.perTenant.cpuMs / 1000 / vcpuShare;
  const gbSeconds = (deployed.signupMemoryMb / 1024) * lambdaSecondsPerTenant;
  // Per tenant on the signup path, not measured by the warm run (it calls the core directly):
  // the EventBridge rule's SendMessage, and the Lambda poller's ReceiveMessage and
  // DeleteMessageBatch once per batch (a full batch: at capacity batches fill).
  const sqsRequests = 1 + 2 / deployed.signupBatchSize;
  // The TenantSignedUp event that starts it (published to the bus by the signup system) and the
  // outcome event this service publishes (measured).
  const eventBridgeEvents = 1 + warm.firstTenantUsage.outcomeEvents;
  const lambdaInvocations = 1 / deployed.signupBatchSize;
  const per10k = (perTenant: number, perMillion: number) => (perTenant * 10_000 * perMillion) / 1_000_000;
  const cost = {
    dynamodb: per10k(writeUnits, PRICES_USD.dynamodbPerMillionWriteRequestUnits) + per10k(ddb.readRequestUnits, PRICES_USD.dynamodbPerMillionReadRequestUnits),
    lambda: gbSeconds * 10_000 * PRICES_USD.lambdaPerGbSecond + per10k(lambdaInvocations, PRICES_USD.lambdaPerMillionRequests),
    sqs: per10k(sqsRequests, PRICES_USD.sqsPerMillionRequests),
    eventBridge: per10k(eventBridgeEvents, PRICES_USD.eventBridgePerMillionCustomEvents),
    secretsManager: (warm.firstTenantUsage.secretsManagerCalls * 10_000 * PRICES_USD.secretsManagerPer10kApiCalls) / 10_000,
  };
  const total = Object.values(cost).reduce((a, b) => a + b, 0);
  // IM: each command has its own 200/s; the service's fleet budget (IM_RATE_LIMIT_PER_SECOND) is
  // below it. The busiest command per tenant bounds tenants/s.
  const busiest = Object.entries(warm.firstTenantUsage.imCallsByCommand).sort((a, b) => b[1] - a[1])[0] ?? ["create_group", 1];
  const imTenantsPerHour = (deployed.imRatePerSecond / busiest[1]) * 3600;
  const cpuTenantsPerHour = (deployed.signupMaxConcurrency * 3600) / lambdaSecondsPerTenant;
  const limits = [
    {
      limit: `Tencent IM ${IM_LIMIT_PER_COMMAND_PER_SECOND}/s per command per app (the fleet paces at IM_RATE_LIMIT_PER_SECOND=${deployed.imRatePerSecond}; ${busiest[1].toFixed(2)} ${busiest[0]} per tenant)`,
      tenantsPerHour: Math.floor(imTenantsPerHour),
    },
    {
      limit: `signup Lambda CPU: ${deployed.signupMaxConcurrency} executions (maximumConcurrency) × ${deployed.signupMemoryMb} MB (${r(vcpuShare, 3)} vCPU), ${r(warm.perTenant.cpuMs, 3)} ms CPU per tenant on a full core`,
      tenantsPerHour: Math.floor(cpuTenantsPerHour),
    },
  ].sort((a, b) => a.tenantsPerHour - b.tenantsPerHour);
  return {
    source: `this run's warm section (${warm.tenants} first-time tenants, sequential, local stack) and serverless.yml as \`osls print --stage ci\` resolves it`,
    perFirstTimeTenant: {
      dynamodb: {
        requests: r(ddb.requests),
        outcomeStoreRequests: r(ddb.outcomeStoreRequests),
        imLimiterRequests: r(ddb.imLimiterRequests),
        readRequests: r(ddb.readRequests),
        writeRequests: r(ddb.writeRequests),
        readRequestUnits: r(ddb.readRequestUnits),
        writeRequestUnits: r(ddb.writeRequestUnits),
        indexWriteRequestUnitsEstimated: r(ddb.indexWriteRequestUnitsEstimated),
        byOperation: Object.fromEntries(Object.entries(ddb.byOperation).map(([k, v]) => [k, r(v)])),
      },
      lambda: { function: "signup", memoryMb: deployed.signupMemoryMb, vcpuShare: r(vcpuShare, 3), cpuMsOnFullCore: r(warm.perTenant.cpuMs), seconds: r(lambdaSecondsPerTenant), gbSeconds: r(gbSeconds), invocations: r(lambdaInvocations) },
      sqsRequests: r(sqsRequests),
      eventBridgeCustomEvents: r(eventBridgeEvents),
      secretsManagerCalls: r(warm.firstTenantUsage.secretsManagerCalls),
      imCallsByCommand: Object.fromEntries(Object.entries(warm.firstTenantUsage.imCallsByCommand).map(([k, v]) => [k, r(v)])),
    },
    pricesUsd: PRICES_USD,
    costPer10kTenantsUsd: {
      dynamodb: r(cost.dynamodb),
      lambda: r(cost.lambda),
      sqs: r(cost.sqs),
      eventBridge: r(cost.eventBridge),
      secretsManager: r(cost.secretsManager),
      total: r(total),
    },
    tenantsPerHour: limits[0]?.tenantsPerHour ?? null,
    boundBy: limits[0]?.limit ?? null,
    limits,
    slsProject: {
      consumerGroupsPerLogstore: SLS_CONSUMER_GROUPS_PER_LOGSTORE,
      logstoresPerProject: SLS_LOGSTORES_PER_PROJECT,
      tenantsPerProject: SLS_CONSUMER_GROUPS_PER_LOGSTORE * SLS_LOGSTORES_PER_PROJECT,
      note: "a total, not a rate: one consumer group per tenant; 200 logstores per project is from the CreateLogStore API reference (not in shared/reference/PROVIDERS.md) and can be raised by a quota request",
    },
    notes: [
      "Lambda time is CPU-bound time (measured CPU on a full core / the function's vCPU share); time spent waiting on SLS, IM and AWS answers is billed too and is not in it.",
      "SQS requests and Lambda invocations assume full batches of signupBatchSize (at capacity they fill); the Lambda poller's empty long polls are a fixed cost per queue, not per tenant.",
      "DynamoDB write units: the table's as dynalite reports them, plus an estimate of the sparse indexes' writes (dynalite does not report them).",
      "EventBridge counts the TenantSignedUp event that starts the tenant and the outcome event the service publishes.",
    ],
  };
}

/** The capacity as README's table (markdown lines). */
export function capacityTableLines(capacity: ReturnType<typeof capacityFrom>, runDate: string): string[] {
  const p = capacity.perFirstTimeTenant;
  const c = capacity.costPer10kTenantsUsd;
  const usd = (x: number | undefined) => `$${(x ?? 0).toFixed(4)}`;
  return [
    `| per 10,000 first-time tenants (bench run ${runDate}) | requests / units | approx. cost (${PRICES_USD.region.split(" (")[0]}) |`,
    "|---|---|---|",
    `| DynamoDB | ${Math.round(p.dynamodb.requests * 10_000)} requests (${Math.round(p.dynamodb.readRequests * 10_000)} reads, ${Math.round(p.dynamodb.writeRequests * 10_000)} writes; ${Math.round(p.dynamodb.imLimiterRequests * 10_000)} of them IM limiter leases); ${Math.round(p.dynamodb.readRequestUnits * 10_000)} RRU, ${Math.round((p.dynamodb.writeRequestUnits + p.dynamodb.indexWriteRequestUnitsEstimated) * 10_000)} WRU incl. ~${Math.round(p.dynamodb.indexWriteRequestUnitsEstimated * 10_000)} index | ${usd(c.dynamodb)} |`,
    `| Lambda (signup, ${p.lambda.memoryMb} MB) | ${(p.lambda.gbSeconds * 10_000).toFixed(1)} GB-s CPU-bound, ${Math.round(p.lambda.invocations * 10_000)} invocations | ${usd(c.lambda)} |`,
    `| SQS | ${Math.round(p.sqsRequests * 10_000)} requests | ${usd(c.sqs)} |`,
    `| EventBridge | ${Math.round(p.eventBridgeCustomEvents * 10_000)} custom events | ${usd(c.eventBridge)} |`,
    `| Secrets Manager | ${Math.round(p.secretsManagerCalls * 10_000)} calls (cached per process) | ${usd(c.secretsManager)} |`,
    `| **total** | | **${usd(c.total)}** |`,
  ];
}
