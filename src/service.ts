import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { DocumentClient } from "./aws/dynamodb/index.ts";
import { awsClientOptions, withoutSdkLogging } from "./aws/client-options.ts";
import { createDocumentClient } from "./aws/document-client.ts";
import { BackfillPositionStore } from "./backfill/cursor-store.ts";
import type { ServiceConfig } from "./config/config.ts";
import type { ProviderRetryInfo } from "./errors.ts";
import { createCredentialSources, type CredentialSources } from "./credentials/index.ts";
import { systemClock } from "./http/clock.ts";
import { createHttpTransport } from "./http/request.ts";
import type { FleetRateLimiter } from "./limits/fleet-limiter.ts";
import { createImFleetLimiter } from "./limits/im-limiter.ts";
import { growingRegistry, LogstoreRegistry, logstoresAtSls } from "./logstores/index.ts";
import type { Clock, HttpTransport } from "./http/types.ts";
import type { ProvisionMetrics } from "./observability/metrics.ts";
import { OutcomeStore } from "./outcomes/store.ts";
import { createSlsClient, type SlsClient } from "./providers/sls/index.ts";
import { createTencentImClient, type TencentImClient } from "./providers/tencent-im/index.ts";
import { createOutcomeEventPublisher, type OutcomeEventPublisher } from "./events/index.ts";
import { reportDroppedAnnouncement, type OutcomeAnnouncer } from "./provisioning/announce.ts";
import { eventBridgeAnnouncer } from "./provisioning/outcome-events.ts";
import { declareAbsent, redrive, type Declared } from "./provisioning/desired-state.ts";
import { provision, reconcile, reconcileListed, type ProvisionDependencies, type ReconcileOptions } from "./provisioning/provision.ts";
import type { StepRegistry } from "./provisioning/step-module.ts";
import { builtInSteps } from "./provisioning/steps/index.ts";
import type { TenantOnboarding } from "./provisioning/tenant.ts";
import type { ProvisionLogger, ProvisionResult } from "./provisioning/types.ts";
import type { StepName, TenantOutcomes } from "./outcomes/types.ts";
import { RejectionStore } from "./rejections/rejection-store.ts";
import { WebhookReplayGuard } from "./webhook/replay-guard.ts";
import { WebhookSigningKeys } from "./webhook/signing-keys.ts";

/** Who runs a provisioning pass and until when (epoch ms); every run method takes it. */
export interface RunOptions {
  deadline: number;
  /** The lease owner of the steps this run claims. */
  workerId: string;
}

/**
 * What every entry point uses, built once per process (cold start) without any I/O. Each Lambda
 * function adds only the parts its handler needs (`handlers/lib/runtime-service.ts`), so a bundle
 * carries no other function's parts; {@link Service} has them all.
 */
