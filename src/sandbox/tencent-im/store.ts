/**
 * One app's accounts and groups, and the four commands over them with IM's documented rules
 * and error codes. Written independently of the client's validation so each checks the other.
 */
import { randomBytes } from "node:crypto";
import { IM_SANDBOX_CODES as CODES, ImRejection } from "./rejection.ts";
import type { ImForeignGroup, ImSandboxGroup } from "./types.ts";

/** An answer's command-specific fields; the server adds ActionStatus/ErrorCode/ErrorInfo. */
export type ImAnswerFields = Record<string, unknown>;

const GROUP_TYPES = new Set(["Private", "Work", "Public", "ChatRoom", "Meeting", "AVChatRoom", "Community"]);
const APPLY_JOIN_OPTIONS = new Set(["FreeAccess", "NeedPermission", "DisableApply"]);
const DEFAULT_MAX_MEMBERS = 2000;
/** multiaccount_import: at most 100 accounts a call. */
const MAX_IMPORT_ACCOUNTS = 100;
/** add_group_member: at most 20 members a call (the current page; see the client's constant). */
const MAX_ADD_MEMBERS = 20;
const MUTE_ALL_MEMBER = new Set(["On", "Off"]);

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function optionalString(body: Record<string, unknown>, field: string, maxBytes: number, code: number = CODES.invalidParams): string {
  const value = body[field];
  if (value === undefined) return "";
  if (typeof value !== "string") throw new ImRejection(code, `${field} must be a string`);
  if (utf8Bytes(value) > maxBytes) throw new ImRejection(code, `${field} is longer than ${maxBytes} bytes`);
  return value;
}

function userId(value: unknown, field: string, code: number): string {
  if (typeof value !== "string" || value === "" || utf8Bytes(value) > 32) {
    throw new ImRejection(code, `${field} must be a non-empty string of at most 32 bytes`);
  }
  return value;
}

/**
 * Accounts and groups of one SDKAppID. Methods answer the command's extra fields or throw an
 * {@link ImRejection} carrying IM's code.
 *
 * @example
 * ```ts
 * const store = new ImAppStore({ now: () => Date.now() });
 * store.accountImport({ UserID: "owner" });
 * store.createGroup({ Type: "Public", Name: "Acme", GroupId: "t-42", Owner_Account: "owner" }); // { GroupId: "t-42" }
 * ```
 */
export class ImAppStore {
  readonly #accounts = new Map<string, { nick: string; faceUrl: string }>();
  readonly #groups = new Map<string, ImSandboxGroup>();
  readonly #destroyed = new Set<string>();
  readonly #appDefinedKeys: ReadonlySet<string>;
  readonly #maxGroupsPerOwner: number;
  readonly #maxAccounts: number;
  readonly #now: () => number;

  constructor(options: {
    appDefinedDataKeys?: readonly string[] | undefined;
    maxGroupsPerOwner?: number | undefined;
    maxAccounts?: number | undefined;
    now: () => number;
  }) {
    this.#appDefinedKeys = new Set(options.appDefinedDataKeys ?? []);
    this.#maxGroupsPerOwner = options.maxGroupsPerOwner ?? Infinity;
    this.#maxAccounts = options.maxAccounts ?? Infinity;
    this.#now = options.now;
  }

  /** account_import: creates or updates; idempotent. */
  accountImport(body: Record<string, unknown>): ImAnswerFields {
    const id = userId(body["UserID"], "UserID", CODES.accountInvalidParams);
    const nick = optionalString(body, "Nick", 500, CODES.accountInvalidParams);
    const faceUrl = optionalString(body, "FaceUrl", 500, CODES.accountInvalidParams);
    this.#accounts.set(id, { nick, faceUrl });
    return {};
  }

