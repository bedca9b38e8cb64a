import * as z from "zod/mini";
import { ConfigurationError, type ValidationIssue } from "../errors.ts";
import { eventBusNameSchema } from "../events/bus-name.ts";
import { CONSUMER_GROUP_NAME_MAX_LENGTH, LOGSTORE_SHARD_COUNT_RANGE, LOGSTORE_TTL_RANGE } from "../providers/sls/constants.ts";
import { consumerGroupNameCharset, slsEndpointSchema, slsLogstoreNameSchema, slsProjectNameSchema, slsRegionSchema } from "../providers/sls/names.ts";
import { IM_DOMAINS, IM_GROUP_ID_MAX_BYTES, IM_GROUP_TYPES, type ImGroupType } from "../providers/tencent-im/constants.ts";
import { groupIdPrefixRule } from "../providers/tencent-im/group-id.ts";
import { schemaIssues } from "../validation/issues.ts";
import { TENANT_ID_MAX_LENGTH } from "../validation/tenant-id.ts";
import { printableAsciiWithoutSpaces } from "../validation/text.ts";
import { zodIssuesToValidationIssues } from "../validation/zod-issues.ts";


/** Defaults read by the schema and by the cross-field rule between the two (one value each). */
const DEFAULT_WEBHOOK_REQUEST_BUDGET_MS = 3_000;
const DEFAULT_PROVISION_SAFETY_MARGIN_MS = 2_000;
const LOOPBACK_URL = z.url({ protocol: /^https?$/, hostname: /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/ });
/** The integer check every `int` range shares (one check serves any number of schemas). */
const integer = z.int();
const int = (min: number, max: number) => z.coerce.number().check(integer, z.gte(min), z.lte(max));
/** A secret's id: any non-empty string (one schema for the three). */
const secretId = z.string().check(z.minLength(1));
const bool = z.pipe(z.enum(["true", "false"]), z.transform((v) => v === "true"));
/** Every IM group type but AVChatRoom, which takes no members (a tenant's group has its admin and members). */
type TenantGroupType = Exclude<ImGroupType, "AVChatRoom">;
const TENANT_GROUP_TYPES = IM_GROUP_TYPES.filter((type): type is TenantGroupType => type !== "AVChatRoom");

/**
 * The environment variables the service reads, with their rules. Everything provider- and
 * deployment-specific is here; nothing else reads `process.env`.
 */
