/**
 * Every documented create_group / account_import rule, checked before any call so a bad
 * request never reaches IM. Issues name the field and the rule, never echo a value.
 */
import type { ValidationIssue } from "../../errors.ts";
import {
  IM_APPLY_JOIN_OPTIONS,
  IM_MUTE_ALL_MEMBER_VALUES,
  IM_COMMUNITY_GROUP_ID_PREFIX,
  IM_GROUP_LIMITS,
  IM_GROUP_TYPES,
  IM_RESERVED_GROUP_ID_PREFIX,
} from "./constants.ts";
import { MARKER_MAX_BYTES, markedIntroduction } from "./marker.ts";
import type { EnsureGroupSpec, ImAccount, ImGroupBaseInfoChanges, ImGroupSpec, RemoveGroupSpec } from "./types.ts";

const APP_DEFINED_KEY = /^[A-Za-z0-9_]+$/;
/** 0x20-0x7e: the printable ASCII range IM allows in a custom GroupId. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function checkUserId(value: unknown, field: string, issues: ValidationIssue[]): void {
  if (typeof value !== "string" || value.length === 0) {
    issues.push({ field, rule: "required non-empty string" });
  } else if (bytes(value) > IM_GROUP_LIMITS.userIdBytes) {
    issues.push({ field, rule: `at most ${IM_GROUP_LIMITS.userIdBytes} UTF-8 bytes` });
  }
}

function checkOptionalText(value: unknown, field: string, maxBytes: number, issues: ValidationIssue[]): void {
  if (value === undefined) return;
  if (typeof value !== "string") issues.push({ field, rule: "must be a string" });
  else if (bytes(value) > maxBytes) issues.push({ field, rule: `at most ${maxBytes} UTF-8 bytes` });
}

/**
 * Issues of an account to import: UserID non-empty, at most 32 bytes (account_import's
 * documented limit, applied to every account this service names).
 *
 * @example
 * ```ts
 * accountIssues({ userId: "" }); // [{ field: "userId", rule: "required non-empty string" }]
 * ```
 */
export function accountIssues(account: ImAccount, prefix = ""): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkUserId(account.userId, `${prefix}userId`, issues);
  if (account.nick !== undefined && typeof account.nick !== "string") issues.push({ field: `${prefix}nick`, rule: "must be a string" });
  if (account.faceUrl !== undefined && typeof account.faceUrl !== "string") {
    issues.push({ field: `${prefix}faceUrl`, rule: "must be a string" });
  }
  return issues;
}

/**
 * Issues of a create_group request against every documented field rule.
 *
 * @example
 * ```ts
 * groupSpecIssues({ type: "AVChatRoom", name: "x", members: [{ userId: "bob" }] });
 * // [{ field: "members", rule: "not allowed for AVChatRoom" }]
 * ```
 */