  /**
   * multiaccount_import: `AccountList: [{UserID, Nick?, FaceUrl?}]` or the older `Accounts: [id]`,
   * 1-100 entries, each UserID ≤32 bytes (70402 otherwise). Existing accounts are updated.
   * `fails(id)` picks accounts that fail inside IM: they come back in `FailAccounts`, not imported.
   */
  multiAccountImport(body: Record<string, unknown>, fails: (userId: string) => boolean = () => false): ImAnswerFields {
    const list = body["AccountList"];
    const legacy = body["Accounts"];
    let entries: Array<{ id: string; nick: string | undefined; faceUrl: string | undefined }>;
    if (list !== undefined) {
      if (!Array.isArray(list)) throw new ImRejection(CODES.accountInvalidParams, "AccountList must be an array");
      entries = list.map((entry: unknown) => {
        if (typeof entry !== "object" || entry === null) throw new ImRejection(CODES.accountInvalidParams, "AccountList entries must be objects");
        const e = entry as Record<string, unknown>;
        const id = userId(e["UserID"], "UserID", CODES.accountInvalidParams);
        const nick = e["Nick"] === undefined ? undefined : optionalString(e, "Nick", 500, CODES.accountInvalidParams);
        const faceUrl = e["FaceUrl"] === undefined ? undefined : optionalString(e, "FaceUrl", 500, CODES.accountInvalidParams);
        return { id, nick, faceUrl };
      });
    } else if (legacy !== undefined) {
      if (!Array.isArray(legacy)) throw new ImRejection(CODES.accountInvalidParams, "Accounts must be an array");
      entries = legacy.map((id: unknown) => ({ id: userId(id, "Accounts", CODES.accountInvalidParams), nick: undefined, faceUrl: undefined }));
    } else {
      throw new ImRejection(CODES.accountInvalidParams, "AccountList is required");
    }
    if (entries.length === 0 || entries.length > MAX_IMPORT_ACCOUNTS) {
      throw new ImRejection(CODES.accountInvalidParams, `AccountList must hold 1-${MAX_IMPORT_ACCOUNTS} accounts`);
    }
    const fresh = new Set(entries.map((e) => e.id).filter((id) => !this.#accounts.has(id)));
    if (this.#accounts.size + fresh.size > this.#maxAccounts) throw new ImRejection(CODES.accountQuota, "the account quota of this app is used up");
    const failed: string[] = [];
    for (const entry of entries) {
      if (fails(entry.id)) {
        if (!failed.includes(entry.id)) failed.push(entry.id);
        continue;
      }
      const before = this.#accounts.get(entry.id);
      this.#accounts.set(entry.id, { nick: entry.nick ?? before?.nick ?? "", faceUrl: entry.faceUrl ?? before?.faceUrl ?? "" });
    }
    return { FailAccounts: failed };
  }

  /**
   * modify_group_base_info: GroupId required; the group must exist (10010 dismissed, 10015 never
   * existed); Name non-empty ≤30 bytes, Introduction ≤240, Notification ≤300, FaceUrl ≤100,
   * MaxMemberNum a positive integer not below the member count, ApplyJoinOption one of three
   * (not for Community), MuteAllMember On/Off, AppDefinedData keys enabled in the console (10004).
   */
  modifyGroupBaseInfo(body: Record<string, unknown>): ImAnswerFields {
    const group = this.#existingGroup(body["GroupId"]);
    const name = body["Name"];
    if (name !== undefined && (typeof name !== "string" || name === "" || utf8Bytes(name) > 30)) {
      throw new ImRejection(CODES.invalidParams, "Name must be 1-30 bytes");
    }
    const introduction = body["Introduction"] === undefined ? undefined : optionalString(body, "Introduction", 240);
    const notification = body["Notification"] === undefined ? undefined : optionalString(body, "Notification", 300);
    const faceUrl = body["FaceUrl"] === undefined ? undefined : optionalString(body, "FaceUrl", 100);
    const maxMemberNum = body["MaxMemberNum"];
    if (maxMemberNum !== undefined && !(Number.isSafeInteger(maxMemberNum) && (maxMemberNum as number) >= group.members.length && (maxMemberNum as number) > 0)) {
      throw new ImRejection(CODES.invalidParams, "MaxMemberNum must be a positive integer not below the member count");
    }
    const applyJoinOption = body["ApplyJoinOption"];
    if (applyJoinOption !== undefined) {
      if (typeof applyJoinOption !== "string" || !APPLY_JOIN_OPTIONS.has(applyJoinOption)) throw new ImRejection(CODES.invalidParams, "invalid ApplyJoinOption");
      if (group.type === "Community") throw new ImRejection(CODES.invalidParams, "ApplyJoinOption is not supported by Community");
    }
    const mute = body["MuteAllMember"];
    if (mute !== undefined && (typeof mute !== "string" || !MUTE_ALL_MEMBER.has(mute))) throw new ImRejection(CODES.invalidParams, "MuteAllMember must be On or Off");
    const appDefinedData = body["AppDefinedData"] === undefined ? undefined : this.#appDefinedData(body["AppDefinedData"]);

    // Every check passed: apply all changes at once (a refused request changes nothing).
    if (typeof name === "string") group.name = name;
    if (introduction !== undefined) group.introduction = introduction;
    if (notification !== undefined) group.notification = notification;
    if (faceUrl !== undefined) group.faceUrl = faceUrl;
    if (typeof maxMemberNum === "number") group.maxMemberCount = maxMemberNum;
    if (typeof applyJoinOption === "string") group.applyJoinOption = applyJoinOption;
    if (mute === "On" || mute === "Off") group.muteAllMember = mute;
    if (appDefinedData !== undefined) {
      for (const entry of appDefinedData) {
        const existing = group.appDefinedData.find((e) => e.key === entry.key);
        if (existing) existing.value = entry.value;
        else group.appDefinedData.push(entry);
      }
    }
    return {};
  }

  /**
   * add_group_member: GroupId required and existing (10010/10015); not for AVChatRoom (10007);
   * MemberList of 1-20 `{Member_Account}` (10004 empty or malformed, 10005 too many); Silence 0/1;
   * every account imported (10019); the group may not exceed MaxMemberNum (10014). Each member's
   * `Result`: 1 added, 2 already a member, 0 failed (`fails(id)`: injected per-member failure).
   */
  addGroupMember(body: Record<string, unknown>, fails: (userId: string) => boolean = () => false): ImAnswerFields {
    const group = this.#existingGroup(body["GroupId"]);
    if (group.type === "AVChatRoom") throw new ImRejection(CODES.permissionDenied, "AVChatRoom does not support add_group_member");
    const silence = body["Silence"];
    if (silence !== undefined && silence !== 0 && silence !== 1) throw new ImRejection(CODES.invalidParams, "Silence must be 0 or 1");
    const list = body["MemberList"];
    if (!Array.isArray(list) || list.length === 0) throw new ImRejection(CODES.invalidParams, "MemberList must hold at least one member");
    if (list.length > MAX_ADD_MEMBERS) throw new ImRejection(CODES.tooManyMembers, `MemberList holds more than ${MAX_ADD_MEMBERS} members`);
    const ids = list.map((entry: unknown) => {
      const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      return userId(e["Member_Account"], "Member_Account", CODES.invalidParams);
    });
    if (ids.some((id) => !this.#accounts.has(id))) throw new ImRejection(CODES.memberNotImported, "MemberList holds accounts that are not imported");
    const joining = new Set(ids.filter((id) => !group.members.includes(id)));
    if (group.members.length + joining.size > group.maxMemberCount) throw new ImRejection(CODES.groupFull, "the group is full");
    const results = ids.map((id) => {
      if (group.members.includes(id)) return { Member_Account: id, Result: 2 };
      if (fails(id)) return { Member_Account: id, Result: 0 };
      group.members.push(id);
      return { Member_Account: id, Result: 1 };
    });
    return { MemberList: results };
  }

  /** create_group with every documented field rule. */
  createGroup(body: Record<string, unknown>): ImAnswerFields {
    const type = body["Type"];
    if (typeof type !== "string" || !GROUP_TYPES.has(type)) throw new ImRejection(CODES.invalidParams, "invalid Type");
    const community = type === "Community";
    const name = body["Name"];
    if (typeof name !== "string" || name === "") throw new ImRejection(CODES.invalidParams, "Name is required");
    if (utf8Bytes(name) > 30) throw new ImRejection(CODES.invalidParams, "Name is longer than 30 bytes");
    const introduction = optionalString(body, "Introduction", 240);
    const notification = optionalString(body, "Notification", 300);
    const faceUrl = optionalString(body, "FaceUrl", 100);

    const groupIdValue = body["GroupId"];
    let groupId: string | undefined;
    if (groupIdValue !== undefined) {
      if (typeof groupIdValue !== "string" || groupIdValue === "" || !/^[\x20-\x7e]+$/.test(groupIdValue) || groupIdValue.length > 48) {
        throw new ImRejection(CODES.invalidParams, "GroupId must be 1-48 printable ASCII characters");
      }
      if (community ? !groupIdValue.startsWith("@TGS#_") : groupIdValue.startsWith("@TGS#")) {
        throw new ImRejection(CODES.invalidParams, community ? "Community GroupId must start with @TGS#_" : "GroupId must not start with @TGS#");
      }
      groupId = groupIdValue;
    }

    const applyJoinOption = body["ApplyJoinOption"];
    if (applyJoinOption !== undefined) {
      if (typeof applyJoinOption !== "string" || !APPLY_JOIN_OPTIONS.has(applyJoinOption)) {
        throw new ImRejection(CODES.invalidParams, "invalid ApplyJoinOption");
      }
      if (community) throw new ImRejection(CODES.invalidParams, "ApplyJoinOption is not supported by Community");
    }
    const supportTopic = body["SupportTopic"];
    if (supportTopic !== undefined) {
      if (supportTopic !== 0 && supportTopic !== 1) throw new ImRejection(CODES.invalidParams, "SupportTopic must be 0 or 1");
      if (!community) throw new ImRejection(CODES.invalidParams, "SupportTopic is only for Community");
    }
    const maxMemberCount = body["MaxMemberCount"];
    if (maxMemberCount !== undefined && !(Number.isSafeInteger(maxMemberCount) && (maxMemberCount as number) > 0)) {
      throw new ImRejection(CODES.invalidParams, "MaxMemberCount must be a positive integer");
    }

    const appDefinedData = this.#appDefinedData(body["AppDefinedData"]);
    const memberIds = this.#memberList(body["MemberList"], type);

    const ownerValue = body["Owner_Account"];
    let owner: string | undefined;
    if (ownerValue !== undefined) {
      owner = userId(ownerValue, "Owner_Account", CODES.invalidParams);
      if (!this.#accounts.has(owner)) throw new ImRejection(CODES.invalidParams, "invalid owner id: Owner_Account is not imported");
    }
    const notImported = memberIds.filter((m) => !this.#accounts.has(m));
    if (notImported.length > 0) throw new ImRejection(CODES.memberNotImported, "MemberList holds accounts that are not imported");

    if (groupId !== undefined) {
      const existing = this.#groups.get(groupId);
      if (existing !== undefined) {
        if (existing.owner === owner) throw new ImRejection(CODES.groupIdUsedBySelf, "you have already used this GroupId");
        throw new ImRejection(CODES.groupIdUsedByOther, "GroupId has been used by another user");
      }
    }
    if (owner !== undefined && this.#ownedBy(owner) >= this.#maxGroupsPerOwner) {
      throw new ImRejection(CODES.ownerGroupLimit, "the owner has reached the group limit");
    }

    const id = groupId ?? `${community ? "@TGS#_@TGS#" : "@TGS#"}${randomBytes(6).toString("hex").toUpperCase()}`;
    const members = owner === undefined ? [...memberIds] : [owner, ...memberIds.filter((m) => m !== owner)];
    this.#groups.set(id, {
      groupId: id,
      type,
      owner,
      name,
      introduction,
      notification,
      faceUrl,
      applyJoinOption: typeof applyJoinOption === "string" ? applyJoinOption : "NeedPermission",
      maxMemberCount: typeof maxMemberCount === "number" ? maxMemberCount : DEFAULT_MAX_MEMBERS,
      appDefinedData,
      members,
      createTime: Math.floor(this.#now() / 1000),
    });
    this.#destroyed.delete(id);
    return community ? { GroupId: id, HugeGroupFlag: 0, Type: type } : { GroupId: id };
  }

  /** get_group_info: one entry per id, each with its own ErrorCode. */
  getGroupInfo(body: Record<string, unknown>): ImAnswerFields {
    const list = body["GroupIdList"];
    if (!Array.isArray(list) || list.length === 0 || list.length > 50 || !list.every((id) => typeof id === "string")) {
      throw new ImRejection(CODES.invalidParams, "GroupIdList must hold 1-50 group ids");
    }
    return { GroupInfo: (list as string[]).map((id) => this.#groupInfoEntry(id)) };
  }

  /** destroy_group: 10010 when dismissed before, 10015 when it never existed. */
  destroyGroup(body: Record<string, unknown>): ImAnswerFields {
    const group = this.#existingGroup(body["GroupId"]);
    this.#groups.delete(group.groupId);
    this.#destroyed.add(group.groupId);
    return {};
  }

  /** Test hook: a group someone else made with the same id. */
  addForeignGroup(group: ImForeignGroup): void {
    this.#accounts.set(group.ownerAccount, { nick: "", faceUrl: "" });
    this.#groups.set(group.groupId, {
      groupId: group.groupId,
      type: group.type,
      owner: group.ownerAccount,
      name: group.name,
      introduction: group.introduction ?? "",
      notification: "",
      faceUrl: "",
      applyJoinOption: "NeedPermission",
      maxMemberCount: DEFAULT_MAX_MEMBERS,
      appDefinedData: [],
      members: [group.ownerAccount],
      createTime: Math.floor(this.#now() / 1000),
    });
  }

  snapshot(): { accounts: string[]; groups: ImSandboxGroup[]; destroyedGroups: string[] } {
    return {
      accounts: [...this.#accounts.keys()],
      groups: [...this.#groups.values()].map((g) => ({ ...g, members: [...g.members], appDefinedData: g.appDefinedData.map((e) => ({ ...e })) })),
      destroyedGroups: [...this.#destroyed],
    };
  }

  clear(): void {
    this.#accounts.clear();
    this.#groups.clear();
    this.#destroyed.clear();
  }

  /** The group a command names, or the code IM answers for a missing one. */
  #existingGroup(id: unknown): ImSandboxGroup {
    if (typeof id !== "string" || id === "") throw new ImRejection(CODES.invalidParams, "GroupId is required");
    const group = this.#groups.get(id);
    if (group !== undefined) return group;
    if (this.#destroyed.has(id)) throw new ImRejection(CODES.groupDismissed, "the group has been dismissed");
    throw new ImRejection(CODES.groupNotFound, "invalid GroupId");
  }

  #ownedBy(owner: string): number {
    let n = 0;
    for (const g of this.#groups.values()) if (g.owner === owner) n++;
    return n;
  }

  #appDefinedData(value: unknown): Array<{ key: string; value: string }> {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.length > 10) throw new ImRejection(CODES.invalidParams, "AppDefinedData must hold at most 10 entries");
    return value.map((entry: unknown) => {
      const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      const key = e["Key"];
      const val = e["Value"];
      if (typeof key !== "string" || !/^[A-Za-z0-9_]{1,16}$/.test(key)) {
        throw new ImRejection(CODES.invalidParams, "AppDefinedData Key must be 1-16 characters of [A-Za-z0-9_]");
      }
      if (typeof val !== "string" || utf8Bytes(val) > 512) throw new ImRejection(CODES.invalidParams, "AppDefinedData Value must be at most 512 bytes");
      if (!this.#appDefinedKeys.has(key)) throw new ImRejection(CODES.invalidParams, "AppDefinedData key is not enabled in the console");
      return { key, value: val };
    });
  }

  #memberList(value: unknown, type: string): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new ImRejection(CODES.invalidParams, "MemberList must be an array");
    if (type === "AVChatRoom" && value.length > 0) throw new ImRejection(CODES.permissionDenied, "AVChatRoom does not allow MemberList");
    if (value.length > 100) throw new ImRejection(CODES.tooManyMembers, "MemberList holds more than 100 members");
    return value.map((entry: unknown) => {
      const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      const role = e["Role"];
      if (role !== undefined && role !== "Admin") throw new ImRejection(CODES.invalidParams, "Role can only be Admin");
      return userId(e["Member_Account"], "Member_Account", CODES.invalidParams);
    });
  }

  #groupInfoEntry(id: string): Record<string, unknown> {
    const g = this.#groups.get(id);
    if (g === undefined) {
      return this.#destroyed.has(id)
        ? { GroupId: id, ErrorCode: CODES.groupDismissed, ErrorInfo: "the group has been dismissed" }
        : { GroupId: id, ErrorCode: CODES.groupNotFound, ErrorInfo: "invalid GroupId" };
    }
    return {
      GroupId: g.groupId,
      ErrorCode: 0,
      ErrorInfo: "",
      Type: g.type,
      Name: g.name,
      Introduction: g.introduction,
      Notification: g.notification,
      FaceUrl: g.faceUrl,
      Owner_Account: g.owner ?? "",
      CreateTime: g.createTime,
      MemberNum: g.members.length,
      MaxMemberNum: g.maxMemberCount,
      ApplyJoinOption: g.applyJoinOption,
      ShutUpAllMember: g.muteAllMember ?? "Off",
      AppDefinedData: g.appDefinedData.map((e) => ({ Key: e.key, Value: e.value })),
      MemberList: g.members.map((m) => ({ Member_Account: m, Role: m === g.owner ? "Owner" : "Member", JoinTime: g.createTime })),
    };
  }
}
