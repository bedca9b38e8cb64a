/** Types of the local Tencent IM sandbox. */
import type { Clock } from "../../http/types.ts";
import type { FaultConfig, FaultInjector } from "../faults.ts";

/** An IM app the sandbox serves. */
export interface ImSandboxApp {
  sdkAppId: number;
  secretKey: string;
  /** The only account REST calls may be made as. */
  adminIdentifier: string;
  /** AppDefinedData keys "enabled in the console"; any other key is refused (10004). Default none. */
  appDefinedDataKeys?: string[] | undefined;
}

/** Options of `startTencentImSandbox`. */
export interface ImSandboxOptions {
  apps: ImSandboxApp[];
  /** Default 0: any free port. */
  port?: number | undefined;
  /** UserSig expiry and rate-limit windows. Default: the system clock. */
  clock?: Pick<Clock, "now"> | undefined;
  /**
   * Faults and rate limits. When `rateLimits` is absent the documented limits of every command
   * apply (200/s; multiaccount_import 100/s), answered with 10006. Per-item faults: see
   * `IMPORT_ACCOUNT_FAULT` and `ADD_MEMBER_FAULT`.
   * `faults.configure()` later replaces the whole configuration, limits included.
   */
  faults?: Partial<FaultConfig> | undefined;
  /** Groups one owner may own before create_group answers 10037. Default unlimited. */
  maxGroupsPerOwner?: number | undefined;
  /** Accounts an app may hold before multiaccount_import answers 70398 (a trial app's quota). Default unlimited. */
  maxAccounts?: number | undefined;
}

/** A group as the sandbox keeps it. */
export interface ImSandboxGroup {
  groupId: string;
  type: string;
  owner: string | undefined;
  name: string;
  introduction: string;
  notification: string;
  faceUrl: string;
  applyJoinOption: string;
  /** Set by modify_group_base_info `MuteAllMember`; absent until then. */
  muteAllMember?: "On" | "Off" | undefined;
  maxMemberCount: number;
  appDefinedData: Array<{ key: string; value: string }>;
  /** Member accounts, the owner first when there is one. */
  members: string[];
  createTime: number;
}

/** A read-only snapshot of one app in the sandbox. */
export interface ImSandboxState {
  accounts: string[];
  groups: ImSandboxGroup[];
  /** Ids of destroyed groups (get_group_info answers 10010 for them). */
  destroyedGroups: string[];
  counters: {
    /** Authenticated calls per command, those answered with a fault included. */
    calls: Record<string, number>;
    /** create_group calls that created a group (also those followed by an injected error, hang or reset). */
    createGroupApplied: number;
    /** Calls answered 10006 by the rate limits. */
    throttled: number;
    /** Requests refused before reaching a command, per ErrorCode (70001, 70009...). */
    rejections: Record<string, number>;
    /** Different UserSigs accepted so far (shows that a client renewed its UserSig). */
    distinctUserSigs: number;
  };
}

/** A group planted by a test: same GroupId as a tenant's, another owner. */
export interface ImForeignGroup {
  groupId: string;
  type: string;
  ownerAccount: string;
  name: string;
  introduction?: string | undefined;
}

/** A running sandbox. */
export interface ImSandbox {
  /** `http://127.0.0.1:PORT`; pass as the client's `connectTo`. */
  readonly url: string;
  readonly port: number;
  /** The fault injector; reconfigure in-process with `sandbox.faults.configure(...)`. */
  readonly faults: FaultInjector;
  /** Snapshot of an app (default: the first). */
  state(sdkAppId?: number): ImSandboxState;
  /** Plants a group owned by someone else (its owner is imported too). */
  addForeignGroup(group: ImForeignGroup, sdkAppId?: number): void;
  /** Every UserSig issued up to now (by `TLS.time`) is answered 70052 from now on. */
  invalidateUserSigs(sdkAppId?: number): void;
  /** Drops accounts, groups, counters and UserSig invalidations of every app. */
  reset(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}