export function groupSpecIssues(spec: ImGroupSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const typeOk = (IM_GROUP_TYPES as readonly string[]).includes(spec.type);
  if (!typeOk) issues.push({ field: "type", rule: `one of ${IM_GROUP_TYPES.join(", ")}` });
  const community = spec.type === "Community";

  if (typeof spec.name !== "string" || spec.name.length === 0) issues.push({ field: "name", rule: "required non-empty string" });
  else if (bytes(spec.name) > IM_GROUP_LIMITS.nameBytes) {
    issues.push({ field: "name", rule: `at most ${IM_GROUP_LIMITS.nameBytes} UTF-8 bytes` });
  }
  checkOptionalText(spec.introduction, "introduction", IM_GROUP_LIMITS.introductionBytes, issues);
  checkOptionalText(spec.notification, "notification", IM_GROUP_LIMITS.notificationBytes, issues);
  checkOptionalText(spec.faceUrl, "faceUrl", IM_GROUP_LIMITS.faceUrlBytes, issues);

  if (spec.groupId !== undefined) {
    const id = spec.groupId;
    if (typeof id !== "string" || id.length === 0 || !PRINTABLE_ASCII.test(id)) {
      issues.push({ field: "groupId", rule: "printable ASCII (0x20-0x7e), non-empty" });
    } else if (bytes(id) > IM_GROUP_LIMITS.groupIdBytes) {
      issues.push({ field: "groupId", rule: `at most ${IM_GROUP_LIMITS.groupIdBytes} bytes` });
    } else if (community && !id.startsWith(IM_COMMUNITY_GROUP_ID_PREFIX)) {
      issues.push({ field: "groupId", rule: `must start with ${IM_COMMUNITY_GROUP_ID_PREFIX} for Community` });
    } else if (!community && id.startsWith(IM_RESERVED_GROUP_ID_PREFIX)) {
      issues.push({ field: "groupId", rule: `must not start with ${IM_RESERVED_GROUP_ID_PREFIX} (except Community)` });
    }
  }

  if (spec.ownerAccount !== undefined) checkUserId(spec.ownerAccount, "ownerAccount", issues);

  if (spec.maxMemberCount !== undefined && !(Number.isSafeInteger(spec.maxMemberCount) && spec.maxMemberCount > 0)) {
    issues.push({ field: "maxMemberCount", rule: "positive integer" });
  }

  if (spec.applyJoinOption !== undefined) {
    if (!(IM_APPLY_JOIN_OPTIONS as readonly string[]).includes(spec.applyJoinOption)) {
      issues.push({ field: "applyJoinOption", rule: `one of ${IM_APPLY_JOIN_OPTIONS.join(", ")}` });
    } else if (community) {
      issues.push({ field: "applyJoinOption", rule: "not allowed for Community" });
    }
  }

  if (spec.supportTopic !== undefined) {
    if (spec.supportTopic !== 0 && spec.supportTopic !== 1) issues.push({ field: "supportTopic", rule: "0 or 1" });
    else if (!community) issues.push({ field: "supportTopic", rule: "only for Community" });
  }

  if (spec.members !== undefined) {
    if (!Array.isArray(spec.members)) {
      issues.push({ field: "members", rule: "must be an array" });
    } else {
      if (spec.type === "AVChatRoom" && spec.members.length > 0) issues.push({ field: "members", rule: "not allowed for AVChatRoom" });
      if (spec.members.length > IM_GROUP_LIMITS.members) {
        issues.push({ field: "members", rule: `at most ${IM_GROUP_LIMITS.members} members` });
      }
      const seen = new Set<string>();
      spec.members.forEach((member, i) => {
        checkUserId(member.userId, `members.${i}.userId`, issues);
        if (member.role !== undefined && member.role !== "Admin") issues.push({ field: `members.${i}.role`, rule: "only Admin" });
        if (seen.has(member.userId)) issues.push({ field: `members.${i}.userId`, rule: "unique within members" });
        seen.add(member.userId);
      });
    }
  }

  if (spec.appDefinedData !== undefined) {
    if (!Array.isArray(spec.appDefinedData)) {
      issues.push({ field: "appDefinedData", rule: "must be an array" });
    } else {
      if (spec.appDefinedData.length > IM_GROUP_LIMITS.appDefinedKeys) {
        issues.push({ field: "appDefinedData", rule: `at most ${IM_GROUP_LIMITS.appDefinedKeys} keys` });
      }
      const seen = new Set<string>();
      spec.appDefinedData.forEach((entry, i) => {
        if (typeof entry.key !== "string" || !APP_DEFINED_KEY.test(entry.key)) {
          issues.push({ field: `appDefinedData.${i}.key`, rule: "non-empty, only [A-Za-z0-9_]" });
        } else if (bytes(entry.key) > IM_GROUP_LIMITS.appDefinedKeyBytes) {
          issues.push({ field: `appDefinedData.${i}.key`, rule: `at most ${IM_GROUP_LIMITS.appDefinedKeyBytes} bytes` });
        } else if (seen.has(entry.key)) {
          issues.push({ field: `appDefinedData.${i}.key`, rule: "unique" });
        }
        if (typeof entry.key === "string") seen.add(entry.key);
        if (typeof entry.value !== "string") issues.push({ field: `appDefinedData.${i}.value`, rule: "must be a string" });
        else if (bytes(entry.value) > IM_GROUP_LIMITS.appDefinedValueBytes) {
          issues.push({ field: `appDefinedData.${i}.value`, rule: `at most ${IM_GROUP_LIMITS.appDefinedValueBytes} bytes` });
        }
      });
    }
  }
  return issues;
}

/**
 * Issues of an ensureGroup spec: the create_group rules on the request actually sent (with the
 * marker in the Introduction), plus a required GroupId, owner and marker.
 *
 * @example
 * ```ts
 * ensureGroupSpecIssues({ type: "Public", name: "Acme", groupId: "t-42", ownerAccount: "acme-admin", marker: "" });
 * // [{ field: "marker", rule: "1-64 printable ASCII bytes, no spaces or brackets" }]
 * ```
 */
export function ensureGroupSpecIssues(spec: EnsureGroupSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof spec.groupId !== "string" || spec.groupId.length === 0) issues.push({ field: "groupId", rule: "required for ensureGroup" });
  if (spec.ownerAccount === undefined) issues.push({ field: "ownerAccount", rule: "required for ensureGroup" });
  const markerOk =
    typeof spec.marker === "string" &&
    /^[\x21-\x7e]+$/.test(spec.marker) &&
    !/[[\]]/.test(spec.marker) &&
    spec.marker.length <= MARKER_MAX_BYTES;
  if (!markerOk) issues.push({ field: "marker", rule: `1-${MARKER_MAX_BYTES} printable ASCII bytes, no spaces or brackets` });
  const introductionIssues: ValidationIssue[] = [];
  checkOptionalText(spec.introduction, "introduction", IM_GROUP_LIMITS.introductionBytes, introductionIssues);
  const sent = markerOk && introductionIssues.length === 0 ? markedIntroduction(spec.introduction, spec.marker) : spec.introduction;
  for (const issue of groupSpecIssues({ ...spec, introduction: sent })) {
    issues.push(
      issue.field === "introduction" && markerOk
        ? { field: "introduction", rule: `with the marker appended, at most ${IM_GROUP_LIMITS.introductionBytes} UTF-8 bytes` }
        : issue,
    );
  }
  return issues;
}