export interface CoreService {
  config: ServiceConfig;
  store: OutcomeStore;
  credentials: CredentialSources;
  /** The SLS clients made so far, one per logstore (see `slsClientFor`). */
  slsClients: ReadonlyMap<string, SlsClient>;
  /** The SLS client of one logstore, made on first use (all share the transport). */
  slsClientFor(logstore: string): SlsClient;
  /** The logstores tenants' consumer groups go in, and their slots (in the outcome table). */
  logstores: LogstoreRegistry;
  im: TencentImClient;
  /** The fleet limiter every IM call of this process goes through; its counters say how much leased budget went unused. */
  imLimiter: Pick<FleetRateLimiter, "stats">;
  documentClient: DocumentClient;
  /** The steps every tenant has (the built-in ones unless overridden). */
  steps: StepRegistry;
  /**
   * Declares the tenant PRESENT with the request's spec (new tenant, update, or nothing when
   * unchanged) and reconciles it by `deadline` (epoch ms), claiming steps as `workerId`.
   * Throws ImmutableFieldError (nothing written) when the request changes a fixed field.
   */
  provision(tenant: TenantOnboarding, run: RunOptions): Promise<ProvisionResult>;
  /** Reconciles a recorded tenant toward its stored desired state (the backfill's re-drive). */
  reconcile(state: TenantOutcomes, run: RunOptions & ReconcileOptions): Promise<ProvisionResult>;
  /**
   * Reconciles a tenant as the backfill's page listed it, under a lease instead of a read, when
   * the listing is enough; `undefined` when it is not (read the tenant and {@link reconcile}).
   */
  reconcileListed(listed: TenantOutcomes, run: RunOptions & ReconcileOptions): Promise<ProvisionResult | undefined>;
  /**
   * Declares the tenant ABSENT (offboarding), then reconciles: each step removes its resource.
   * `requestedAt` is the event's time (an older one than the current request is stale), or
   * `"now"` for an operator's request, which always applies.
   */
  offboard(request: { tenantId: string; requestedAt: string | "now"; source: string }, run: RunOptions): Promise<ProvisionResult>;
  /**
   * An operator re-drive: a new generation in which the failed steps (or `step`) run again; a
   * FAILED_RETRYABLE step runs now, not at its `nextAttemptAt`; and an outcome announcement given
   * up at the current generation is published again (`announcementRedriven`).
   */
  retry(
    request: { tenantId: string; step?: StepName | undefined },
    run: RunOptions,
  ): Promise<{ declared: Declared; announcementRedriven: boolean; result: ProvisionResult }>;
  close(): void;
}

/** The signup handler's part: invalid queue events, kept for operators. */
export interface SignupParts {
  rejections: RejectionStore;
}

/** The webhook handler's parts. */
export interface WebhookParts {
  /** Remembers accepted webhook ids. */
  replayGuard: WebhookReplayGuard;
  /** The webhook signing keys, from the webhook secret (re-read on a bad signature, paced). */
  webhookKeys: WebhookSigningKeys;
}

/** The backfill handler's part: where its walk over the unfinished tenants stands. */
export interface BackfillParts {
  positions: BackfillPositionStore;
}

/** Everything: the core and every handler's parts (tests, the local stack, the CLI). */
export interface Service extends CoreService, SignupParts, WebhookParts, BackfillParts {}

/** Replaceable parts, for tests and the local stack. */
export interface ServiceOverrides {
  clock?: Clock;
  transport?: HttpTransport;
  documentClient?: DocumentClient;
  secretsClient?: SecretsManagerClient;
  logger?: ProvisionLogger;
  metrics?: ProvisionMetrics;
  /** Publishes terminal outcomes; absent: they are only recorded. */
  announcer?: OutcomeAnnouncer;
  /** Replaces or extends the step registry (a test registers a step of its own). */
  steps?: (builtIn: StepRegistry) => StepRegistry;
}

/**
 * The whole service, every handler's parts included (tests, the local stack, the CLI; a Lambda
 * function builds the core and its own parts, `handlers/lib/runtime-service.ts`). No request is
 * made until the first call needs one.
 *
 * @example
 * ```ts
 * const service = createService(loadConfig(process.env));
 * await service.provision(tenant, { deadline: Date.now() + 20_000, workerId: "worker-1" });
 * ```
 */
export function createService(config: ServiceConfig, overrides: ServiceOverrides = {}): Service {
  const core = createCoreService(config, overrides);
  return Object.assign(core, signupParts(core), webhookParts(core, overrides), backfillParts(core));
}

/**
 * The composition root: wires configuration, credentials, provider clients, the outcome store
 * and the provisioning core. Lambda handlers call it once at cold start; no request is made
 * until the first invocation needs one.
 *
 * @example
 * ```ts
 * const core = createCoreService(loadConfig(process.env));
 * await core.offboard({ tenantId: "acme", requestedAt: "now", source: "operator" }, { deadline: Date.now() + 20_000, workerId: "worker-1" });
 * ```
 */
