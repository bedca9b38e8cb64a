/** The SLS consumer-group client: signed calls, in-call retries, one credential re-read, convergence. */
import * as z from "zod/mini";
import type { SlsCredentials } from "../../credentials/types.ts";
import { providerRetryHook } from "../../errors.ts";
import { systemClock, systemRandom } from "../../http/clock.ts";
import { TransportError } from "../../http/errors.ts";
import { createHttpTransport } from "../../http/request.ts";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryDecision } from "../../http/retry.ts";
import type { HttpMethod, HttpResponse } from "../../http/types.ts";
import {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  SLS_API_VERSION,
  SLS_OPERATIONS,
  SLS_USER_AGENT,
  type SlsOperation,
} from "./constants.ts";
import { SLS_CLOCK_SKEW_CODES, SlsError, slsErrorFromResponse, slsErrorFromTransport } from "./errors.ts";
import { signV1 } from "./signing-v1.ts";
import { signV4 } from "./signing-v4.ts";
import type {
  ConsumerGroup,
  ConsumerGroupSettings,
  CreateConsumerGroupResult,
  CreateLogStoreResult,
  EnsureConsumerGroupResult,
  LogStoreSpec,
  RemoveConsumerGroupResult,
  SlsCallOptions,
  SlsClient,
  SlsClientOptions,
} from "./types.ts";
import { consumerGroupNameSchema, consumerGroupSchema, consumerGroupUpdateSchema, logStoreSpecSchema, slsClientOptionsSchema } from "./validation.ts";
import { parseOrThrow } from "../../validation/issues.ts";

/** One API call, before signing. */
interface CallSpec {
  operation: SlsOperation;
  method: HttpMethod;
  path: string;
  body?: Buffer;
  /** Whether repeating the call is harmless (all but Create). */
  idempotent: boolean;
}

/** What the attempts of one call have seen so far. */
interface CallHistory {
  /** An attempt failed in a way that may have taken effect. */
  sawAmbiguous: boolean;
}

/** ListConsumerGroup's bare array; extra fields SLS may add are ignored. */
// Built on first use (z.lazy): only an ensure that finds the group already there lists them.
const consumerGroupListSchema = z.lazy(() => z.array(z.object({ name: z.string(), timeout: z.number(), order: z.boolean() })));

/**
 * Rounds of Create → List in `ensureConsumerGroup`: a group that exists on Create but is gone
 * on List (deleted in between) gets one more Create.
 */
const ENSURE_ROUNDS = 2;

/**
 * Creates a client for the consumer groups of one SLS project/logstore. Validates the options
 * at once (ValidationError naming field and rule).
 *
 * Each call: signs (v1 or v4) with the credentials from the source, retries transient and
 * throttled failures with backoff inside the deadline, and on rejected credentials re-reads
 * them once and tries once more.
 *
 * @example
 * ```ts
 * const sls = createSlsClient({
 *   endpoint: "cn-shanghai.log.aliyuncs.com", project: "my-project", logstore: "my-logstore",
 *   credentials: staticCredentials({ accessKeyId: "id", accessKeySecret: "secret" }),
 *   signature: { version: "v1" },
 * });
 * const { outcome } = await sls.ensureConsumerGroup({ name: "tenant-42", timeout: 60, order: false }, { deadline: Date.now() + 10_000 });
 * ```
 */
