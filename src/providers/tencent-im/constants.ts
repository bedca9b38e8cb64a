/** Fixed facts of the Tencent Cloud IM REST API (see shared reference PROVIDERS.md). */

/** The REST domains; each SDKAppID lives in exactly one of these data centres. */
export const IM_DOMAINS = [
  "console.tim.qq.com",
  "adminapisgp.im.qcloud.com",
  "adminapikr.im.qcloud.com",
  "adminapijpn.im.qcloud.com",
  "adminapiger.im.qcloud.com",
  "adminapiind.im.qcloud.com",
  "adminapiusa.im.qcloud.com",
  "adminapiidn.im.qcloud.com",
] as const;

/** One of {@link IM_DOMAINS}. */
export type ImDomain = (typeof IM_DOMAINS)[number];

/** The commands this service calls, with the REST service each belongs to. */
export const IM_COMMANDS = {
  account_import: "im_open_login_svc",
  create_group: "group_open_http_svc",
  get_group_info: "group_open_http_svc",
  destroy_group: "group_open_http_svc",
  multiaccount_import: "im_open_login_svc",
  modify_group_base_info: "group_open_http_svc",
  add_group_member: "group_open_http_svc",
} as const;

/** A command name, e.g. `create_group`. */
export type ImCommand = keyof typeof IM_COMMANDS;

/** Documented per-command rate limits (calls per second). */
export const IM_RATE_LIMITS: Readonly<Record<ImCommand, number>> = {
  account_import: 200,
  create_group: 200,
  get_group_info: 200,
  destroy_group: 200,
  /** The one documented exception: 100 calls/s (PROVIDERS.md). */
  multiaccount_import: 100,
  modify_group_base_info: 200,
  add_group_member: 200,
};

/**
 * Per-command paces for one process from one setting made for the 200/s commands
 * (`IM_RATE_LIMIT_PER_SECOND`): each command gets the same share of its own documented limit,
 * so 190 gives 190/s to create_group and 95/s to multiaccount_import (documented 100/s).
 *
 * @example
 * ```ts
 * createTencentImClient({ ...options, rateLimits: scaledImRateLimits(config.im.rateLimitPerSecond) });
 * scaledImRateLimits(190).multiaccount_import; // 95
 * ```
 */
export function scaledImRateLimits(perSecondOfA200Command: number): Record<ImCommand, number> {
  const share = perSecondOfA200Command / 200;
  const out = {} as Record<ImCommand, number>;
  for (const command of Object.keys(IM_RATE_LIMITS) as ImCommand[]) out[command] = IM_RATE_LIMITS[command] * share;
  return out;
}

/** The server gives up on a call after 3 s; a client must wait longer than that. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;

/** A UserSig for the admin lives one day; it is cached and renewed early. */
export const DEFAULT_USERSIG_EXPIRE_SECONDS = 86_400;

/** Upper bound of the `random` query parameter (a 32-bit unsigned integer). */
export const IM_RANDOM_MAX = 4_294_967_295;

/** Group types; `Work` and `Meeting` are the newer names of `Private` and `ChatRoom`. */
export const IM_GROUP_TYPES = ["Private", "Work", "Public", "ChatRoom", "Meeting", "AVChatRoom", "Community"] as const;

/** One of {@link IM_GROUP_TYPES}. */
export type ImGroupType = (typeof IM_GROUP_TYPES)[number];

/** How requests to join a group are handled. */
export const IM_APPLY_JOIN_OPTIONS = ["FreeAccess", "NeedPermission", "DisableApply"] as const;

/** One of {@link IM_APPLY_JOIN_OPTIONS}. */
export type ImApplyJoinOption = (typeof IM_APPLY_JOIN_OPTIONS)[number];

/** A custom GroupId: at most 48 bytes (apart from IM_GROUP_LIMITS: the configuration needs only this one). */
export const IM_GROUP_ID_MAX_BYTES = 48;

/** create_group field limits, in UTF-8 bytes or counts. */
export const IM_GROUP_LIMITS = {
  nameBytes: 30,
  introductionBytes: 240,
  notificationBytes: 300,
  faceUrlBytes: 100,
  members: 100,
  groupIdBytes: IM_GROUP_ID_MAX_BYTES,
  appDefinedKeys: 10,
  appDefinedKeyBytes: 16,
  appDefinedValueBytes: 512,
  /** account_import documents UserID as at most 32 bytes; the same bound is applied to every account. */
  userIdBytes: 32,
} as const;

/** Prefix reserved for server-assigned group ids. */
export const IM_RESERVED_GROUP_ID_PREFIX = "@TGS#";

/** Prefix every Community group id must carry. */
export const IM_COMMUNITY_GROUP_ID_PREFIX = "@TGS#_";

/** get_group_info / destroy_group per-group codes meaning "no such group". */
export const IM_GROUP_NOT_FOUND_CODES: ReadonlySet<number> = new Set([10010, 10015]);

/** multiaccount_import: at most 100 accounts per call (more are sent in several calls). */
export const IM_IMPORT_ACCOUNTS_PER_CALL = 100;

/**
 * add_group_member: members per call. The current Chinese page (updated 2026-02) says 20; older
 * English pages say 300 (2024) and 500 (2020). The client chunks at the smallest, which every
 * version of the service accepts; the sandbox enforces it.
 */
export const IM_ADD_MEMBERS_PER_CALL = 20;

/** `MuteAllMember` values of modify_group_base_info. */
export const IM_MUTE_ALL_MEMBER_VALUES = ["On", "Off"] as const;

/**
 * add_group_member's per-member `Result`: 0 failed, 1 added, 2 already a member, 3 waiting for
 * the invitee's confirmation (the IM SDKs' V2TIMGroupMemberResult uses the same numbers).
 */
export const IM_ADD_MEMBER_RESULTS = { 0: "failed", 1: "added", 2: "already-member", 3: "pending" } as const;
