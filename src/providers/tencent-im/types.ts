/** Public types of the Tencent IM client. */
import type { ProviderRetryInfo } from "../../errors.ts";
import type { ImCredentials, CredentialSource } from "../../credentials/types.ts";
import type { RetryPolicy } from "../../http/retry.ts";
import type { CallRateLimiter } from "../../limits/types.ts";
import type { Clock, HttpTransport, Random } from "../../http/types.ts";
import type { ImApplyJoinOption, ImCommand, ImGroupType } from "./constants.ts";

/** An account to import (`account_import`). */
export interface ImAccount {
  userId: string;
  nick?: string | undefined;
  faceUrl?: string | undefined;
}

/** One initial member of a group. */
export interface ImGroupMember {
  userId: string;
  /** Only `Admin` can be set at creation. */
  role?: "Admin" | undefined;
}

/** One group-level custom field (needs console enablement on a real app). */
export interface ImAppDefinedField {
  key: string;
  value: string;
}

/** A group to create, in this service's terms; mapped 1:1 onto create_group's fields. */
export interface ImGroupSpec {
  type: ImGroupType;
  name: string;
  /** Custom GroupId; the server assigns one when absent. */
  groupId?: string | undefined;
  /** Owner account (imported first by ensureGroup). */
  ownerAccount?: string | undefined;
  introduction?: string | undefined;
  notification?: string | undefined;
  faceUrl?: string | undefined;
  maxMemberCount?: number | undefined;
  applyJoinOption?: ImApplyJoinOption | undefined;
  supportTopic?: 0 | 1 | undefined;
  appDefinedData?: readonly ImAppDefinedField[] | undefined;
  members?: readonly ImGroupMember[] | undefined;
}

/**
 * What ensureGroup converges to: a group with a fixed id and owner, carrying a marker in its
 * Introduction so a read-back can tell our group from a foreign one with the same id.
 */
export interface EnsureGroupSpec extends ImGroupSpec {
  groupId: string;
  ownerAccount: string;
  /** Owner profile for the import; the owner id is `ownerAccount`. */
  ownerProfile?: { nick?: string | undefined; faceUrl?: string | undefined } | undefined;
  /** Identifies the provisioner's group, e.g. `tp:tenant-42`; appended to the Introduction. */
  marker: string;
}

/** What ensureGroup did. */
export interface EnsureGroupResult {
  outcome: "created" | "already-existed";
  groupId: string;
}

/** A group as get_group_info reports it (the fields this service reads). */
export interface ImGroupInfo {
  groupId: string;
  type: string;
  name: string;
  ownerAccount: string | undefined;
  introduction: string | undefined;
  notification: string | undefined;
  memberNum: number | undefined;
  /** Present when the answer carries it. */
  faceUrl?: string | undefined;
  applyJoinOption?: string | undefined;
  /** Member accounts, when the answer lists them (get_group_info does by default). */
  members?: string[] | undefined;
}

/** Result of {@link TencentImClient.importAccounts}. */
export interface ImportAccountsResult {
  /** Accounts IM took (created or updated). */
  imported: string[];
  /** Accounts IM listed in `FailAccounts`; not imported, worth another try later. */
  failed: string[];
}

/**
 * The fields modify_group_base_info can change; at least one must be given. Same limits as
 * create_group (Name ≤30 bytes, Introduction ≤240, Notification ≤300, FaceUrl ≤100).
 */
export interface ImGroupBaseInfoChanges {
  name?: string | undefined;
  introduction?: string | undefined;
  notification?: string | undefined;
  faceUrl?: string | undefined;
  maxMemberCount?: number | undefined;
  applyJoinOption?: ImApplyJoinOption | undefined;
  muteAllMember?: "On" | "Off" | undefined;
}

/** What add_group_member answered for one member. */
export type ImAddMemberOutcome = "added" | "already-member" | "pending" | "failed";

/** Options of {@link TencentImClient.addGroupMembers}. */
export interface ImAddMembersOptions extends ImCallOptions {
  /** `Silence: 1`: no system notification to the group. Default false. */
  silence?: boolean | undefined;
}

/** Result of {@link TencentImClient.addGroupMembers}: one entry per requested member, in order. */
export interface AddGroupMembersResult {
  members: Array<{ userId: string; outcome: ImAddMemberOutcome }>;
}

/** What updateGroup converges: the ensureGroup spec (same id, type, owner, marker). */
export type UpdateGroupSpec = EnsureGroupSpec;

