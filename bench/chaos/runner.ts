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
import { cpus } from "node:os";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { loadConfig } from "../../src/config/config.ts";
import { createHttpTransport } from "../../src/http/request.ts";
import { localLambdaContext } from "../../src/local/lambda-context.ts";
import { startSqsEventSource, type SqsEventSource } from "../../src/local/sqs-event-source.ts";
import { startSqsStandIn, type SqsStandIn } from "../../src/local/sqs.ts";
import { LOCAL, startLocalStack, type LocalStack } from "../../src/local/stack.ts";
import { createService, type Service } from "../../src/service.ts";
import { captureOutput, TeeLogger, userSigRecorder, type OutputCapture } from "./capture.ts";
import { deliverAll, type WebhookEntry } from "./deliveries.ts";
import { DEFAULT_FAULT_MIX, imFaultConfig, slsFaultConfig, tallyFaults, type FaultMix, type FaultTally } from "./faults.ts";
import { checkInvariants, type InvariantResult } from "./invariants.ts";
import { Recovery, type BackfillRound } from "./recovery.ts";
import { planScenario, RESOURCE_PREFIX } from "./scenario.ts";
import { takeSnapshot, type TakenSnapshot } from "./snapshot.ts";

export type { BackfillRound } from "./recovery.ts";

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
  /** Tenants given SLS JsonInfoInvalid on CreateConsumerGroup (permanent). */
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
  /** Outcome events published per detail type, step statuses, resources and table items. */
  counts: TakenSnapshot["counts"];
  durationsMs: { startup: number; deliveries: number; drain: number; dlq: number; backfill: number; verify: number; total: number };
  invariants: InvariantResult[];
  ok: boolean;
}

type SignupEntry = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const QUEUES = { signup: "tenant-signup", dlq: "tenant-signup-dlq" } as const;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function sandboxReport(calls: Record<string, number>, tally: FaultTally, throttled: number, createsApplied: number): SandboxFaultReport {
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
}

/** `count` SQS event source pollers into the signup handler, counting the handler's own errors. */
function startPollers(count: number, sqs: SqsStandIn, client: SQSClient, signup: (event: SQSEvent) => Promise<SQSBatchResponse>) {
  const errors = { count: 0 };
  const sources: SqsEventSource[] = [];
  for (let i = 0; i < count; i++) {
    sources.push(
      startSqsEventSource({
        client,
        queueUrl: sqs.queueUrl(QUEUES.signup),
        queueArn: sqs.queueArn(QUEUES.signup),
        pollIntervalMs: 50,
        failedRecordVisibilitySeconds: 1,
        handler: async (event) => {
          try {
            return await signup(event);
          } catch (error) {
            errors.count++;
            throw error;
          }
        },
      }),
    );
  }
  return { sources, errors };
}

