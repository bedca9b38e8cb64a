/**
 * The chaos run, shared by `npm run chaos` (1,000 tenants) and the test suite (a few dozen):
 * every tenant is delivered three times at once (one EventBridge signup event through the SQS
 * stand-in and a local event source mapping into the signup handler, two signed webhooks into
 * the webhook handler), against sandboxes that fail, half-succeed, hang and cut connections;
 * then the DLQ is replayed and the backfill re-drives until nothing is unfinished, and the end
 * state is judged by {@link checkInvariants}.
 *
 * Everything runs in this process: dynalite, the Secrets Manager and SQS stand-ins, both
 * provider sandboxes and the real handler modules (imported once the environment points at the
 * stand-ins, so their cold start is the real one).
 */
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { runBackfill, type BackfillReport } from "../../src/backfill/backfill.ts";
import { loadConfig } from "../../src/config/config.ts";
import { systemClock } from "../../src/http/clock.ts";
import { createHttpTransport } from "../../src/http/request.ts";
import type { Clock } from "../../src/http/types.ts";
import { localLambdaContext } from "../../src/local/lambda-context.ts";
import { startSqsEventSource, type SqsEventSource } from "../../src/local/sqs-event-source.ts";
import { startSqsStandIn, type SqsStandIn } from "../../src/local/sqs.ts";
import { LOCAL, startLocalStack, type LocalStack } from "../../src/local/stack.ts";
import type { StepStatus, TenantOutcomes } from "../../src/outcomes/types.ts";
import { logstoreFor } from "../../src/provisioning/logstore-choice.ts";
import { createService, type Service } from "../../src/service.ts";
import { captureOutput, findSecrets, TeeLogger, userSigRecorder, type OutputCapture } from "./capture.ts";
import { chaosTenants, offboardMessageBody, signupMessageBody, signWebhook, updatedTenant, webhookBody, webhookEvent, type ChaosTenant } from "./events.ts";
import {
  DEFAULT_FAULT_MIX,
  imFaultConfig,
  imOutage,
  imPermanentFault,
  slsFaultConfig,
  slsOutage,
  slsPermanentFault,
  type OutageFault,
  tallyFaults,
  type FaultMix,
  type FaultTally,
  type PermanentFault,
} from "./faults.ts";
import { checkInvariants, type ChaosSnapshot, type DesiredTenant, type InvariantResult } from "./invariants.ts";

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  tenants: number;
  /**
   * Share of tenants that, right after their signup deliveries, send an update of their mutable
   * fields (one signup event and one webhook, at once). Default 0.12.
   */
  updateShare?: number;
  /** Share of tenants offboarded right after their signup deliveries (two TenantOffboarded events). Default 0.12. */
  offboardShare?: number;
  mix?: FaultMix;
  /** Tenants given IM 10016 on create_group (permanent). */
  imPermanentTenants?: number;
  /** Tenants given SLS ConsumerGroupQuotaExceed on CreateConsumerGroup (permanent). */
  slsPermanentTenants?: number;
  /** Tenants whose resource is down (every call fails transiently) until the deliveries end; half SLS, half IM. */
  outageTenants?: number;
  /** PROVIDER_ATTEMPT_TIMEOUT_MS: how long a hung provider call is waited for. */
  attemptTimeoutMs?: number;
  /** Tenants whose three deliveries are in flight at once. */
  tenantConcurrency?: number;
  /** SQS event source pollers (Lambda runs several). */
  sqsPollers?: number;
  /**
   * Tenants per SLS logstore on average: SLS holds at most 30 consumer groups per logstore and
   * the service spreads tenants over SLS_LOGSTORE's list by hash, which needs headroom. Default 15.
   */
  tenantsPerLogstore?: number;
  /** Receives before SQS moves a signup message to the DLQ. */
  maxReceiveCount?: number;
  maxBackfillRounds?: number;
  /** Longest wait for the signup queue to drain, per wait. */
  drainTimeoutMs?: number;
  seed?: number;
  /** Tenant id prefix. */
  idPrefix?: string;
  /** Progress lines (written past the output capture). */
  progress?: (line: string) => void;
  /** Also show what the handlers print. */
  showHandlerLogs?: boolean;
}

