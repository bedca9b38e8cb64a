/** The JSON bodies IM sends and receives, and the mapping to this service's types. */
import * as z from "zod/mini";
import type { ImAccount, ImGroupBaseInfoChanges, ImGroupInfo, ImGroupSpec } from "./types.ts";

// Leaf rules used by several fields, built once (zod schemas are immutable; each one less is a
// schema fewer built at every cold start).
const text = z.string();
const optionalText = z.optional(text);
const int = z.int();

/** Every IM answer carries these; extra fields depend on the command. */
export const imEnvelopeSchema = z.looseObject({
  ActionStatus: text,
  ErrorCode: int,
  ErrorInfo: optionalText,
});

/** The envelope of one IM answer. */
export type ImEnvelope = z.infer<typeof imEnvelopeSchema>;

export const createGroupAnswerSchema = z.looseObject({ GroupId: text });

const groupInfoEntrySchema = z.looseObject({
  GroupId: text,
  ErrorCode: int,
  ErrorInfo: optionalText,
  Type: optionalText,
  Name: optionalText,
  Owner_Account: optionalText,
  Introduction: optionalText,
  Notification: optionalText,
  MemberNum: z.optional(z.number()),
  FaceUrl: optionalText,
  ApplyJoinOption: optionalText,
  MemberList: z.optional(z.array(z.looseObject({ Member_Account: text }))),
});

/** One entry of get_group_info's `GroupInfo`. */
export type ImGroupInfoEntry = z.infer<typeof groupInfoEntrySchema>;

export const getGroupInfoAnswerSchema = z.looseObject({ GroupInfo: z.array(groupInfoEntrySchema) });

/**
 * The account_import body.
 *
 * @example
 * ```ts
 * accountImportBody({ userId: "acme-admin" }); // { UserID: "acme-admin" }
 * ```
 */
export function accountImportBody(account: ImAccount): Record<string, unknown> {
  return { UserID: account.userId, Nick: account.nick, FaceUrl: account.faceUrl };
}

/**
 * The create_group body (undefined fields are left out by JSON.stringify).
 *
 * @example
 * ```ts
 * createGroupBody({ type: "Public", name: "Acme", groupId: "t-42" }); // { Type: "Public", Name: "Acme", GroupId: "t-42" }
 * ```
 */
export function createGroupBody(spec: ImGroupSpec): Record<string, unknown> {
  return {
    Owner_Account: spec.ownerAccount,
    Type: spec.type,
    GroupId: spec.groupId,
    Name: spec.name,
    Introduction: spec.introduction,
    Notification: spec.notification,
    FaceUrl: spec.faceUrl,
    MaxMemberCount: spec.maxMemberCount,
    ApplyJoinOption: spec.applyJoinOption,
    SupportTopic: spec.supportTopic,
    AppDefinedData: spec.appDefinedData?.map((e) => ({ Key: e.key, Value: e.value })),
    MemberList: spec.members?.map((m) => ({ Member_Account: m.userId, Role: m.role })),
  };
}

/**
 * A successful get_group_info entry in this service's terms.
 *
 * @example
 * ```ts
 * toGroupInfo({ GroupId: "t-42", ErrorCode: 0, Type: "Public", Name: "Acme" }).type; // "Public"
 * ```
 */
export function toGroupInfo(entry: ImGroupInfoEntry): ImGroupInfo {
  return {
    groupId: entry.GroupId,
    type: entry.Type ?? "",
    name: entry.Name ?? "",
    ownerAccount: entry.Owner_Account === "" ? undefined : entry.Owner_Account,
    introduction: entry.Introduction,
    notification: entry.Notification,
    memberNum: entry.MemberNum,
    faceUrl: entry.FaceUrl,
    applyJoinOption: entry.ApplyJoinOption,
    members: entry.MemberList?.map((m) => m.Member_Account),
  };
}

/** multiaccount_import's answer: the accounts that were not imported. */
export const multiAccountImportAnswerSchema = z.looseObject({ FailAccounts: z.optional(z.array(text)) });

/** add_group_member's answer: one `Result` per member. */
// Built on first use (z.lazy): members are added only by a group update.
export const addGroupMemberAnswerSchema = z.lazy(() =>
  z.looseObject({
    MemberList: z.array(z.looseObject({ Member_Account: text, Result: int })),
  }),
);

/**
 * The multiaccount_import body, in the current `AccountList` form.
 *
 * @example
 * ```ts
 * multiAccountImportBody([{ userId: "bob" }]); // { AccountList: [{ UserID: "bob" }] }
 * ```
 */
export function multiAccountImportBody(accounts: readonly ImAccount[]): Record<string, unknown> {
  return { AccountList: accounts.map((a) => ({ UserID: a.userId, Nick: a.nick, FaceUrl: a.faceUrl })) };
}

/**
 * The modify_group_base_info body (undefined fields are left out by JSON.stringify).
 *
 * @example
 * ```ts
 * modifyGroupBaseInfoBody("t-42", { name: "Acme 2" }); // { GroupId: "t-42", Name: "Acme 2" }
 * ```
 */
export function modifyGroupBaseInfoBody(groupId: string, changes: ImGroupBaseInfoChanges): Record<string, unknown> {
  return {
    GroupId: groupId,
    Name: changes.name,
    Introduction: changes.introduction,
    Notification: changes.notification,
    FaceUrl: changes.faceUrl,
    MaxMemberNum: changes.maxMemberCount,
    ApplyJoinOption: changes.applyJoinOption,
    MuteAllMember: changes.muteAllMember,
  };
}

/**
 * The add_group_member body.
 *
 * @example
 * ```ts
 * addGroupMemberBody("t-42", ["bob"], true); // { GroupId: "t-42", Silence: 1, MemberList: [{ Member_Account: "bob" }] }
 * ```
 */
export function addGroupMemberBody(groupId: string, userIds: readonly string[], silence: boolean): Record<string, unknown> {
  return { GroupId: groupId, ...(silence ? { Silence: 1 } : {}), MemberList: userIds.map((id) => ({ Member_Account: id })) };
}