function checkGroupId(value: unknown, issues: ValidationIssue[]): void {
  if (typeof value !== "string" || value.length === 0) issues.push({ field: "groupId", rule: "required non-empty string" });
}

/**
 * Issues of a bare GroupId argument (get_group_info, destroy_group).
 *
 * @example
 * ```ts
 * groupIdIssues(""); // [{ field: "groupId", rule: "required non-empty string" }]
 * ```
 */
export function groupIdIssues(groupId: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkGroupId(groupId, issues);
  return issues;
}

/**
 * Issues of a multiaccount_import list: at least one account, each a valid account. Any length
 * is fine here (the client sends ≤100 a call).
 *
 * @example
 * ```ts
 * importAccountsIssues([]); // [{ field: "accounts", rule: "at least one account" }]
 * ```
 */
export function importAccountsIssues(accounts: readonly ImAccount[]): ValidationIssue[] {
  if (!Array.isArray(accounts)) return [{ field: "accounts", rule: "must be an array" }];
  if (accounts.length === 0) return [{ field: "accounts", rule: "at least one account" }];
  return accounts.flatMap((account, i) => accountIssues(account, `accounts.${i}.`));
}

/**
 * Issues of a modify_group_base_info request: a GroupId, at least one change, and the same
 * field limits as create_group.
 *
 * @example
 * ```ts
 * groupBaseInfoChangesIssues("t-42", { name: "" }); // [{ field: "name", rule: "non-empty, at most 30 UTF-8 bytes" }]
 * ```
 */
export function groupBaseInfoChangesIssues(groupId: string, changes: ImGroupBaseInfoChanges): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkGroupId(groupId, issues);
  const given = Object.values(changes).filter((v) => v !== undefined);
  if (given.length === 0) issues.push({ field: "changes", rule: "at least one field to change" });
  if (changes.name !== undefined && (typeof changes.name !== "string" || changes.name.length === 0 || bytes(changes.name) > IM_GROUP_LIMITS.nameBytes)) {
    issues.push({ field: "name", rule: `non-empty, at most ${IM_GROUP_LIMITS.nameBytes} UTF-8 bytes` });
  }
  checkOptionalText(changes.introduction, "introduction", IM_GROUP_LIMITS.introductionBytes, issues);
  checkOptionalText(changes.notification, "notification", IM_GROUP_LIMITS.notificationBytes, issues);
  checkOptionalText(changes.faceUrl, "faceUrl", IM_GROUP_LIMITS.faceUrlBytes, issues);
  if (changes.maxMemberCount !== undefined && !(Number.isSafeInteger(changes.maxMemberCount) && changes.maxMemberCount > 0)) {
    issues.push({ field: "maxMemberCount", rule: "positive integer" });
  }
  if (changes.applyJoinOption !== undefined && !(IM_APPLY_JOIN_OPTIONS as readonly string[]).includes(changes.applyJoinOption)) {
    issues.push({ field: "applyJoinOption", rule: `one of ${IM_APPLY_JOIN_OPTIONS.join(", ")}` });
  }
  if (changes.muteAllMember !== undefined && !(IM_MUTE_ALL_MEMBER_VALUES as readonly string[]).includes(changes.muteAllMember)) {
    issues.push({ field: "muteAllMember", rule: `one of ${IM_MUTE_ALL_MEMBER_VALUES.join(", ")}` });
  }
  return issues;
}

/**
 * Issues of an add_group_member request: a GroupId and at least one valid, unique member.
 *
 * @example
 * ```ts
 * addGroupMembersIssues("t-42", ["bob", "bob"]); // [{ field: "userIds.1", rule: "unique" }]
 * ```
 */
export function addGroupMembersIssues(groupId: string, userIds: readonly string[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkGroupId(groupId, issues);
  if (!Array.isArray(userIds) || userIds.length === 0) {
    issues.push({ field: "userIds", rule: "at least one member" });
    return issues;
  }
  const seen = new Set<string>();
  userIds.forEach((id, i) => {
    checkUserId(id, `userIds.${i}`, issues);
    if (seen.has(id)) issues.push({ field: `userIds.${i}`, rule: "unique" });
    seen.add(id);
  });
  return issues;
}

/**
 * Issues of a removeGroup spec: every field that identifies "our" group is required.
 *
 * @example
 * ```ts
 * removeGroupSpecIssues({ groupId: "t-42", type: "Public", ownerAccount: "", marker: "tp:t-42" });
 * // [{ field: "ownerAccount", rule: "required non-empty string" }]
 * ```
 */
export function removeGroupSpecIssues(spec: RemoveGroupSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkGroupId(spec.groupId, issues);
  if (!(IM_GROUP_TYPES as readonly string[]).includes(spec.type)) issues.push({ field: "type", rule: `one of ${IM_GROUP_TYPES.join(", ")}` });
  checkUserId(spec.ownerAccount, "ownerAccount", issues);
  if (typeof spec.marker !== "string" || spec.marker.length === 0) issues.push({ field: "marker", rule: "required non-empty string" });
  return issues;
}