/** What one backfill round did. */
export interface BackfillRound extends BackfillReport {
  round: number;
  /** Simulated time the round ran at, ahead of the real clock (see {@link runChaos}). */
  simulatedAheadMin: number;
  durationMs: number;
  unfinishedBefore: number;
  unfinishedAfter: number;
}

/** Faults of one sandbox: calls, what was injected, what took effect. */
export interface SandboxFaultReport {
  calls: Record<string, number>;
  totalCalls: number;
  /** Calls the fault injector decided on (rate-limited calls are answered before it). */
  decisions: number;
  injected: number;
  injectedShare: number;
  byKind: FaultTally["byKind"];
  byCode: Record<string, number>;
  throttled: number;
  createsApplied: number;
}

/** The outcome of a chaos run: what happened and the invariant verdicts. */
export interface ChaosResult {
  startedAt: string;
  environment: { node: string; cpus: number; cpuModel: string };
  config: {
    tenants: number;
    deliveriesPerTenant: { sqs: number; webhook: number };
    mix: FaultMix;
    attemptTimeoutMs: number;
    tenantConcurrency: number;
    sqsPollers: number;
    maxReceiveCount: number;
    logstores: number;
    backfill: string;
    permanent: { tenantId: string; step: string; provider: string; code: string }[];
    outages: { tenantId: string; provider: string }[];
    /** Tenants updated and offboarded after their signup (the lifecycle mix). */
    updated: number;
    offboarded: number;
    seed: number;
  };
  deliveries: {
    sqsMessagesSent: number;
    webhookRequests: number;
    webhookStatuses: Record<string, number>;
    webhook409: Record<string, number>;
    webhookLatencyMs: { p50: number; p95: number; p99: number; max: number };
    signupInvocations: number;
    signupRecords: number;
    signupRecordsRetried: number;
    signupHandlerErrors: number;
  };
  dlq: { afterDeliveries: number; replayRounds: number; messagesReplayed: number };
  backfill: { unfinishedAfterDeliveries: number; rounds: BackfillRound[] };
  faults: { sls: SandboxFaultReport; im: SandboxFaultReport };
  counts: {
    /** Outcome events published, per detail type. */
    outcomeEvents: Record<string, number>;
    steps: Partial<Record<StepStatus, number>>;
    stepAttempts: { total: number; max: number };
    slsGroups: number;
    imGroups: number;
    tableItems: Record<string, number>;
  };
  durationsMs: { startup: number; deliveries: number; drain: number; dlq: number; backfill: number; verify: number; total: number };
  invariants: InvariantResult[];
  ok: boolean;
}

type SignupEntry = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type WebhookEntry = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const QUEUES = { signup: "tenant-signup", dlq: "tenant-signup-dlq" } as const;

/** mulberry32, for a reproducible delivery order. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Picks `count` tenants spread over the list (never the same one twice across kinds). */
function pickPermanent(tenants: readonly ChaosTenant[], imCount: number, slsCount: number, cgPrefix: string, groupPrefix: string): PermanentFault[] {
  const total = imCount + slsCount;
  if (total === 0) return [];
  const stride = Math.max(1, Math.floor(tenants.length / total));
  const picked: PermanentFault[] = [];
  for (let k = 0; k < total && k * stride < tenants.length; k++) {
    const tenant = tenants[Math.min(tenants.length - 1, k * stride + Math.floor(stride / 2))] as ChaosTenant;
    picked.push(
      k < imCount
        ? imPermanentFault(tenant.tenantId, `${groupPrefix}${tenant.tenantId}`)
        : slsPermanentFault(tenant.tenantId, `${cgPrefix}${tenant.tenantId}`),
    );
  }
  return picked;
}