export function createCoreService(config: ServiceConfig, overrides: ServiceOverrides = {}): CoreService {
  const clock = overrides.clock ?? systemClock;
  const transport = overrides.transport ?? createHttpTransport();
  // The SDK clients read AWS_ENDPOINT_URL_* themselves: the same code reaches local stand-ins.
  // Each has connection and request timeouts and stops at the invocation deadline (src/aws).
  const documentClient = overrides.documentClient ?? createDocumentClient();
  const credentials = createCredentialSources({
    client: overrides.secretsClient ?? withoutSdkLogging(new SecretsManagerClient(awsClientOptions())),
    slsSecretId: config.secrets.slsSecretId,
    imSecretId: config.secrets.imSecretId,
    webhookSecretId: config.secrets.webhookSecretId,
    maxAgeMs: config.secrets.maxAgeMs,
    clock,
  });
  const onRetry = (info: ProviderRetryInfo) => {
    overrides.metrics?.providerRetry(info.provider, info.code);
    overrides.logger?.info("provider call retried", { ...info });
  };
  const store = new OutcomeStore({ tableName: config.outcomeTableName, client: documentClient, clock });
  // One client per logstore (each signs for its own paths), made on first use; all share the transport.
  const slsClients = new Map<string, SlsClient>();
  const slsClientFor = (logstore: string): SlsClient => {
    let client = slsClients.get(logstore);
    if (!client) {
      client = createSlsClient({
        endpoint: config.sls.endpoint,
        project: config.sls.project,
        logstore,
        credentials: credentials.sls,
        signature: config.sls.signature,
        ...(config.sls.connectTo ? { connectTo: config.sls.connectTo } : {}),
        transport,
        clock,
        attemptTimeoutMs: config.providerAttemptTimeoutMs,
        onRetry,
      });
      slsClients.set(logstore, client);
    }
    return client;
  };
  for (const logstore of config.sls.logstores) slsClientFor(logstore);
  const logstores = new LogstoreRegistry({
    client: documentClient,
    tableName: config.outcomeTableName,
    clock,
    // A deployment that still lists SLS_LOGSTORE: an empty registry is filled from that list.
    seed: config.sls.logstores.length > 0 ? () => logstoresAtSls(config.sls.logstores, config.sls.consumerGroupPrefix, slsClientFor) : undefined,
  });
  // One IM budget for the whole fleet: slots leased from the outcome table (src/limits).
  const imLimiter = createImFleetLimiter({
    client: documentClient,
    tableName: config.outcomeTableName,
    ratePerSecond: config.im.rateLimitPerSecond,
    maxProcesses: config.im.fleetMaxProcesses,
    clock,
    logger: overrides.logger,
    metrics: overrides.metrics,
  });
  const im = createTencentImClient({
    domain: config.im.domain,
    credentials: credentials.im,
    connectTo: config.im.connectTo,
    transport,
    clock,
    attemptTimeoutMs: config.providerAttemptTimeoutMs,
    rateLimiter: imLimiter,
    onRetry,
  });
  // Outcome events go to EventBridge when a bus is configured (the client is built on first use).
  let publisher: OutcomeEventPublisher | undefined;
  const busName = config.outcomeEventBusName;
  const announcer =
    overrides.announcer ??
    (busName
      ? eventBridgeAnnouncer({
          publish: (events) => (publisher ??= createOutcomeEventPublisher({ eventBusName: busName })).publish(events),
        })
      : undefined);
  // SLS_LOGSTORE_AUTO_CREATE: a tenant that finds every logstore full gets a new one (src/logstores/growth.ts).
  const autoCreate = config.sls.logstoreAutoCreate;
  const placement = autoCreate
    ? growingRegistry({
        registry: logstores,
        project: config.sls.project,
        prefix: autoCreate.prefix,
        settings: { ttl: autoCreate.ttl, shardCount: autoCreate.shardCount },
        createLogStore: (logstore, callOptions) => slsClientFor(logstore.name).createLogStore(logstore, callOptions),
        existing: async (name) => {
          const [found] = await logstoresAtSls([name], config.sls.consumerGroupPrefix, slsClientFor);
          return found ?? { name };
        },
        onGrown: ({ logstore, created }) => overrides.logger?.info("logstore registry grown", { logstore, created }),
      })
    : logstores;
  const builtIn = builtInSteps({ config, slsClientFor, logstores: placement, im, imCredentials: credentials.im });
  const steps = overrides.steps ? overrides.steps(builtIn) : builtIn;
  const deps = (workerId: string): ProvisionDependencies => ({
    store,
    steps,
    workerId,
    safetyMarginMs: config.safetyMarginMs,
    clock,
    ...(announcer ? { announcer } : {}),
    ...(overrides.logger ? { logger: overrides.logger } : {}),
    ...(overrides.metrics ? { metrics: overrides.metrics } : {}),
  });
  const names = steps.map((s) => s.name);

  return {
    config,
    store,
    credentials,
    slsClients,
    slsClientFor,
    logstores,
    im,
    imLimiter,
    documentClient,
    steps,
    provision: (tenant, { workerId, ...budget }) => provision(tenant, budget, deps(workerId)),
    reconcile: (state, { deadline, workerId, ...options }) => reconcile(state, deadline, deps(workerId), options),
    reconcileListed: (listed, { deadline, workerId, ...options }) => reconcileListed(listed, deadline, deps(workerId), options),
    async offboard({ tenantId, requestedAt, source }, { deadline, workerId }) {
      const declared = await declareAbsent(tenantId, requestedAt, source, names, store, clock);
      reportDroppedAnnouncement(declared, overrides.logger);
      return reconcile(declared, deadline, deps(workerId));
    },
    async retry({ tenantId, step }, { deadline, workerId }) {
      const declared = await redrive(tenantId, step, names, store);
      reportDroppedAnnouncement(declared, overrides.logger);
      // An outcome announcement given up at this generation is published again (same event).
      const failure = declared.tenant.announceFailure;
      const again =
        failure?.gaveUp === true && failure.generation === declared.tenant.generation
          ? await store.redriveAnnouncement(tenantId, declared.tenant.generation)
          : undefined;
      const state = again ? { ...declared, tenant: again } : declared;
      return { declared, announcementRedriven: again !== undefined, result: await reconcile(state, deadline, deps(workerId), { ignoreBackoff: true }) };
    },
    close() {
      for (const client of slsClients.values()) client.close();
      im.close();
      publisher?.close();
      transport.close();
    },
  };
}

