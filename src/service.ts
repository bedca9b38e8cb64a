import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { awsClientOptions } from "./aws/client-options.ts";
import { BackfillPositionStore } from "./backfill/cursor-store.ts";
import type { ServiceConfig } from "./config/config.ts";
import type { ProviderRetryInfo } from "./errors.ts";
import { createCredentialSources, type CredentialSource, type CredentialSources, type ImCredentials } from "./credentials/index.ts";
import { systemClock } from "./http/clock.ts";
import { createHttpTransport } from "./http/request.ts";
import type { Clock, HttpTransport } from "./http/types.ts";
import type { ProvisionMetrics } from "./observability/metrics.ts";
import { OutcomeStore } from "./outcomes/store.ts";
import type { StepRecord } from "./outcomes/types.ts";
import { createSlsClient, type SlsClient } from "./providers/sls/index.ts";
import { createTencentImClient, type TencentImClient } from "./providers/tencent-im/index.ts";
import { planTenant, type ImGroupPlan } from "./provisioning/plan.ts";
import { provision } from "./provisioning/provision.ts";
import { assertNotImAppAdmin, type TenantOnboarding } from "./provisioning/tenant.ts";
import type { ConsumerGroupProvisioner, ImGroupProvisioner, ProvisionLogger, ProvisionResult } from "./provisioning/types.ts";

/** Everything the entry points use, built once per process (cold start) without any I/O. */
export interface Service {
  config: ServiceConfig;
  store: OutcomeStore;
  positions: BackfillPositionStore;
  credentials: CredentialSources;
  /** One SLS client per configured logstore. */
  slsClients: ReadonlyMap<string, SlsClient>;
  im: TencentImClient;
  documentClient: DynamoDBDocumentClient;
  /**
   * Provisions one tenant by `deadline` (epoch ms), claiming steps as `workerId`; `registered`
   * are its step records when the caller just read them (skips registration).
   */
  provision(tenant: TenantOnboarding, deadline: number, workerId: string, registered?: readonly StepRecord[]): Promise<ProvisionResult>;
  close(): void;
}

/** Replaceable parts, for tests and the local stack. */
export interface ServiceOverrides {
  clock?: Clock;
  transport?: HttpTransport;
  documentClient?: DynamoDBDocumentClient;
  secretsClient?: SecretsManagerClient;
  logger?: ProvisionLogger;
  metrics?: ProvisionMetrics;
}

/**
 * The composition root: wires configuration, credentials, provider clients, the outcome store
 * and the provisioning core. Lambda handlers call it once at cold start; no request is made
 * until the first invocation needs one.
 *
 * @example
 * ```ts
 * const service = createService(loadConfig(process.env));
 * await service.provision(tenant, Date.now() + 20_000, "worker-1");
 * ```
 */
export function createService(config: ServiceConfig, overrides: ServiceOverrides = {}): Service {
  const clock = overrides.clock ?? systemClock;
  const transport = overrides.transport ?? createHttpTransport();
  // The SDK clients read AWS_ENDPOINT_URL_* themselves: the same code reaches local stand-ins.
  // Each has connection and request timeouts and stops at the invocation deadline (src/aws).
  const documentClient =
    overrides.documentClient ??
    DynamoDBDocumentClient.from(new DynamoDBClient(awsClientOptions()), { marshallOptions: { removeUndefinedValues: true } });
  const credentials = createCredentialSources({
    client: overrides.secretsClient ?? new SecretsManagerClient(awsClientOptions()),
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
  // One client per logstore (each signs for its own paths); all share the transport.
  const slsClients = new Map<string, SlsClient>(
    config.sls.logstores.map((logstore) => [
      logstore,
      createSlsClient({
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
      }),
    ]),
  );
  const sls: ConsumerGroupProvisioner = {
    ensureConsumerGroup: (plan, options) => {
      const client = slsClients.get(plan.logstore);
      if (!client) throw new Error(`no SLS client for logstore ${plan.logstore}`);
      return client.ensureConsumerGroup({ name: plan.name, timeout: plan.timeout, order: plan.order }, options);
    },
  };
  const im = createTencentImClient({
    domain: config.im.domain,
    credentials: credentials.im,
    connectTo: config.im.connectTo,
    transport,
    clock,
    attemptTimeoutMs: config.providerAttemptTimeoutMs,
    rateLimits: {
      account_import: config.im.rateLimitPerSecond,
      create_group: config.im.rateLimitPerSecond,
      get_group_info: config.im.rateLimitPerSecond,
      destroy_group: config.im.rateLimitPerSecond,
    },
    onRetry,
  });
  const imGroups = imGroupProvisioner(im, credentials.im);

  return {
    config,
    store,
    positions: new BackfillPositionStore(documentClient, config.outcomeTableName),
    credentials,
    slsClients,
    im,
    documentClient,
    provision: (tenant, deadline, workerId, registered) =>
      provision(tenant, { deadline, registered }, {
        store,
        sls,
        im: imGroups,
        plan: (t) => planTenant(t, config),
        workerId,
        safetyMarginMs: config.safetyMarginMs,
        clock,
        ...(overrides.logger ? { logger: overrides.logger } : {}),
        ...(overrides.metrics ? { metrics: overrides.metrics } : {}),
      }),
    close() {
      for (const client of slsClients.values()) client.close();
      im.close();
      transport.close();
    },
  };
}

/**
 * Adapts the IM client to the core: members must be imported accounts (else 10019), so each is
 * imported (idempotent) before the group is ensured; the marker ties the group to its tenant.
 */
function imGroupProvisioner(im: TencentImClient, imCredentials: CredentialSource<ImCredentials>): ImGroupProvisioner {
  return {
    async ensureGroup(plan: ImGroupPlan, options) {
      // Before any import: the app admin must never become a tenant's account.
      const { adminIdentifier } = await imCredentials.get();
      assertNotImAppAdmin({ admin: plan.owner.userId, members: plan.members.map((m) => m.userId) }, adminIdentifier);
      // Imported side by side: the client's token bucket paces them under IM's rate limit.
      await Promise.all(plan.members.map((member) => im.accountImport({ userId: member.userId }, options)));
      return im.ensureGroup(
        {
          type: plan.type,
          name: plan.name,
          groupId: plan.groupId,
          ownerAccount: plan.owner.userId,
          ownerProfile: { nick: plan.owner.nick },
          marker: plan.marker,
          introduction: plan.introduction,
          notification: plan.notification,
          faceUrl: plan.faceUrl,
          applyJoinOption: plan.applyJoinOption,
          members: plan.members.map((m) => ({ userId: m.userId, role: m.role })),
        },
        options,
      );
    },
  };
}
