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
  readonly #now: () => number;

  constructor(options: { appDefinedDataKeys?: readonly string[] | undefined; maxGroupsPerOwner?: number | undefined; now: () => number }) {
    this.#appDefinedKeys = new Set(options.appDefinedDataKeys ?? []);
    this.#maxGroupsPerOwner = options.maxGroupsPerOwner ?? Infinity;
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
    const id = body["GroupId"];
    if (typeof id !== "string" || id === "") throw new ImRejection(CODES.invalidParams, "GroupId is required");
    if (!this.#groups.has(id)) {
      if (this.#destroyed.has(id)) throw new ImRejection(CODES.groupDismissed, "the group has been dismissed");
      throw new ImRejection(CODES.groupNotFound, "invalid GroupId");
    }
    this.#groups.delete(id);
    this.#destroyed.add(id);
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
      AppDefinedData: g.appDefinedData.map((e) => ({ Key: e.key, Value: e.value })),
      MemberList: g.members.map((m) => ({ Member_Account: m, Role: m === g.owner ? "Owner" : "Member", JoinTime: g.createTime })),
    };
  }
}