const envSchema = z.object({
  SLS_ENDPOINT: slsEndpointSchema,
  SLS_PROJECT: slsProjectNameSchema,
  /**
   * Optional, for deployments from before the logstore registry: one logstore or several
   * separated by commas. While the registry (in the outcome table) is empty, it is filled from
   * this list, each logstore with the consumer groups SLS lists in it counted. Afterwards the
   * registry alone decides (`npm run cli -- logstores add|list`).
   */
  SLS_LOGSTORE: z.optional(
    z.string().check(
      z.check<string>((payload) => {
        payload.value.split(",").forEach((name, i) => {
          for (const issue of schemaIssues(slsLogstoreNameSchema, name)) payload.issues.push({ code: "custom", message: `logstore ${i + 1}: ${issue.rule}`, input: payload.value, continue: true });
        });
      }),
    ),
  ),
  /**
   * When every registered logstore is full, create the next one through SLS CreateLogStore
   * (`{SLS_LOGSTORE_AUTO_CREATE_PREFIX}{n}`), register it and place the tenant there. Off by
   * default: the SLS key then needs `log:CreateLogStore` as well (README "Capacity").
   */
  SLS_LOGSTORE_AUTO_CREATE: z._default(bool, false),
  /** Names of created logstores: this prefix and a number (at most 6 digits keep a name within 63). */
  SLS_LOGSTORE_AUTO_CREATE_PREFIX: z._default(
    z.string().check(
      z.minLength(1, { message: "1-57 characters" }),
      z.maxLength(57, { message: "1-57 characters (a logstore name is at most 63, with up to 6 digits after it)" }),
      z.regex(/^[a-z0-9_-]*$/, { message: "only a-z, 0-9, _ and -" }),
      z.regex(/^[a-z0-9]/, { message: "must start with a lowercase letter or digit" }),
    ),
    "tenant-events-",
  ),
  /** Retention (days) of created logstores: CreateLogStore's ttl, 1-3650. */
  SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS: z._default(int(LOGSTORE_TTL_RANGE.min, LOGSTORE_TTL_RANGE.max), 30),
  /** Shards of created logstores: CreateLogStore's shardCount, 1-10. */
  SLS_LOGSTORE_AUTO_CREATE_SHARDS: z._default(int(LOGSTORE_SHARD_COUNT_RANGE.min, LOGSTORE_SHARD_COUNT_RANGE.max), 2),
  SLS_SIGNATURE_VERSION: z._default(z.enum(["v1", "v4"]), "v1"),
  SLS_SIGNATURE_ALGORITHM: z._default(z.enum(["hmac-sha1", "hmac-sha256"]), "hmac-sha1"),
  SLS_REGION: z.optional(slsRegionSchema),
  SLS_CONSUMER_GROUP_PREFIX: z._default(
    z.string().check(consumerGroupNameCharset, z.maxLength(CONSUMER_GROUP_NAME_MAX_LENGTH - TENANT_ID_MAX_LENGTH)),
    "tenant-",
  ),
  SLS_CONSUMER_GROUP_TIMEOUT: z._default(int(1, 86_400), 60),
  SLS_CONSUMER_GROUP_ORDER: z._default(bool, false),
  SLS_CONNECT_TO: z.optional(LOOPBACK_URL),
  IM_DOMAIN: z.enum(IM_DOMAINS),
  IM_GROUP_TYPE: z._default(z.enum(TENANT_GROUP_TYPES), "Private"),
  IM_GROUP_ID_PREFIX: z._default(
    z.string().check(printableAsciiWithoutSpaces, z.maxLength(IM_GROUP_ID_MAX_BYTES - TENANT_ID_MAX_LENGTH)),
    "tenant-",
  ),
  IM_CONNECT_TO: z.optional(LOOPBACK_URL),
  SLS_SECRET_ID: secretId,
  IM_SECRET_ID: secretId,
  WEBHOOK_SECRET_ID: secretId,
  /** Where the webhook hands tenants it could not finish within the request. */
  SIGNUP_QUEUE_URL: z.optional(z.url({ protocol: /^https?$/ })),
  /** The EventBridge bus outcome events (TenantProvisioned …) go to; absent: outcomes are only recorded. */
  OUTCOME_EVENT_BUS_NAME: z.optional(eventBusNameSchema),
  OUTCOME_TABLE_NAME: z.string().check(z.regex(/^[a-zA-Z0-9_.-]{3,255}$/, { message: "a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)" })),
  SECRETS_MAX_AGE_MS: z._default(int(0, 3_600_000), 300_000),
  PROVIDER_ATTEMPT_TIMEOUT_MS: z._default(int(100, 30_000), 5_000),
  /**
   * How long a webhook request provisions before it answers 202 and hands the rest to the queue.
   * Senders give up after 5-15 s; the reply comes within this budget (provider calls stop
   * PROVISION_SAFETY_MARGIN_MS before it, to record the outcomes).
   */
  WEBHOOK_REQUEST_BUDGET_MS: z._default(int(500, 25_000), DEFAULT_WEBHOOK_REQUEST_BUDGET_MS),
  /** Time kept free at the end of an invocation to record outcomes after provider calls stop. */
  PROVISION_SAFETY_MARGIN_MS: z._default(int(0, 60_000), DEFAULT_PROVISION_SAFETY_MARGIN_MS),
  /**
   * Calls per second the whole fleet makes to each 200/s IM command, leased through the table
   * (src/limits); a command with a lower documented limit gets the same fraction of its own
   * (multiaccount_import: 95 of 100 at the default). At most 195: the headroom under 200 is what
   * lets a slot be used a little late (timers, jitter, clock skew) without IM counting 200.
   */
  IM_RATE_LIMIT_PER_SECOND: z._default(
    z.coerce.number().check(z.int({ message: "an integer" }), z.gte(1, { message: "at least 1" }), z.lte(195, { message: "at most 195 (headroom under IM's 200/s)" })),
    190,
  ),
  /**
   * The most processes that may call IM at once (signup maximumConcurrency + webhook, offboard and
   * backfill reservedConcurrency). While the table is out of reach each process paces itself at
   * IM_RATE_LIMIT_PER_SECOND / this, so all of them together still stay under IM's limit.
   */
  IM_FLEET_MAX_PROCESSES: z._default(int(1, 1_000), 18),
});

/**
 * Every environment variable the configuration reads (the deployed template sets no other of the
 * service's own; test/deploy/template.test.ts checks it).
 */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Rules between variables; checked even when other variables are wrong, so all issues show at once. */
function crossFieldIssues(env: Record<string, string | undefined>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const groupType = env.IM_GROUP_TYPE ?? "Private";
  const prefix = env.IM_GROUP_ID_PREFIX ?? "tenant-";
  const logstores = env.SLS_LOGSTORE === undefined ? [] : env.SLS_LOGSTORE.split(",");
  if (new Set(logstores).size !== logstores.length) {
    issues.push({ field: "SLS_LOGSTORE", rule: "each logstore at most once" });
  }
  if (env.SLS_SIGNATURE_VERSION === "v4" && !env.SLS_REGION) {
    issues.push({ field: "SLS_REGION", rule: "required when SLS_SIGNATURE_VERSION is v4" });
  }
  const budget = Number(env.WEBHOOK_REQUEST_BUDGET_MS ?? DEFAULT_WEBHOOK_REQUEST_BUDGET_MS);
  const margin = Number(env.PROVISION_SAFETY_MARGIN_MS ?? DEFAULT_PROVISION_SAFETY_MARGIN_MS);
  if (Number.isFinite(budget) && Number.isFinite(margin) && budget < margin + 500) {
    issues.push({ field: "WEBHOOK_REQUEST_BUDGET_MS", rule: "at least PROVISION_SAFETY_MARGIN_MS + 500 (provider calls stop that margin before the budget ends)" });
  }
  // The prefix starts every GroupId, so it follows the GroupId's prefix rule of the type.
  const prefixRule = groupIdPrefixRule(groupType, prefix);
  if (prefixRule) issues.push({ field: "IM_GROUP_ID_PREFIX", rule: `${prefixRule} (IM_GROUP_TYPE)` });
  return issues;
}