/**
 * Runs one chaos scenario end to end and returns what happened with the invariant verdicts;
 * throws only if the harness itself fails.
 *
 * Phases: plan ({@link planScenario}), deliveries ({@link deliverAll}), drain, then the backfill
 * ({@link Recovery.backfillUntilDone}, the scheduled backfill's core, on a clock that runs ahead
 * so every backoff has passed) with the same fault mix still on, the DLQ redrive, the backfill
 * again, and the verdicts on the end state ({@link takeSnapshot}, {@link checkInvariants}).
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
  const progress = options.progress ?? (() => undefined);

  const scenario = planScenario({
    tenants: options.tenants,
    idPrefix: options.idPrefix ?? "chaos",
    seed,
    imPermanentTenants: options.imPermanentTenants ?? 0,
    slsPermanentTenants: options.slsPermanentTenants ?? 0,
    outageTenants: options.outageTenants ?? 0,
    updateShare: options.updateShare ?? 0.12,
    offboardShare: options.offboardShare ?? 0.12,
  });
  const { tenants, permanent, outages } = scenario;
  const targeted = [...permanent, ...outages];
  const logstoreCount = Math.max(1, Math.ceil(tenants.length / (options.tenantsPerLogstore ?? 15)));

  const savedEnv = { ...process.env };
  let sqs: SqsStandIn | undefined;
  let stack: LocalStack | undefined;
  let service: Service | undefined;
  let sqsClient: SQSClient | undefined;
  let capture: OutputCapture | undefined;
  let sources: SqsEventSource[] = [];
  try {
    sqs = await startSqsStandIn({
      queues: [
        { name: QUEUES.dlq },
        { name: QUEUES.signup, visibilityTimeoutMs: 60_000, redrive: { deadLetterQueueName: QUEUES.dlq, maxReceiveCount } },
      ],
    });
    const queueUrl = sqs.queueUrl(QUEUES.signup);
    stack = await startLocalStack({
      slsLogstoreCount: logstoreCount,
      slsFaults: slsFaultConfig(mix, targeted, seed),
      imFaults: imFaultConfig(mix, targeted, seed + 1),
      env: {
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        SIGNUP_QUEUE_URL: queueUrl,
        PROVIDER_ATTEMPT_TIMEOUT_MS: String(attemptTimeoutMs),
        SLS_CONSUMER_GROUP_PREFIX: RESOURCE_PREFIX,
        IM_GROUP_ID_PREFIX: RESOURCE_PREFIX,
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
    const logger = new TeeLogger(runtime.logger);
    const config = loadConfig(stack.env);
    service = createService(config, { logger, metrics: runtime.metricsSink, transport: userSigRecorder(createHttpTransport(), userSigs).transport });
    const svc = service;
    sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const client = sqsClient;
    const signupHandler = signupModule.createSignupHandler(svc) as unknown as SignupEntry;
    // The webhook hands unfinished tenants to SIGNUP_QUEUE_URL with its own SQS client, as deployed.
    const webhook = webhookModule.createWebhookHandler(svc) as unknown as WebhookEntry;
    const startupMs = Date.now() - t0;

    capture = captureOutput({ passThrough: options.showHandlerLogs === true });

    // --- deliveries: each tenant's signup event and two webhooks at once -----------------------
    const pollers = startPollers(sqsPollers, sqs, client, (event) => signupHandler(event, localLambdaContext("tenant-provisioner-signup", 30_000)));
    sources = pollers.sources;
    const webhookSecret = stack.credentials.webhookSecret;
    const tDeliveries = Date.now();
    const deliveries = await deliverAll(scenario, { webhook, webhookSecret, sqs: client, queueUrl }, { concurrency: tenantConcurrency, seed, progress });
    const deliveriesMs = Date.now() - tDeliveries;

    const recovery = new Recovery({
      service: svc,
      sqs,
      client,
      queues: QUEUES,
      drainTimeoutMs: options.drainTimeoutMs ?? 300_000,
      maxBackfillRounds: options.maxBackfillRounds ?? 10,
      logger,
      progress,
    });
    const tDrain = Date.now();
    await recovery.drain();
    const drainMs = Date.now() - tDrain;
    progress(`signup queue drained in ${Math.round(drainMs / 1000)} s; DLQ holds ${recovery.queueDepth(QUEUES.dlq)}`);

    // --- backfill rounds until nothing is unfinished, then the DLQ replay ---------------------
    const unfinishedAfterDeliveries = await recovery.countUnfinished();
    const dlqAfterDeliveries = recovery.queueDepth(QUEUES.dlq);
    progress(`unfinished steps after deliveries: ${unfinishedAfterDeliveries}; DLQ holds ${dlqAfterDeliveries}`);

    // The outages end; the random mix stays on (configure() replaces the whole configuration, so
    // the IM sandbox's rate limits are carried over).
    sls.faults.configure(slsFaultConfig(mix, permanent, seed + 2));
    stack.im.faults.configure({ ...imFaultConfig(mix, permanent, seed + 3), rateLimits: [...stack.im.faults.config.rateLimits] });
    await recovery.backfillUntilDone();
    await recovery.replayDlq();
    progress(`DLQ replayed: ${recovery.messagesReplayed} message(s) in ${recovery.replayRounds} round(s)`);
    // A replayed message can only find finished work; if not, the backfill goes on.
    await recovery.backfillUntilDone();

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
    const { snapshot, counts } = await takeSnapshot({
      scenario,
      service: svc,
      config,
      stack,
      sqs,
      queues: QUEUES,
      deliveries,
      signupHandlerErrors: pollers.errors.count,
      unfinishedInIndex: await recovery.countUnfinished(),
      output: { lines: captured.chunks.join("").split("\n").filter((l) => l.length > 0), logger },
      webhookSecret,
      userSigs,
    });
    const invariants = checkInvariants(snapshot);
    const verifyMs = Date.now() - tVerify;

    const slsState = sls.state();
    const imState = stack.im.state();
    const sortedLatency = [...deliveries.webhookLatencies].sort((a, b) => a - b);
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
        logstores: logstoreCount,
        backfill: "runBackfill after the outages end, the same fault mix still on; each round 61 simulated minutes after the last",
        permanent: permanent.map((p) => ({ tenantId: p.tenantId, step: p.step, provider: p.provider, code: p.code })),
        outages: outages.map((o) => ({ tenantId: o.tenantId, provider: o.provider })),
        updated: scenario.updateIds.size,
        offboarded: scenario.offboardIds.size,
        seed,
      },
      deliveries: {
        sqsMessagesSent: deliveries.sqsMessagesSent,
        webhookRequests: deliveries.webhookRequests,
        webhookStatuses: deliveries.webhookStatuses,
        webhook409: deliveries.webhook409,
        webhookLatencyMs: { p50: percentile(sortedLatency, 50), p95: percentile(sortedLatency, 95), p99: percentile(sortedLatency, 99), max: sortedLatency.at(-1) ?? 0 },
        signupInvocations: statsTotal.batches,
        signupRecords: statsTotal.records,
        signupRecordsRetried: statsTotal.failures,
        signupHandlerErrors: pollers.errors.count,
      },
      dlq: { afterDeliveries: dlqAfterDeliveries, replayRounds: recovery.replayRounds, messagesReplayed: recovery.messagesReplayed },
      backfill: { unfinishedAfterDeliveries, rounds: recovery.rounds },
      faults: {
        sls: sandboxReport(slsState.calls, slsTally, slsState.throttled, slsState.createsApplied),
        im: sandboxReport(imState.counters.calls, imTally, imState.counters.throttled, imState.counters.createGroupApplied),
      },
      counts,
      durationsMs: { startup: startupMs, deliveries: deliveriesMs, drain: drainMs, dlq: recovery.dlqMs, backfill: recovery.backfillMs, verify: verifyMs, total: Date.now() - t0 },
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
