/** Types of the local SLS sandbox. */
import type { Clock } from "../../http/types.ts";
import type { FaultConfig, FaultInjector } from "../faults.ts";
import type { SandboxLogStore } from "./logstore-body.ts";

/** An access key the sandbox accepts; with `securityToken`, calls must carry exactly that token. */
export interface SlsSandboxAccount {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
  /**
   * When the STS token expires (epoch ms, sandbox clock); from then on calls with it are answered
   * 401 `SecurityTokenExpired`. Default: never.
   */
  securityTokenExpiresAt?: number | undefined;
}

/** Options of `startSlsSandbox`. */
export interface SlsSandboxOptions {
  /** Region endpoint the Host header must end with: `{project}.{endpoint}`. */
  endpoint: string;
  accounts: SlsSandboxAccount[];
  /** Projects and the logstores they start with (CreateLogStore adds more). */
  projects: Record<string, string[]>;
  /** Logstores a project may hold, those it starts with included. Default 200, SLS's quota. */
  logstoreQuota?: number;
  /** Region v4 signatures must be scoped to. Default: the endpoint's first label (`cn-shanghai`). */
  region?: string;
  /** Largest accepted distance between the request's date and the sandbox clock. Default 15 min. */
  maxSkewMs?: number;
  /** Default 0: any free port. */
  port?: number;
  /** Date checks and rate-limit windows. Default: the system clock. */
  clock?: Clock;
  faults?: Partial<FaultConfig>;
}

/** A consumer group as the sandbox stores it. */
export interface SandboxConsumerGroup {
  name: string;
  timeout: number;
  order: boolean;
}

/** A read-only snapshot of the sandbox. */
export interface SlsSandboxState {
  /** Consumer groups per project, per logstore, in creation order. */
  groups: Record<string, Record<string, SandboxConsumerGroup[]>>;
  /** Logstores CreateLogStore made, per project, in creation order, with their settings. */
  createdLogstores: Record<string, SandboxLogStore[]>;
  /** Authenticated calls per operation (including those answered with a fault). */
  calls: Record<string, number>;
  /** Creates that took effect (also those followed by an injected error, hang or reset). */
  createsApplied: number;
  /** Names of the groups deletes removed, in order (a delete of a missing group is not listed). */
  deletedGroups: string[];
  /** Calls answered with a throttling error by the rate limits. */
  throttled: number;
  /** Requests rejected before reaching an operation, per error code (SignatureNotMatch...). */
  rejections: Record<string, number>;
}

/** A running sandbox. */
export interface SlsSandbox {
  /** `http://127.0.0.1:PORT`; pass as the client's `connectTo`. */
  readonly url: string;
  readonly port: number;
  /** The fault injector; reconfigure in-process with `sandbox.faults.configure(...)`. */
  readonly faults: FaultInjector;
  state(): SlsSandboxState;
  /** Drops every consumer group and every created logstore, and zeroes the counters. */
  reset(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}
