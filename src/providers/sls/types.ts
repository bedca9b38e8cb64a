/** Types of the SLS client. */
import type { ProviderRetryInfo } from "../../errors.ts";
import type { CredentialSource, SlsCredentials } from "../../credentials/types.ts";
import type { RetryPolicy } from "../../http/retry.ts";
import type { Clock, HttpTransport, Random } from "../../http/types.ts";
import type { SlsV1Algorithm } from "./constants.ts";

/** Which signature the client sends: v1 (every SDK's default) or v4 (opt-in, needs the region). */
export type SlsSignatureOptions =
  | { version: "v1"; algorithm?: SlsV1Algorithm }
  | { version: "v4"; region: string };

/** Options of `createSlsClient`. */
export interface SlsClientOptions {
  /** The region endpoint, e.g. `cn-shanghai.log.aliyuncs.com`; requests go to `{project}.{endpoint}`. */
  endpoint: string;
  project: string;
  logstore: string;
  credentials: CredentialSource<SlsCredentials>;
  signature: SlsSignatureOptions;
  /**
   * Where to connect instead of `{project}.{endpoint}` (a sandbox: `http://127.0.0.1:PORT`);
   * the Host header, and so the signature, stay `{project}.{endpoint}`.
   */
  connectTo?: string;
  /** Default true. Ignored when `connectTo` is given (its scheme wins). */
  useHttps?: boolean;
  /** Default: a keep-alive transport owned (and closed) by the client. */
  transport?: HttpTransport;
  /** Dates in signatures and retry sleeps. Default: the system clock. */
  clock?: Clock;
  /** Backoff jitter. Default: Math.random. */
  random?: Random;
  /** Default: DEFAULT_RETRY_POLICY. */
  retryPolicy?: RetryPolicy;
  /** Limit of each attempt, in ms. Default 5000. */
  attemptTimeoutMs?: number;
  /** Told about every in-process retry (metrics, logs). */
  onRetry?: (info: ProviderRetryInfo) => void;
}

/** What a consumer group is configured with. */
export interface ConsumerGroupSettings {
  /** Seconds without a heartbeat before a consumer is dropped. */
  timeout: number;
  /** Consume each shard in order. */
  order: boolean;
}

/** A consumer group as SLS lists it. */
export interface ConsumerGroup extends ConsumerGroupSettings {
  name: string;
}

/** Per-call options. */
export interface SlsCallOptions {
  /** Absolute epoch-ms; no attempt or backoff runs past it. */
  deadline?: number | undefined;
}

/** What `createConsumerGroup` established. */
export interface CreateConsumerGroupResult {
  /**
   * `created`: SLS answered 200. `exists-after-ambiguous-attempt`: an earlier attempt of this
   * call failed ambiguously (timeout, reset, 5xx) and the retry found the group existing, which
   * is taken as that attempt's success.
   */
  outcome: "created" | "exists-after-ambiguous-attempt";
  requestId?: string | undefined;
}

/** What `ensureConsumerGroup` found and did. */
export interface EnsureConsumerGroupResult {
  /**
   * `created`: this call created it (including an ambiguous attempt confirmed by a retry).
   * `already-existed`: it was there with the wanted settings. `updated`: it was there with
   * other settings, which were changed.
   */
  outcome: "created" | "already-existed" | "updated";
  group: ConsumerGroup;
}

/** What `removeConsumerGroup` did. */
export interface RemoveConsumerGroupResult {
  /**
   * `removed`: DeleteConsumerGroup answered 200, so the group is gone now (SLS answers 200 also
   * for a group that was never there, so this cannot tell the two apart). `already-absent`: SLS
   * said ConsumerGroupNotExist.
   */
  outcome: "removed" | "already-absent";
  requestId?: string | undefined;
}

/**
 * A logstore to create (CreateLogStore's required fields and the shard splitting ones; the
 * service needs nothing else of a logstore: it only holds tenants' consumer groups).
 */
export interface LogStoreSpec {
  /** 3-63 of `[a-z0-9_-]`, a letter or digit at both ends; unique in the project. */
  name: string;
  /** Days the data is kept, 1-3650 (3650: for ever). */
  ttl: number;
  /** Shards at creation, 1-10. */
  shardCount: number;
  /** Split shards automatically (then `maxSplitShard` is required). */
  autoSplit?: boolean | undefined;
  /** The most shards automatic splitting may make, 1-256. */
  maxSplitShard?: number | undefined;
}

/** What `createLogStore` established. */
export interface CreateLogStoreResult {
  /**
   * `created`: SLS answered 200. `exists-after-ambiguous-attempt`: an earlier attempt of this
   * call failed ambiguously (timeout, reset, 5xx) and the retry found the logstore existing.
   */
  outcome: "created" | "exists-after-ambiguous-attempt";
  requestId?: string | undefined;
}

/** The consumer-group operations of one project/logstore. */
export interface SlsClient {
  readonly project: string;
  readonly logstore: string;
  createConsumerGroup(group: ConsumerGroup, options?: SlsCallOptions): Promise<CreateConsumerGroupResult>;
  listConsumerGroups(options?: SlsCallOptions): Promise<ConsumerGroup[]>;
  updateConsumerGroup(name: string, settings: Partial<ConsumerGroupSettings>, options?: SlsCallOptions): Promise<void>;
  deleteConsumerGroup(name: string, options?: SlsCallOptions): Promise<void>;
  ensureConsumerGroup(group: ConsumerGroup, options?: SlsCallOptions): Promise<EnsureConsumerGroupResult>;
  /** Makes the consumer group absent: DeleteConsumerGroup, with ConsumerGroupNotExist taken as done. */
  removeConsumerGroup(group: Pick<ConsumerGroup, "name">, options?: SlsCallOptions): Promise<RemoveConsumerGroupResult>;
  /**
   * CreateLogStore in the client's project (`POST /logstores`; any logstore, not only the
   * client's own). `LogStoreAlreadyExist` is thrown as an `exists` SlsError unless an earlier
   * attempt of this call was ambiguous; the project's logstore quota is a `permanent` SlsError
   * with code `ProjectQuotaExceed`.
   */
  createLogStore(logstore: LogStoreSpec, options?: SlsCallOptions): Promise<CreateLogStoreResult>;
  /** Closes the transport if the client created it. */
  close(): void;
}