/** What updateGroup did. */
export interface UpdateGroupResult {
  /**
   * `updated`: something was sent; `unchanged`: the group already matched, no write was made;
   * `created`: there was no such group (destroyed out of band), so ensureGroup created it.
   */
  outcome: "created" | "updated" | "unchanged";
  groupId: string;
  /** modify_group_base_info fields that were sent (`Name`, `Introduction`, ...). */
  changedFields: string[];
  /** Members add_group_member added (or found pending confirmation) in this call. */
  addedMembers: string[];
}

/** Identifies the group removeGroup may destroy: it must match on type, owner and marker. */
export interface RemoveGroupSpec {
  groupId: string;
  type: ImGroupType;
  ownerAccount: string;
  marker: string;
}

/** What removeGroup did. */
export interface RemoveGroupResult {
  /** `removed`: this call destroyed it; `already-absent`: there was no such group (10010/10015). */
  outcome: "removed" | "already-absent";
  groupId: string;
}

/** Limits of one call or one convergence. */
export interface ImCallOptions {
  /** Absolute epoch-ms (wall clock): no attempt or backoff runs past it. */
  deadline: number;
}

/** Options of `createTencentImClient`. */
export interface TencentImClientOptions {
  /** The SDKAppID's data centre domain (validated against the documented list). */
  domain: string;
  credentials: CredentialSource<ImCredentials>;
  /** Where to connect instead of `https://{domain}` (a sandbox); plain http only for loopback hosts. */
  connectTo?: URL | string | undefined;
  transport?: HttpTransport | undefined;
  /** Drives UserSig times, backoff sleeps and rate-limit waits. */
  clock?: Clock | undefined;
  /** Jitter draws. */
  random?: Random | undefined;
  retryPolicy?: RetryPolicy | undefined;
  /** Per-attempt timeout in ms; default 5000 (the server gives up after 3 s). */
  attemptTimeoutMs?: number | undefined;
  /** Calls per second per command; defaults to the documented 200/s. Ignored with `rateLimiter`. */
  rateLimits?: Partial<Record<ImCommand, number>> | undefined;
  /** Paces every call instead of the per-process buckets (e.g. the fleet's limiter, src/limits). */
  rateLimiter?: CallRateLimiter | undefined;
  /** Lifetime of the admin UserSig in seconds; default one day. */
  userSigExpireSeconds?: number | undefined;
  /** Told about every in-process retry (metrics, logs). */
  onRetry?: ((info: ProviderRetryInfo) => void) | undefined;
}

/** The IM REST client: the four commands and the convergent `ensureGroup`. */
export interface TencentImClient {
  /** Imports (or re-imports: idempotent) an account. */
  accountImport(account: ImAccount, options: ImCallOptions): Promise<void>;
  /** One create_group; throws TencentImError on 10021/10025 and on ambiguous failures (not retried). */
  createGroup(spec: ImGroupSpec, options: ImCallOptions): Promise<{ groupId: string }>;
  /** The group, or undefined when IM says 10010/10015 (no such group). */
  getGroupInfo(groupId: string, options: ImCallOptions): Promise<ImGroupInfo | undefined>;
  /** Destroys a group; a group already gone is success. */
  destroyGroup(groupId: string, options: ImCallOptions): Promise<{ outcome: "destroyed" | "already-gone" }>;
  /** Makes the group exist as specified, or throws CONFLICT without touching a foreign group. */
  ensureGroup(spec: EnsureGroupSpec, options: ImCallOptions): Promise<EnsureGroupResult>;
  /** multiaccount_import in calls of ≤100 accounts; `FailAccounts` are reported, not thrown. */
  importAccounts(accounts: readonly ImAccount[], options: ImCallOptions): Promise<ImportAccountsResult>;
  /** One modify_group_base_info with the given changes (validated first). */
  modifyGroupBaseInfo(groupId: string, changes: ImGroupBaseInfoChanges, options: ImCallOptions): Promise<void>;
  /** add_group_member in calls of ≤20 members; each member's `Result` is reported. */
  addGroupMembers(groupId: string, userIds: readonly string[], options: ImAddMembersOptions): Promise<AddGroupMembersResult>;
  /**
   * Reads the group back and changes only what differs: modify_group_base_info for the fields,
   * add_group_member for missing members (imported first). A foreign group → CONFLICT, untouched;
   * no such group → created as ensureGroup would (outcome `created`).
   */
  updateGroup(spec: UpdateGroupSpec, options: ImCallOptions): Promise<UpdateGroupResult>;
  /** Destroys the group only when type, owner and marker match; gone already is success; foreign → CONFLICT. */
  removeGroup(spec: RemoveGroupSpec, options: ImCallOptions): Promise<RemoveGroupResult>;
  /** Closes idle sockets of a transport the client created itself. */
  close(): void;
}
