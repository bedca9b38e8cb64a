import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "../aws/dynamodb/document-client.ts";
import { randomBytes } from "node:crypto";
import { LogstoreRegistry } from "../logstores/index.ts";
import type { FaultConfig } from "../sandbox/faults.ts";
import { startSlsSandbox, type SlsSandbox } from "../sandbox/sls/index.ts";
import { startTencentImSandbox, type ImSandbox } from "../sandbox/tencent-im/index.ts";
import { startDynalite, type RunningDynalite } from "./dynalite.ts";
import { ensureOutcomeTable } from "./dynamodb-table.ts";
import { startEventBridgeStandIn, type EventBridgeStandIn } from "./eventbridge.ts";
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from "./secrets-manager.ts";

/** Fixed names of the local stack's resources. */
export const LOCAL = {
  region: "us-east-1",
  slsEndpoint: "cn-shanghai.log.aliyuncs.com",
  slsProject: "tenant-provisioner-local",
  /** Logstores are `tenant-events-<n>`; SLS holds 30 consumer groups per logstore. */
  slsLogstorePrefix: "tenant-events-",
  imDomain: "console.tim.qq.com",
  imSdkAppId: 1400000001,
  imAdmin: "administrator",
  table: "tenant-outcomes-local",
  /** The bus outcome events go to (OUTCOME_EVENT_BUS_NAME). */
  outcomeEventBus: "tenant-outcome-events-local",
  secrets: { sls: "local/sls", im: "local/tencent-im", webhook: "local/webhook" },
} as const;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Fixed ports (for `npm start`); 0 or absent picks free ones (tests). */
  ports?: Partial<Record<"dynamodb" | "secrets" | "sls" | "im" | "events", number>>;
  /**
   * How many logstores the SLS sandbox has (30 consumer groups each), all registered in the
   * table's logstore registry. Default 8.
   */
  slsLogstoreCount?: number;
  /**
   * Each logstore's capacity in the registry (default SLS's 30). The bench, which empties the
   * sandbox as it goes, registers more so thousands of tenants fit.
   */
  slsLogstoreCapacity?: number;
  /** Logstores the sandbox's project may hold, its starting ones included (default SLS's 200). */
  slsLogstoreQuota?: number;
  slsFaults?: Partial<FaultConfig>;
  imFaults?: Partial<FaultConfig>;
  /** Overrides merged into the service environment. */
  env?: Record<string, string>;
  /**
   * A DynamoDB stand-in already running elsewhere (the bench runs dynalite in a process of its
   * own, as DynamoDB is a service of its own); the stack then starts none and creates its table
   * there. Its `port` is 0 and `close()` leaves it running.
   */
  dynamodbEndpoint?: string;
}

/** A running local stack: every cloud part the service talks to, on 127.0.0.1. */
export interface LocalStack {
  /** The environment a handler (or `createService(loadConfig(env))`) needs to use the stack. */
  env: Record<string, string>;
  dynamodb: RunningDynalite;
  secrets: SecretsManagerStandIn;
  sls: SlsSandbox;
  im: ImSandbox;
  /** The EventBridge stand-in holding the outcome event bus. */
  events: EventBridgeStandIn;
  /** The sandbox credentials the secrets were seeded with (local only, random per start). */
  credentials: {
    sls: { accessKeyId: string; accessKeySecret: string };
    im: { sdkAppId: number; secretKey: string; adminIdentifier: string };
    webhookSecret: string;
  };
  close(): Promise<void>;
}

/**
 * Starts dynalite (with the outcome table), the Secrets Manager stand-in (seeded with random
 * sandbox credentials), both provider sandboxes and the EventBridge stand-in (outcome events), and returns the environment that points the
 * unchanged service code at them (the AWS SDK's own `AWS_ENDPOINT_URL_*` settings).
 *
 * @example
 * ```ts
 * const stack = await startLocalStack();
 * Object.assign(process.env, stack.env);
 * const service = createService(loadConfig(process.env));
 * ```
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ports = options.ports ?? {};
  const credentials = {
    sls: { accessKeyId: `LTAI${randomBytes(8).toString("hex")}`, accessKeySecret: randomBytes(18).toString("base64url") },
    im: { sdkAppId: LOCAL.imSdkAppId, secretKey: randomBytes(32).toString("hex"), adminIdentifier: LOCAL.imAdmin },
    webhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
  };
  const logstores = Array.from({ length: options.slsLogstoreCount ?? 8 }, (_, i) => `${LOCAL.slsLogstorePrefix}${i}`);
  const started: { close(): Promise<void> }[] = [];
  try {
    const dynamodb: RunningDynalite =
      options.dynamodbEndpoint === undefined ? await startDynalite({ port: ports.dynamodb ?? 0 }) : { endpoint: options.dynamodbEndpoint, port: 0, close: async () => undefined };
    started.push(dynamodb);
    const localAccess = { endpoint: dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    // CreateTable through the SDK's client (local only); the items through the service's own.
    const ddb = new DynamoDBClient(localAccess);
    await ensureOutcomeTable(ddb, LOCAL.table);
    ddb.destroy();
    const documents = new DynamoDBDocumentClient(localAccess);
    // The registry names the logstores tenants are placed in (what `logstores add` does in AWS).
    await new LogstoreRegistry({ client: documents, tableName: LOCAL.table }).add(logstores.map((name) => ({ name, capacity: options.slsLogstoreCapacity })));
    documents.destroy();

    const secrets = await startSecretsManagerStandIn({
      port: ports.secrets ?? 0,
      secrets: {
        [LOCAL.secrets.sls]: JSON.stringify(credentials.sls),
        [LOCAL.secrets.im]: JSON.stringify(credentials.im),
        [LOCAL.secrets.webhook]: JSON.stringify({ secrets: [credentials.webhookSecret] }),
      },
    });
    started.push(secrets);

    const sls = await startSlsSandbox({
      endpoint: LOCAL.slsEndpoint,
      accounts: [credentials.sls],
      projects: { [LOCAL.slsProject]: logstores },
      port: ports.sls ?? 0,
      ...(options.slsLogstoreQuota === undefined ? {} : { logstoreQuota: options.slsLogstoreQuota }),
      ...(options.slsFaults ? { faults: options.slsFaults } : {}),
    });
    started.push(sls);

    const im = await startTencentImSandbox({ apps: [credentials.im], port: ports.im ?? 0, faults: options.imFaults });
    started.push(im);

    const events = await startEventBridgeStandIn({ port: ports.events ?? 0, eventBuses: [LOCAL.outcomeEventBus] });
    started.push(events);

    const env: Record<string, string> = {
      AWS_REGION: LOCAL.region,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: events.endpoint,
      OUTCOME_EVENT_BUS_NAME: LOCAL.outcomeEventBus,
      SLS_ENDPOINT: LOCAL.slsEndpoint,
      SLS_PROJECT: LOCAL.slsProject,
      SLS_CONNECT_TO: sls.url,
      IM_DOMAIN: LOCAL.imDomain,
      IM_CONNECT_TO: im.url,
      SLS_SECRET_ID: LOCAL.secrets.sls,
      IM_SECRET_ID: LOCAL.secrets.im,
      WEBHOOK_SECRET_ID: LOCAL.secrets.webhook,
      OUTCOME_TABLE_NAME: LOCAL.table,
      ...options.env,
    };
    return {
      env,
      dynamodb,
      secrets,
      sls,
      im,
      events,
      credentials,
      async close() {
        for (const s of started.reverse()) await s.close();
      },
    };
  } catch (error) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw error;
  }
}
