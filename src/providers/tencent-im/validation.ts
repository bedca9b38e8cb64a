/**
 * Every documented rule of the IM requests this service sends (create_group, account_import,
 * multiaccount_import, modify_group_base_info, add_group_member, and the group id arguments), as
 * zod/mini schemas checked before any call, so a bad request never reaches IM. Issues name the
 * field and the rule, never the value (src/validation/zod-issues.ts builds them).
 *
 * The requests only an update or the raw create_group sends (modify_group_base_info,
 * add_group_member, create_group's own spec) are built on first use (`z.lazy`), not at every cold
 * start; the same rules and messages either way.
 */
import * as z from "zod/mini";
import { maxUtf8Bytes, utf8Length } from "../../validation/text.ts";
import { IM_APPLY_JOIN_OPTIONS, IM_GROUP_LIMITS, IM_GROUP_TYPES, IM_MUTE_ALL_MEMBER_VALUES } from "./constants.ts";
import { groupIdPrefixRule } from "./group-id.ts";
import { MARKER_MAX_BYTES, markedIntroduction } from "./marker.ts";

/** A non-empty string (a missing one is reported as "required"). */
const nonEmptyString = z.string().check(z.minLength(1));

/**
 * An IM UserID as IM documents it: non-empty, at most 32 UTF-8 bytes (account_import's limit,
 * applied to every account this service names). The tenant rule (src/provisioning/tenant.ts)
 * builds on it.
 *
 * @example
 * ```ts
 * imUserIdSchema.safeParse("acme-admin").success; // true
 * ```
 */
export const imUserIdSchema = z.string().check(z.minLength(1), maxUtf8Bytes(IM_GROUP_LIMITS.userIdBytes));

/** Optional text bounded in UTF-8 bytes. */
const optionalText = (maxBytes: number) => z.optional(z.string().check(maxUtf8Bytes(maxBytes)));

/** The group Name: non-empty, at most 30 UTF-8 bytes (create_group and modify_group_base_info). */
const groupName = z.string().check(z.minLength(1), maxUtf8Bytes(IM_GROUP_LIMITS.nameBytes));

/** 0x20-0x7e: the printable ASCII range IM allows in a custom GroupId. */
const customGroupId = z.string().check(
  z.regex(/^[\x20-\x7e]+$/, { message: "printable ASCII (0x20-0x7e), non-empty" }),
  maxUtf8Bytes(IM_GROUP_LIMITS.groupIdBytes),
);

/** Reports every repeated key of a list (the second and later occurrences) at `path(i)`. */
function unique<T>(keyOf: (item: T) => unknown, path: (i: number) => PropertyKey[], message: string) {
  return z.superRefine<T[]>((items, ctx) => {
    const seen = new Set<unknown>();
    items.forEach((item, i) => {
      const key = keyOf(item);
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: path(i), message });
      seen.add(key);
    });
  });
}

const groupSpecShape = {
  type: z.enum(IM_GROUP_TYPES),
  name: groupName,
  groupId: z.optional(customGroupId),
  ownerAccount: z.optional(imUserIdSchema),
  introduction: optionalText(IM_GROUP_LIMITS.introductionBytes),
  notification: optionalText(IM_GROUP_LIMITS.notificationBytes),
  faceUrl: optionalText(IM_GROUP_LIMITS.faceUrlBytes),
  maxMemberCount: z.optional(z.int().check(z.gt(0))),
  applyJoinOption: z.optional(z.enum(IM_APPLY_JOIN_OPTIONS)),
  supportTopic: z.optional(z.literal([0, 1])),
  members: z.optional(
    z.array(z.object({ userId: imUserIdSchema, role: z.optional(z.literal("Admin")) })).check(
      z.maxLength(IM_GROUP_LIMITS.members, { message: `at most ${IM_GROUP_LIMITS.members} members` }),
      unique<{ userId: string }>((m) => m.userId, (i) => [i, "userId"], "unique within members"),
    ),
  ),
  appDefinedData: z.optional(
    z.array(
      z.object({
        key: z.string().check(z.regex(/^[A-Za-z0-9_]+$/, { message: "non-empty, only [A-Za-z0-9_]" }), maxUtf8Bytes(IM_GROUP_LIMITS.appDefinedKeyBytes)),
        value: z.string().check(maxUtf8Bytes(IM_GROUP_LIMITS.appDefinedValueBytes)),
      }),
    ).check(
      z.maxLength(IM_GROUP_LIMITS.appDefinedKeys, { message: `at most ${IM_GROUP_LIMITS.appDefinedKeys} keys` }),
      unique<{ key: string }>((e) => e.key, (i) => [i, "key"], "unique"),
    ),
  ),
};