/**
 * The signup handler's part, on the core's table.
 *
 * @example
 * ```ts
 * const service = { ...core, ...signupParts(core) };
 * ```
 */
export function signupParts(core: CoreService): SignupParts {
  return { rejections: new RejectionStore(core.documentClient, core.config.outcomeTableName) };
}

/**
 * The webhook handler's parts, on the core's table and webhook secret.
 *
 * @example
 * ```ts
 * const service = { ...core, ...webhookParts(core, { logger }) };
 * ```
 */
export function webhookParts(core: CoreService, overrides: Pick<ServiceOverrides, "clock" | "logger"> = {}): WebhookParts {
  return {
    replayGuard: new WebhookReplayGuard(core.documentClient, core.config.outcomeTableName),
    webhookKeys: new WebhookSigningKeys(core.credentials.webhook, {
      clock: overrides.clock ?? systemClock,
      onReread: (reason, outcome) => {
        if (outcome === "failed") overrides.logger?.warn("webhook signing keys could not be read; using the last list read", { reason });
      },
    }),
  };
}

/**
 * The backfill handler's part, on the core's table.
 *
 * @example
 * ```ts
 * const service = { ...core, ...backfillParts(core) };
 * ```
 */
export function backfillParts(core: CoreService): BackfillParts {
  return { positions: new BackfillPositionStore(core.documentClient, core.config.outcomeTableName) };
}