/** The service's validated configuration. */
export interface ServiceConfig {
  sls: {
    endpoint: string;
    project: string;
    /** `SLS_LOGSTORE`: what an empty logstore registry is filled from (empty when unset). */
    logstores: string[];
    /**
     * `SLS_LOGSTORE_AUTO_CREATE*`: how the next logstore is made when every registered one is
     * full; undefined when off (then a tenant waits, LogstoresExhausted, for an operator).
     */
    logstoreAutoCreate: { prefix: string; ttl: number; shardCount: number } | undefined;
    signature: { version: "v1"; algorithm: "hmac-sha1" | "hmac-sha256" } | { version: "v4"; region: string };
    consumerGroupPrefix: string;
    consumerGroupTimeout: number;
    consumerGroupOrder: boolean;
    connectTo: string | undefined;
  };
  im: {
    domain: (typeof IM_DOMAINS)[number];
    groupType: TenantGroupType;
    groupIdPrefix: string;
    connectTo: string | undefined;
    /** The fleet's pace of every 200/s IM command (leased through the table). */
    rateLimitPerSecond: number;
    /** Processes that may call IM at once; each paces at rate / this when the table is down. */
    fleetMaxProcesses: number;
  };
  secrets: { slsSecretId: string; imSecretId: string; webhookSecretId: string; maxAgeMs: number };
  outcomeTableName: string;
  signupQueueUrl: string | undefined;
  outcomeEventBusName: string | undefined;
  providerAttemptTimeoutMs: number;
  safetyMarginMs: number;
  /** How long a webhook request provisions inline before handing the rest to the queue. */
  webhookRequestBudgetMs: number;
}

/**
 * Reads and validates the configuration once (at cold start). Throws
 * {@link ConfigurationError} naming every bad variable and its rule, never its value.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
  const result = envSchema.safeParse(env);
  const issues = [...(result.success ? [] : zodIssuesToValidationIssues(result.error.issues, env)), ...crossFieldIssues(env)];
  if (!result.success || issues.length > 0) throw new ConfigurationError("environment", issues);
  const e = result.data;
  return {
    sls: {
      endpoint: e.SLS_ENDPOINT,
      project: e.SLS_PROJECT,
      logstores: e.SLS_LOGSTORE === undefined ? [] : e.SLS_LOGSTORE.split(","),
      logstoreAutoCreate: e.SLS_LOGSTORE_AUTO_CREATE
        ? { prefix: e.SLS_LOGSTORE_AUTO_CREATE_PREFIX, ttl: e.SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS, shardCount: e.SLS_LOGSTORE_AUTO_CREATE_SHARDS }
        : undefined,
      signature:
        e.SLS_SIGNATURE_VERSION === "v4"
          ? { version: "v4", region: e.SLS_REGION ?? "" }
          : { version: "v1", algorithm: e.SLS_SIGNATURE_ALGORITHM },
      consumerGroupPrefix: e.SLS_CONSUMER_GROUP_PREFIX,
      consumerGroupTimeout: e.SLS_CONSUMER_GROUP_TIMEOUT,
      consumerGroupOrder: e.SLS_CONSUMER_GROUP_ORDER,
      connectTo: e.SLS_CONNECT_TO,
    },
    im: {
      domain: e.IM_DOMAIN,
      groupType: e.IM_GROUP_TYPE,
      groupIdPrefix: e.IM_GROUP_ID_PREFIX,
      connectTo: e.IM_CONNECT_TO,
      rateLimitPerSecond: e.IM_RATE_LIMIT_PER_SECOND,
      fleetMaxProcesses: e.IM_FLEET_MAX_PROCESSES,
    },
    secrets: {
      slsSecretId: e.SLS_SECRET_ID,
      imSecretId: e.IM_SECRET_ID,
      webhookSecretId: e.WEBHOOK_SECRET_ID,
      maxAgeMs: e.SECRETS_MAX_AGE_MS,
    },
    outcomeTableName: e.OUTCOME_TABLE_NAME,
    signupQueueUrl: e.SIGNUP_QUEUE_URL,
    outcomeEventBusName: e.OUTCOME_EVENT_BUS_NAME,
    providerAttemptTimeoutMs: e.PROVIDER_ATTEMPT_TIMEOUT_MS,
    safetyMarginMs: e.PROVISION_SAFETY_MARGIN_MS,
    webhookRequestBudgetMs: e.WEBHOOK_REQUEST_BUDGET_MS,
  };
}