type Loose = Partial<Record<string, unknown>>;

/**
 * The rules that depend on the group type. They run whenever the type itself is valid (even if
 * another field is not, so every broken rule shows at once), and judge only fields whose own rule
 * holds: a field that is wrong in itself is already reported.
 */
const groupTypeRules = z.superRefine<Loose>(
  (spec, ctx) => {
    const community = spec.type === "Community";
    if (typeof spec.groupId === "string") {
      const rule = groupIdPrefixRule(String(spec.type), spec.groupId);
      if (rule) ctx.addIssue({ code: "custom", path: ["groupId"], message: rule });
    }
    if (community && (IM_APPLY_JOIN_OPTIONS as readonly unknown[]).includes(spec.applyJoinOption)) {
      ctx.addIssue({ code: "custom", path: ["applyJoinOption"], message: "not allowed for Community" });
    }
    if (!community && (spec.supportTopic === 0 || spec.supportTopic === 1)) {
      ctx.addIssue({ code: "custom", path: ["supportTopic"], message: "only for Community" });
    }
    if (spec.type === "AVChatRoom" && Array.isArray(spec.members) && spec.members.length > 0) {
      ctx.addIssue({ code: "custom", path: ["members"], message: "not allowed for AVChatRoom" });
    }
  },
  { when: (payload) => (IM_GROUP_TYPES as readonly unknown[]).includes((payload.value as Loose | null)?.type) },
);

/**
 * A create_group request (`ImGroupSpec`) against every documented field rule.
 *
 * @example
 * ```ts
 * schemaIssues(imGroupSpecSchema, { type: "AVChatRoom", name: "x", members: [{ userId: "bob" }] });
 * // [{ field: "members", rule: "not allowed for AVChatRoom" }]
 * ```
 */
export const imGroupSpecSchema = z.lazy(() => z.object(groupSpecShape).check(groupTypeRules));

const unboundedIntroduction = z.optional(z.string());

/** 1-64 printable ASCII bytes without spaces or brackets (the marker sits inside `[...]`). */
const MARKER_RULE = `1-${MARKER_MAX_BYTES} printable ASCII bytes, no spaces or brackets`;
const markerSchema = z.string().check(z.regex(new RegExp(`^[\\x21-\\x5a\\x5c\\x5e-\\x7e]{1,${MARKER_MAX_BYTES}}$`), { message: MARKER_RULE }));

/**
 * An ensureGroup / updateGroup spec (`EnsureGroupSpec`, `UpdateGroupSpec`): the create_group rules on the
 * request actually sent (the marker appended to the Introduction), with GroupId, owner and
 * marker required.
 *
 * @example
 * ```ts
 * schemaIssues(ensureGroupSpecSchema, { type: "Public", name: "Acme", groupId: "t-42", ownerAccount: "acme-admin", marker: "" });
 * // [{ field: "marker", rule: "1-64 printable ASCII bytes, no spaces or brackets" }]
 * ```
 */