export function createSlsClient(options: SlsClientOptions): SlsClient {
  validateOptions(options);
  const { project, logstore, endpoint, signature } = options;
  const host = `${project}.${endpoint}`;
  const origin = options.connectTo
    ? new URL(options.connectTo).origin
    : `${options.useHttps === false ? "http" : "https"}://${host}`;
  const ownsTransport = options.transport === undefined;
  const transport = options.transport ?? createHttpTransport();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const logstorePath = `/logstores/${logstore}/consumergroups`;
  /** Server time minus ours, learned from a RequestTimeExpired answer's Date header. */
  let clockOffsetMs = 0;

  function signedHeaders(spec: CallSpec, credentials: SlsCredentials): Record<string, string> {
    const unsigned: Record<string, string> = {
      host,
      "x-log-apiversion": SLS_API_VERSION,
      "x-log-bodyrawsize": "0",
    };
    if (spec.body) unsigned["content-type"] = "application/json";
    const request = { method: spec.method, path: spec.path, query: {}, headers: unsigned, body: spec.body };
    const now = new Date(clock.now() + clockOffsetMs);
    const headers =
      signature.version === "v4"
        ? signV4(request, credentials, { now, region: signature.region })
        : signV1(request, credentials, { now, algorithm: signature.algorithm ?? "hmac-sha1" });
    headers["user-agent"] = SLS_USER_AGENT;
    if (spec.body) headers["content-length"] = String(spec.body.length);
    return headers;
  }

  async function sendOnce(spec: CallSpec, credentials: SlsCredentials, deadline: number | undefined): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await transport.send(
        { method: spec.method, url: `${origin}${spec.path}`, headers: signedHeaders(spec, credentials), body: spec.body },
        { timeoutMs: attemptTimeoutMs, deadline },
      );
    } catch (error) {
      if (error instanceof TransportError) throw slsErrorFromTransport(error, spec.operation);
      throw error;
    }
    if (response.status < 200 || response.status >= 300) {
      throw slsErrorFromResponse(response, {
        operation: spec.operation,
        idempotent: spec.idempotent,
        redact: [credentials.accessKeySecret, credentials.securityToken ?? ""],
      });
    }
    return response;
  }

  function classify(error: unknown): RetryDecision {
    if (!(error instanceof SlsError)) return "stop";
    // Nothing was sent and no time is left: another attempt cannot do better.
    if (error.code === "Transport.deadline") return "stop";
    if (error.errorClass === "throttled") return "throttled";
    return error.errorClass === "transient" ? "retry" : "stop";
  }

  async function execute(spec: CallSpec, deadline: number | undefined, history: CallHistory): Promise<HttpResponse> {
    const source = options.credentials;
    let credentials = await source.get();
    let reread = false;
    let resigned = false;
    for (;;) {
      try {
        return await withRetry(
          async () => {
            try {
              return await sendOnce(spec, credentials, deadline);
            } catch (error) {
              if (error instanceof SlsError && error.ambiguous) history.sawAmbiguous = true;
              throw error;
            }
          },
          { policy, classify, deadline, clock, random, onRetry: providerRetryHook("sls", spec.operation, options.onRetry) },
        );
      } catch (error) {
        if (!(error instanceof SlsError)) throw error;
        // Our clock is off by more than SLS allows: sign once more on the server's clock (and
        // keep the offset for later calls).
        const serverTime = error.serverDate === undefined ? Number.NaN : Date.parse(error.serverDate);
        if (SLS_CLOCK_SKEW_CODES.has(error.code) && !resigned && Number.isFinite(serverTime)) {
          resigned = true;
          clockOffsetMs = serverTime - clock.now();
          continue;
        }
        if (error.errorClass !== "credentials") throw error;
        // Rejected again after the re-read: a rotation may be under way (the provider changed the
        // key before the secret, or the reverse). Kept as `credentials`: retried later, not never.
        if (reread) throw error.reclassified("credentials", "still rejected after re-reading the credentials; a key rotation may be in progress");
        reread = true;
        // A read now, even if the cache read one a moment ago: the rotation may have landed since.
        const fresh = await (source.reload ? source.reload() : source.refresh());
        // The same key signs the same way: another attempt cannot do better.
        if (sameCredentials(fresh, credentials)) throw error.reclassified("credentials", "the re-read credentials are unchanged; a key rotation may be in progress");
        credentials = fresh;
      }
    }
  }

  async function createConsumerGroup(group: ConsumerGroup, callOptions: SlsCallOptions = {}): Promise<CreateConsumerGroupResult> {
    parseOrThrow(consumerGroupSchema, group, "CreateConsumerGroup");
    const body = Buffer.from(JSON.stringify({ consumerGroup: group.name, timeout: group.timeout, order: group.order }));
    return create({ operation: SLS_OPERATIONS.create, method: "POST", path: logstorePath, body, idempotent: false }, callOptions.deadline);
  }

  /**
   * A create call: "already exists" after an attempt of this very call that may have taken
   * effect (timeout, reset, 5xx) is that attempt's success; otherwise it is thrown.
   */
  async function create(spec: CallSpec, deadline: number | undefined): Promise<CreateConsumerGroupResult & CreateLogStoreResult> {
    // Stryker disable next-line ObjectLiteral: an absent sawAmbiguous reads as false, the same start
    const history: CallHistory = { sawAmbiguous: false };
    try {
      const response = await execute(spec, deadline, history);
      return { outcome: "created", requestId: response.headers["x-log-requestid"] };
    } catch (error) {
      if (error instanceof SlsError && error.errorClass === "exists" && history.sawAmbiguous) {
        return { outcome: "exists-after-ambiguous-attempt", requestId: error.requestId };
      }
      throw error;
    }
  }

  async function createLogStore(logstore: LogStoreSpec, callOptions: SlsCallOptions = {}): Promise<CreateLogStoreResult> {
    parseOrThrow(logStoreSpecSchema, logstore, "CreateLogStore");
    // Fields in the order of the API reference's request syntax (and the Go SDK); absent ones are
    // left out, so the three required ones are byte for byte what @alicloud/log sends.
    const body = Buffer.from(
      JSON.stringify({
        logstoreName: logstore.name,
        ttl: logstore.ttl,
        shardCount: logstore.shardCount,
        autoSplit: logstore.autoSplit,
        maxSplitShard: logstore.maxSplitShard,
      }),
    );
    return create({ operation: SLS_OPERATIONS.createLogStore, method: "POST", path: "/logstores", body, idempotent: false }, callOptions.deadline);
  }

  async function listConsumerGroups(callOptions: SlsCallOptions = {}): Promise<ConsumerGroup[]> {
    const response = await execute(
      { operation: SLS_OPERATIONS.list, method: "GET", path: logstorePath, idempotent: true },
      callOptions.deadline,
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: only a create reads its history back
      { sawAmbiguous: false },
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString("utf8"));
    } catch {
      parsed = undefined;
    }
    const result = consumerGroupListSchema.safeParse(parsed);
    if (!result.success) {
      throw new SlsError(`${SLS_OPERATIONS.list} failed: the answer is not a JSON array of consumer groups`, {
        code: "InvalidResponse",
        httpStatus: response.status,
        requestId: response.headers["x-log-requestid"],
        errorClass: "permanent",
        ambiguous: false,
        operation: SLS_OPERATIONS.list,
      });
    }
    return result.data;
  }

  async function updateConsumerGroup(
    name: string,
    settings: Partial<ConsumerGroupSettings>,
    callOptions: SlsCallOptions = {},
  ): Promise<void> {
    parseOrThrow(consumerGroupUpdateSchema, { ...settings, name }, "UpdateConsumerGroup");
    // Field order as the SDKs send it: order, then timeout.
    const body = Buffer.from(JSON.stringify({ order: settings.order, timeout: settings.timeout }));
    await execute(
      { operation: SLS_OPERATIONS.update, method: "PUT", path: `${logstorePath}/${name}`, body, idempotent: true },
      callOptions.deadline,
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: only a create reads its history back
      { sawAmbiguous: false },
    );
  }

  async function deleteConsumerGroup(name: string, callOptions: SlsCallOptions = {}): Promise<void> {
    parseOrThrow(consumerGroupNameSchema, name, "DeleteConsumerGroup", "name");
    await execute(
      { operation: SLS_OPERATIONS.delete, method: "DELETE", path: `${logstorePath}/${name}`, idempotent: true },
      callOptions.deadline,
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: only a create reads its history back
      { sawAmbiguous: false },
    );
  }

  /**
   * Offboarding: the group is absent afterwards. DELETE is idempotent at SLS (200 also when the
   * group does not exist); a ConsumerGroupNotExist answer means the same thing, so it is success.
   */
  async function removeConsumerGroup(group: Pick<ConsumerGroup, "name">, callOptions: SlsCallOptions = {}): Promise<RemoveConsumerGroupResult> {
    parseOrThrow(consumerGroupNameSchema, group.name, "removeConsumerGroup", "name");
    try {
      const response = await execute(
        { operation: SLS_OPERATIONS.delete, method: "DELETE", path: `${logstorePath}/${group.name}`, idempotent: true },
        callOptions.deadline,
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: only a create reads its history back
        { sawAmbiguous: false },
      );
      return { outcome: "removed", requestId: response.headers["x-log-requestid"] };
    } catch (error) {
      if (error instanceof SlsError && error.code === "ConsumerGroupNotExist") return { outcome: "already-absent", requestId: error.requestId };
      throw error;
    }
  }

  async function ensureConsumerGroup(group: ConsumerGroup, callOptions: SlsCallOptions = {}): Promise<EnsureConsumerGroupResult> {
    parseOrThrow(consumerGroupSchema, group, "ensureConsumerGroup");
    const wanted: ConsumerGroup = { name: group.name, timeout: group.timeout, order: group.order };
    for (let round = 1; ; round++) {
      let createdByUs = false;
      try {
        const created = await createConsumerGroup(wanted, callOptions);
        if (created.outcome === "created") return { outcome: "created", group: wanted };
        // An ambiguous attempt was confirmed by AlreadyExist: read it back to be sure of its settings.
        createdByUs = true;
      } catch (error) {
        if (!(error instanceof SlsError && error.errorClass === "exists")) throw error;
      }
      const existing = (await listConsumerGroups(callOptions)).find((g) => g.name === wanted.name);
      if (existing === undefined) {
        if (round < ENSURE_ROUNDS) continue;
        throw new SlsError(`${SLS_OPERATIONS.create}: consumer group reported existing but not listed`, {
          code: "ConsumerGroupNotListed",
          httpStatus: 0,
          errorClass: "transient",
          ambiguous: false,
          operation: SLS_OPERATIONS.create,
        });
      }
      if (existing.timeout === wanted.timeout && existing.order === wanted.order) {
        return { outcome: createdByUs ? "created" : "already-existed", group: existing };
      }
      await updateConsumerGroup(wanted.name, { timeout: wanted.timeout, order: wanted.order }, callOptions);
      return { outcome: "updated", group: wanted };
    }
  }

  return {
    project,
    logstore,
    createConsumerGroup,
    listConsumerGroups,
    updateConsumerGroup,
    deleteConsumerGroup,
    ensureConsumerGroup,
    removeConsumerGroup,
    createLogStore,
    close() {
      if (ownsTransport) transport.close();
    },
  };
}

function sameCredentials(a: SlsCredentials, b: SlsCredentials): boolean {
  return a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken;
}

function validateOptions(options: SlsClientOptions): void {
  parseOrThrow(slsClientOptionsSchema, options, "SLS client options");
}