/**
 * Runs one chaos scenario end to end and returns what happened with the invariant verdicts;
 * throws only if the harness itself fails.
 *
 * The backfill runs {@link runBackfill} (the scheduled backfill's core) with the same fault mix
 * still on. A FAILED_RETRYABLE step is due again only after its backoff (30 s doubling, up to
 * 1 h): rather than wait that out, each round runs on a clock 61 minutes further ahead than the
 * last (as if the schedule fired after the longest backoff), so every unfinished step is due.
 * Only the walk's due bound and time budget use that clock; claims, leases and provider calls use
 * the real one.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const mix = options.mix ?? DEFAULT_FAULT_MIX;
  const seed = options.seed ?? 20261123;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 400;
  const tenantConcurrency = options.tenantConcurrency ?? 12;
  const sqsPollers = options.sqsPollers ?? 4;
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const maxBackfillRounds = options.maxBackfillRounds ?? 10;
  const drainTimeoutMs = options.drainTimeoutMs ?? 300_000;
  const progress = options.progress ?? (() => undefined);
  const prefix = options.idPrefix ?? "chaos";
  const cgPrefix = "tenant-";
  const groupPrefix = "tenant-";

  const tenants = chaosTenants(options.tenants, prefix);
  const permanent = pickPermanent(tenants, options.imPermanentTenants ?? 0, options.slsPermanentTenants ?? 0, cgPrefix, groupPrefix);
  const permanentIds = new Set(permanent.map((p) => p.tenantId));
  const outages: OutageFault[] = tenants
    .filter((t) => !permanentIds.has(t.tenantId))
    .filter((_, i, list) => i % Math.max(1, Math.floor(list.length / Math.max(1, options.outageTenants ?? 0))) === 1)
    .slice(0, options.outageTenants ?? 0)
    .map((t, i) => (i % 2 === 0 ? slsOutage(t.tenantId, `${cgPrefix}${t.tenantId}`) : imOutage(t.tenantId, t.admin.userId)));
  const targeted = [...permanent, ...outages];
  // The lifecycle mix: updates and offboards among the tenants without injected targeted faults.
  const outageIds = new Set(outages.map((o) => o.tenantId));
  const mixRandom = seededRandom(seed + 17);
  const clean = shuffled(tenants.filter((t) => !permanentIds.has(t.tenantId) && !outageIds.has(t.tenantId)), mixRandom);
  const updateCount = Math.ceil(tenants.length * (options.updateShare ?? 0.12));
  const offboardCount = Math.ceil(tenants.length * (options.offboardShare ?? 0.12));
  const updateIds = new Set(clean.slice(0, updateCount).map((t) => t.tenantId));
  const offboardIds = new Set(clean.slice(updateCount, updateCount + offboardCount).map((t) => t.tenantId));
  /** What each tenant should end as: the last request sent for it. */
  const desired = new Map<string, DesiredTenant>(tenants.map((t) => [t.tenantId, { desired: "PRESENT", spec: t }]));
  const logstoreCount = Math.max(1, Math.ceil(tenants.length / (options.tenantsPerLogstore ?? 15)));

  const savedEnv = { ...process.env };
  let sqs: SqsStandIn | undefined;
  let stack: LocalStack | undefined;
  let service: Service | undefined;
  let sqsClient: SQSClient | undefined;
  let capture: OutputCapture | undefined;
  const sources: SqsEventSource[] = [];
  try {
    sqs = await startSqsStandIn({
      queues: [
        { name: QUEUES.dlq },
        { name: QUEUES.signup, visibilityTimeoutMs: 60_000, redrive: { deadLetterQueueName: QUEUES.dlq, maxReceiveCount } },
      ],
    });
    const queueUrl = sqs.queueUrl(QUEUES.signup);
    const dlqUrl = sqs.queueUrl(QUEUES.dlq);
    stack = await startLocalStack({
      slsLogstoreCount: logstoreCount,
      slsFaults: slsFaultConfig(mix, targeted, seed),
      imFaults: imFaultConfig(mix, targeted, seed + 1),
      env: {
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        SIGNUP_QUEUE_URL: queueUrl,
        PROVIDER_ATTEMPT_TIMEOUT_MS: String(attemptTimeoutMs),
        SLS_CONSUMER_GROUP_PREFIX: cgPrefix,
        IM_GROUP_ID_PREFIX: groupPrefix,
        POWERTOOLS_METRICS_NAMESPACE: "TenantProvisioner",
      },
    });
    const sls = stack.sls;
    const slsTally = tallyFaults(sls.faults);
    const imTally = tallyFaults(stack.im.faults);
    Object.assign(process.env, stack.env);

    // Imported only now: each handler module builds its service from process.env at load.
    const signupModule = await import("../../handlers/signup.ts");
    const webhookModule = await import("../../handlers/webhook.ts");
    const runtime = await import("../../handlers/lib/runtime.ts");

    const userSigs = new Set<string>();
    const logger = new TeeLogger(runtime.log);
    const config = loadConfig(stack.env);
    service = createService(config, { logger, metrics: runtime.metricsSink, transport: userSigRecorder(createHttpTransport(), userSigs).transport });
    const svc = service;
    sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const client = sqsClient;
    const signupHandler = signupModule.createSignupHandler(svc) as unknown as SignupEntry;
    const signup = (event: SQSEvent) => signupHandler(event, localLambdaContext("tenant-provisioner-signup", 30_000));
    // The webhook hands unfinished tenants to SIGNUP_QUEUE_URL with its own SQS client, as deployed.
    const webhook = webhookModule.createWebhookHandler(svc) as unknown as WebhookEntry;
    const startupMs = Date.now() - t0;

    capture = captureOutput({ passThrough: options.showHandlerLogs === true });

    // --- deliveries: each tenant's signup event and two webhooks at once -----------------------
    let signupHandlerErrors = 0;
    for (let i = 0; i < sqsPollers; i++) {
      sources.push(
        startSqsEventSource({
          client,
          queueUrl,
          queueArn: sqs.queueArn(QUEUES.signup),
          pollIntervalMs: 50,
          failedRecordVisibilitySeconds: 1,
          handler: async (event) => {
            try {
              return await signup(event);
            } catch (error) {
              signupHandlerErrors++;
              throw error;
            }
          },
        }),
      );
    }
    const webhookSecret = stack.credentials.webhookSecret;
    const webhookStatuses: Record<string, number> = {};
    const webhook409: Record<string, number> = {};
    const webhookLatencies: number[] = [];
    const replyBodies: string[] = [];
    let webhookRequests = 0;
    let sqsMessagesSent = 0;

    /** A Standard Webhooks sender: retries a 5xx (or no answer) with the same webhook-id. */
    async function sendWebhook(tenant: ChaosTenant): Promise<void> {
      const body = webhookBody(tenant);
      const headers = signWebhook(webhookSecret, body);
      for (let attempt = 1; attempt <= 3; attempt++) {
        webhookRequests++;
        const started = Date.now();
        let status: number;
        try {
          const reply = await webhook(webhookEvent(body, headers), localLambdaContext("tenant-provisioner-webhook", 29_000));
          status = reply.statusCode ?? 0;
          replyBodies.push(reply.body ?? "");
          if (status === 409) {
            const reason = (JSON.parse(reply.body ?? "{}") as { error?: string }).error ?? "?";
            webhook409[reason] = (webhook409[reason] ?? 0) + 1;
          }
        } catch {
          status = 599;
        }
        webhookLatencies.push(Date.now() - started);
        webhookStatuses[String(status)] = (webhookStatuses[String(status)] ?? 0) + 1;
        if (status < 500) return;
        await sleep(200 * attempt);
      }
    }

    async function sendSignupEvent(tenant: ChaosTenant): Promise<void> {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: signupMessageBody(tenant) }));
      sqsMessagesSent++;
    }

    async function sendOffboardEvent(tenant: ChaosTenant, requestedAt: string): Promise<void> {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: offboardMessageBody(tenant.tenantId, requestedAt) }));
      sqsMessagesSent++;
    }

    const random = seededRandom(seed);
    const tDeliveries = Date.now();
    let delivered = 0;
    await pool(shuffled(tenants, random), tenantConcurrency, async (tenant) => {
      await Promise.all([sendSignupEvent(tenant), sendWebhook(tenant), sendWebhook(tenant)]);
      // The webhooks were answered, so the tenant is recorded: now its later lifecycle requests.
      if (updateIds.has(tenant.tenantId)) {
        const next = updatedTenant(tenant);
        desired.set(tenant.tenantId, { desired: "PRESENT", spec: next });
        await Promise.all([sendSignupEvent(next), sendWebhook(next)]);
      } else if (offboardIds.has(tenant.tenantId)) {
        const at = new Date(Date.parse(tenant.requestedAt) + 60_000).toISOString();
        desired.set(tenant.tenantId, { desired: "ABSENT", spec: tenant });
        await Promise.all([sendOffboardEvent(tenant, at), sendOffboardEvent(tenant, at)]);
      }
      delivered++;
      if (delivered % 100 === 0) progress(`delivered ${delivered}/${tenants.length} tenants (${Math.round((Date.now() - tDeliveries) / 1000)} s)`);
    });
    const deliveriesMs = Date.now() - tDeliveries;

    const queueDepth = (name: string) => {
      const d = (sqs as SqsStandIn).depth(name);
      return d.visible + d.inFlight + d.delayed;
    };
    async function drain(): Promise<void> {
      const until = Date.now() + drainTimeoutMs;
      while (queueDepth(QUEUES.signup) > 0 && Date.now() < until) await sleep(100);
    }
    const tDrain = Date.now();
    await drain();
    const drainMs = Date.now() - tDrain;
    progress(`signup queue drained in ${Math.round(drainMs / 1000)} s; DLQ holds ${queueDepth(QUEUES.dlq)}`);

    // --- backfill rounds until nothing is unfinished, then the DLQ replay ---------------------
    async function countUnfinished(): Promise<number> {
      let n = 0;
      let cursor: string | undefined;
      do {
        const page = await svc.store.listUnfinished({ limit: 100, cursor });
        n += page.items.length;
        cursor = page.cursor;
      } while (cursor);
      return n;
    }
    const unfinishedAfterDeliveries = await countUnfinished();
    const dlqAfterDeliveries = queueDepth(QUEUES.dlq);
    progress(`unfinished steps after deliveries: ${unfinishedAfterDeliveries}; DLQ holds ${dlqAfterDeliveries}`);

    const rounds: BackfillRound[] = [];
    let aheadMs = 0;
    let backfillMs = 0;
    async function backfillUntilDone(): Promise<void> {
      const t = Date.now();
      let unfinished = await countUnfinished();
      while (rounds.length < maxBackfillRounds && unfinished > 0) {
        const round = rounds.length + 1;
        aheadMs += 61 * 60_000;
        const offset = aheadMs;
        const clock: Clock = { now: () => Date.now() + offset, sleep: (ms) => systemClock.sleep(ms) };
        const started = Date.now();
        const report = await runBackfill(
          { deadline: clock.now() + 120_000, perTenantBudgetMs: 10_000, concurrency: 16, pageSize: 200 },
          {
            store: svc.store,
            positions: svc.positions,
            reconcile: (state, deadline, walk) => svc.reconcile(state, deadline - offset, `backfill-${round}-${randomUUID()}/${state.tenant?.tenantId ?? ""}`, walk),
            clock,
            logger,
          },
        );
        const after = await countUnfinished();
        rounds.push({ round, simulatedAheadMin: offset / 60_000, durationMs: Date.now() - started, unfinishedBefore: unfinished, unfinishedAfter: after, ...report });
        progress(`backfill round ${round}: ${report.tenants} tenants, ${report.succeeded} succeeded, ${report.retryable} retryable, ${report.permanent} permanent; ${after} unfinished`);
        unfinished = after;
      }
      backfillMs += Date.now() - t;
    }

    // DLQ replay: send first, then delete (a crash in between duplicates, never loses).
    let dlqMs = 0;
    let replayRounds = 0;
    let messagesReplayed = 0;
    async function replayDlq(): Promise<void> {
      const t = Date.now();
      while (queueDepth(QUEUES.dlq) > 0 && replayRounds < 5) {
        replayRounds++;
        for (;;) {
          const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          if (Messages.length === 0) break;
          for (const m of Messages) {
            await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.Body ?? "" }));
            await client.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
            messagesReplayed++;
          }
        }
        await drain();
      }
      dlqMs += Date.now() - t;
    }

    // The outages end; the random mix stays on (configure() replaces the whole configuration, so
    // the IM sandbox's rate limits are carried over).
    sls.faults.configure(slsFaultConfig(mix, permanent, seed + 2));
    stack.im.faults.configure({ ...imFaultConfig(mix, permanent, seed + 3), rateLimits: [...stack.im.faults.config.rateLimits] });
    await backfillUntilDone();
    await replayDlq();
    progress(`DLQ replayed: ${messagesReplayed} message(s) in ${replayRounds} round(s)`);
    // A replayed message can only find finished work; if not, the backfill goes on.
    await backfillUntilDone();

    const statsTotal = { batches: 0, records: 0, failures: 0 };
    for (const source of sources.splice(0)) {
      await source.stop();
      statsTotal.batches += source.stats.batches;
      statsTotal.records += source.stats.records;
      statsTotal.failures += source.stats.failures;
    }
    capture.restore();
    const captured = capture;
    capture = undefined;

    // --- snapshot and verdicts ---------------------------------------------------------------
    const tVerify = Date.now();
    const outcomes = new Map<string, TenantOutcomes>();
    await pool(tenants, 16, async (t) => {
      outcomes.set(t.tenantId, await svc.store.getTenant(t.tenantId));
    });
    const tableItems: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await svc.documentClient.send(new ScanCommand({ TableName: config.outcomeTableName, ExclusiveStartKey: startKey }));
      tableItems.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const itemKinds: Record<string, number> = {};
    for (const item of tableItems) {
      const pk = typeof item["pk"] === "string" ? item["pk"] : "";
      const sk = typeof item["sk"] === "string" ? item["sk"] : "";
      const kind = pk.startsWith("TENANT#") ? (sk === "TENANT" ? "tenant" : "step") : (pk.split("#")[0] ?? pk).toLowerCase();
      itemKinds[kind] = (itemKinds[kind] ?? 0) + 1;
    }

    const slsState = sls.state();
    const imState = stack.im.state();
    const slsGroups = Object.entries(slsState.groups[LOCAL.slsProject] ?? {}).flatMap(([logstore, groups]) => groups.map((g) => ({ ...g, logstore })));
    const secrets = [
      { name: "SLS AccessKeySecret", value: stack.credentials.sls.accessKeySecret },
      { name: "IM SecretKey", value: stack.credentials.im.secretKey },
      { name: "webhook secret", value: webhookSecret },
      { name: "webhook secret (key part)", value: webhookSecret.replace(/^whsec_/, "") },
      ...[...userSigs].map((value, i) => ({ name: `UserSig #${i + 1}`, value })),
    ];
    const outputLines = captured.chunks.join("").split("\n").filter((l) => l.length > 0);
    const scan = findSecrets(
      {
        "stdout/stderr": outputLines,
        "core logger": logger.lines,
        "webhook reply": replyBodies,
        "outcome table": tableItems.map((item) => JSON.stringify(item)),
      },
      secrets,
    );

    const steps: Partial<Record<StepStatus, number>> = {};
    let attemptsTotal = 0;
    let attemptsMax = 0;
    for (const o of outcomes.values()) {
      for (const s of o.steps) {
        steps[s.status] = (steps[s.status] ?? 0) + 1;
        attemptsTotal += s.attempts;
        attemptsMax = Math.max(attemptsMax, s.attempts);
      }
    }
    const outcomeEvents: Record<string, number> = {};
    for (const e of stack.events.events) outcomeEvents[e.detailType] = (outcomeEvents[e.detailType] ?? 0) + 1;
    const snapshot: ChaosSnapshot = {
      tenants,
      permanent,
      desired,
      outcomes,
      events: stack.events.events.map((e) => ({ detailType: e.detailType, detail: e.detail })),
      slsDeleted: slsState.deletedGroups,
      imDestroyed: imState.destroyedGroups,
      unfinishedInIndex: await countUnfinished(),
      consumerGroupPrefix: config.sls.consumerGroupPrefix,
      imGroupIdPrefix: config.im.groupIdPrefix,
      imGroupType: config.im.groupType,
      consumerGroupTimeout: config.sls.consumerGroupTimeout,
      consumerGroupOrder: config.sls.consumerGroupOrder,
      slsGroups,
      logstoreOf: (tenantId) => logstoreFor(tenantId, config.sls.logstores),
      slsCreatesApplied: slsState.createsApplied,
      imGroups: imState.groups,
      imCreatesApplied: imState.counters.createGroupApplied,
      queues: { signup: sqs.depth(QUEUES.signup), dlq: sqs.depth(QUEUES.dlq) },
      webhookStatuses,
      signupHandlerErrors,
      secretScan: { linesScanned: scan.scanned, secretsChecked: secrets.length, leaks: scan.leaks },
    };
    const invariants = checkInvariants(snapshot);
    const verifyMs = Date.now() - tVerify;

    const sandboxReport = (calls: Record<string, number>, tally: FaultTally, throttled: number, createsApplied: number): SandboxFaultReport => {
      const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
      const injected = Object.values(tally.byKind).reduce((a, b) => a + b, 0);
      return {
        calls,
        totalCalls,
        decisions: tally.decisions,
        injected,
        injectedShare: tally.decisions === 0 ? 0 : injected / tally.decisions,
        byKind: tally.byKind,
        byCode: tally.byCode,
        throttled,
        createsApplied,
      };
    };
    const sortedLatency = [...webhookLatencies].sort((a, b) => a - b);
    return {
      startedAt,
      environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown" },
      config: {
        tenants: tenants.length,
        deliveriesPerTenant: { sqs: 1, webhook: 2 },
        mix,
        attemptTimeoutMs,
        tenantConcurrency,
        sqsPollers,
        maxReceiveCount,
        logstores: config.sls.logstores.length,
        backfill: "runBackfill after the outages end, the same fault mix still on; each round 61 simulated minutes after the last",
        permanent: permanent.map((p) => ({ tenantId: p.tenantId, step: p.step, provider: p.provider, code: p.code })),
        outages: outages.map((o) => ({ tenantId: o.tenantId, provider: o.provider })),
        updated: updateIds.size,
        offboarded: offboardIds.size,
        seed,
      },
      deliveries: {
        sqsMessagesSent,
        webhookRequests,
        webhookStatuses,
        webhook409,
        webhookLatencyMs: { p50: percentile(sortedLatency, 50), p95: percentile(sortedLatency, 95), p99: percentile(sortedLatency, 99), max: sortedLatency.at(-1) ?? 0 },
        signupInvocations: statsTotal.batches,
        signupRecords: statsTotal.records,
        signupRecordsRetried: statsTotal.failures,
        signupHandlerErrors,
      },
      dlq: { afterDeliveries: dlqAfterDeliveries, replayRounds, messagesReplayed },
      backfill: { unfinishedAfterDeliveries, rounds },
      faults: {
        sls: sandboxReport(slsState.calls, slsTally, slsState.throttled, slsState.createsApplied),
        im: sandboxReport(imState.counters.calls, imTally, imState.counters.throttled, imState.counters.createGroupApplied),
      },
      counts: { outcomeEvents, steps, stepAttempts: { total: attemptsTotal, max: attemptsMax }, slsGroups: slsGroups.length, imGroups: imState.groups.length, tableItems: itemKinds },
      durationsMs: { startup: startupMs, deliveries: deliveriesMs, drain: drainMs, dlq: dlqMs, backfill: backfillMs, verify: verifyMs, total: Date.now() - t0 },
      invariants,
      ok: invariants.every((i) => i.ok),
    };
  } finally {
    capture?.restore();
    for (const source of sources) await source.stop().catch(() => undefined);
    sqsClient?.destroy();
    service?.close();
    await stack?.close().catch(() => undefined);
    await sqs?.close().catch(() => undefined);
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}