export const ensureGroupSpecSchema = z
  .object({
    ...groupSpecShape,
    groupId: customGroupId,
    ownerAccount: imUserIdSchema,
    marker: markerSchema,
    // Bounded below together with the marker it carries.
    introduction: unboundedIntroduction,
  })
  .check(
    groupTypeRules,
    z.superRefine((spec, ctx) => {
      const marked = markerSchema.safeParse(spec.marker).success;
      const sent = marked ? markedIntroduction(spec.introduction, spec.marker) : (spec.introduction ?? "");
      const max = IM_GROUP_LIMITS.introductionBytes;
      if (utf8Length(sent) > max) {
        ctx.addIssue({ code: "custom", path: ["introduction"], message: marked ? `with the marker appended, at most ${max} UTF-8 bytes` : `at most ${max} UTF-8 bytes` });
      }
    }, { when: (payload) => unboundedIntroduction.safeParse((payload.value as Loose | null)?.introduction).success }),
  );

/**
 * An account to import (`ImAccount`).
 *
 * @example
 * ```ts
 * schemaIssues(imAccountSchema, { userId: "" }); // [{ field: "userId", rule: "must not be empty" }]
 * ```
 */
export const imAccountSchema = z.object({ userId: imUserIdSchema, nick: z.optional(z.string()), faceUrl: z.optional(z.string()) });

/**
 * A multiaccount_import list: at least one account, each a valid account. Any length is fine
 * here (the client sends ≤100 a call).
 *
 * @example
 * ```ts
 * schemaIssues(importAccountsSchema, [], "accounts"); // [{ field: "accounts", rule: "at least one account" }]
 * ```
 */
export const importAccountsSchema = z.array(imAccountSchema).check(z.minLength(1, { message: "at least one account" }));

/**
 * A bare GroupId argument (get_group_info, destroy_group, and the id of every other group call).
 *
 * @example
 * ```ts
 * schemaIssues(groupIdSchema, "", "groupId"); // [{ field: "groupId", rule: "must not be empty" }]
 * ```
 */
export const groupIdSchema = nonEmptyString;

/**
 * A modify_group_base_info request, `{ groupId, ...changes }`: a GroupId, at least one change, and
 * the create_group limits of each field.
 *
 * @example
 * ```ts
 * schemaIssues(groupBaseInfoChangesSchema, { groupId: "t-42" }); // [{ field: "changes", rule: "at least one field to change" }]
 * ```
 */
export const groupBaseInfoChangesSchema = z.lazy(() =>
  z
    .object({
      groupId: groupIdSchema,
      name: z.optional(groupName),
      introduction: groupSpecShape.introduction,
      notification: groupSpecShape.notification,
      faceUrl: groupSpecShape.faceUrl,
      maxMemberCount: groupSpecShape.maxMemberCount,
      applyJoinOption: groupSpecShape.applyJoinOption,
      muteAllMember: z.optional(z.enum(IM_MUTE_ALL_MEMBER_VALUES)),
    })
    .check(
      z.superRefine(({ groupId: _, ...changes }, ctx) => {
        if (Object.values(changes).every((v) => v === undefined)) ctx.addIssue({ code: "custom", path: ["changes"], message: "at least one field to change" });
      }),
    ),
);

/**
 * An add_group_member request, `{ groupId, userIds }`: a GroupId and at least one valid, unique
 * member.
 *
 * @example
 * ```ts
 * schemaIssues(addGroupMembersSchema, { groupId: "t-42", userIds: ["bob", "bob"] }); // [{ field: "userIds.1", rule: "unique" }]
 * ```
 */
export const addGroupMembersSchema = z.lazy(() =>
  z.object({
    groupId: groupIdSchema,
    userIds: z.array(imUserIdSchema).check(
      z.minLength(1, { message: "at least one member" }),
      unique<string>((id) => id, (i) => [i], "unique"),
    ),
  }),
);

/**
 * A removeGroup spec (`RemoveGroupSpec`): every field that identifies "our" group.
 *
 * @example
 * ```ts
 * schemaIssues(removeGroupSpecSchema, { groupId: "t-42", type: "Public", ownerAccount: "", marker: "tp:t-42" });
 * // [{ field: "ownerAccount", rule: "must not be empty" }]
 * ```
 */
export const removeGroupSpecSchema = z.object({
  groupId: groupIdSchema,
  type: z.enum(IM_GROUP_TYPES),
  ownerAccount: imUserIdSchema,
  marker: nonEmptyString,
});
