import * as z from "zod/mini";
import { ValidationError } from "../errors.ts";
import { utf8Length, zodIssuesToValidationIssues } from "../validation/zod-issues.ts";
import {
  IM_GROUP_NAME_MAX_BYTES,
  IM_MAX_MEMBERS,
  IM_NICK_MAX_BYTES,
  IM_USER_ID_MAX_BYTES,
  INTRODUCTION_MAX_BYTES,
  TENANT_ID_PATTERN,
} from "./constants.ts";

const maxBytes = (max: number) => (value: string) => utf8Length(value) <= max;

/**
 * Text a person reads (names, group texts) refuses what can hide or disguise content: control
 * characters (the C0 set and DEL; multi-line texts keep their line feeds), lone UTF-16 surrogates
 * (not text; IM would store them mangled) and the bidirectional overrides and isolates that
 * reorder what a reader sees (Trojan Source: U+202A-U+202E, U+2066-U+2069). Each its own rule, so
 * the issue names which one broke.
 */
const C0_CONTROLS = /[\u0000-\u001f\u007f]/;
const C0_CONTROLS_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;
const readableText = (options: { lineFeeds: boolean }) => [
  options.lineFeeds
    ? z.refine<string>((v) => !C0_CONTROLS_BUT_LF.test(v), { message: "no control characters (U+0000-U+001F, U+007F) except line feed" })
    : z.refine<string>((v) => !C0_CONTROLS.test(v), { message: "no control characters (U+0000-U+001F, U+007F)" }),
  z.refine<string>((v) => !LONE_SURROGATE.test(v), { message: "no lone UTF-16 surrogates (U+D800-U+DFFF unpaired)" }),
  z.refine<string>((v) => !BIDI_CONTROLS.test(v), { message: "no bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)" }),
];

const imUserId = z.string().check(
  z.minLength(1),
  z.refine(maxBytes(IM_USER_ID_MAX_BYTES), { message: `at most ${IM_USER_ID_MAX_BYTES} UTF-8 bytes` }),
  // Printable ASCII without spaces: the IM console and SDKs accept it everywhere.
  z.regex(/^[\x21-\x7e]+$/, { message: "printable ASCII without spaces" }),
  z.refine((v) => !v.startsWith("@TLS#") && !v.startsWith("@TGS#"), { message: "must not start with @TLS# or @TGS#" }),
);

/** Where a tenant-onboarding request came from. */
export const TENANT_SOURCES = ["signup", "webhook", "backfill", "import"] as const;
export type TenantSource = (typeof TENANT_SOURCES)[number];

/**
 * The tenant-onboarding request: what every entry point hands to the core once its own
 * envelope (SQS record, webhook body) is unwrapped.
 */
export const tenantOnboardingSchema = z.strictObject({
  tenantId: z.string().check(
    z.regex(TENANT_ID_PATTERN, { message: "1-36 characters of A-Z a-z 0-9 _ -, starting with a letter or digit" }),
  ),
  displayName: z.string().check(
    z.trim(),
    z.minLength(1),
    z.refine(maxBytes(IM_GROUP_NAME_MAX_BYTES), { message: `at most ${IM_GROUP_NAME_MAX_BYTES} UTF-8 bytes (IM group Name)` }),
    ...readableText({ lineFeeds: false }),
  ),
  admin: z.strictObject({
    userId: imUserId,
    name: z.optional(
      z.string().check(
        z.minLength(1),
        z.refine(maxBytes(IM_NICK_MAX_BYTES), { message: `at most ${IM_NICK_MAX_BYTES} UTF-8 bytes` }),
        ...readableText({ lineFeeds: false }),
      ),
    ),
  }),
  members: z.optional(
    z.array(z.strictObject({ userId: imUserId, role: z.optional(z.literal("Admin")) })).check(
      z.maxLength(IM_MAX_MEMBERS - 1, { message: `at most ${IM_MAX_MEMBERS - 1} members (IM allows ${IM_MAX_MEMBERS} with the owner)` }),
    ),
  ),
  imGroup: z.optional(
    z.strictObject({
      // 240 bytes at IM, less the provisioning marker appended to it (newline + "[tp:<tenantId>]").
      introduction: z.optional(
        z.string().check(
          z.refine(maxBytes(INTRODUCTION_MAX_BYTES), { message: `at most ${INTRODUCTION_MAX_BYTES} UTF-8 bytes` }),
          ...readableText({ lineFeeds: true }),
        ),
      ),
      notification: z.optional(
        z.string().check(z.refine(maxBytes(300), { message: "at most 300 UTF-8 bytes" }), ...readableText({ lineFeeds: true })),
      ),
      faceUrl: z.optional(z.url({ protocol: /^https?$/ }).check(z.refine(maxBytes(100), { message: "at most 100 bytes" }))),
      applyJoinOption: z.optional(z.enum(["FreeAccess", "NeedPermission", "DisableApply"])),
    }),
  ),
  /** Settings of the tenant's SLS consumer group; absent ones come from the configuration. */
  consumerGroup: z.optional(
    z.strictObject({
      timeout: z.optional(z.int().check(z.gte(1), z.lte(86_400))),
      order: z.optional(z.boolean()),
    }),
  ),
  requestedAt: z.iso.datetime({ offset: true }),
  source: z.enum(TENANT_SOURCES),
});

export type TenantOnboarding = z.infer<typeof tenantOnboardingSchema>;

/**
 * Validates a tenant-onboarding request; throws {@link ValidationError} naming every broken
 * field and rule, before anything is called or written.
 *
 * @example
 * ```ts
 * const tenant = parseTenantOnboarding(JSON.parse(body));
 * ```
 */
export function parseTenantOnboarding(input: unknown): TenantOnboarding {
  const result = tenantOnboardingSchema.safeParse(input);
  if (!result.success) throw new ValidationError(zodIssuesToValidationIssues(result.error.issues, input), "tenant");
  const tenant = result.data;
  const seen = new Set([tenant.admin.userId]);
  const duplicateAt = (tenant.members ?? []).findIndex((m) => seen.has(m.userId) || !seen.add(m.userId));
  if (duplicateAt >= 0) {
    throw new ValidationError([{ field: `members.${duplicateAt}.userId`, rule: "must be unique and differ from admin.userId" }], "tenant");
  }
  return tenant;
}

/** The rule a tenant's user id breaks when it is the IM app's own admin account. */
export const IM_APP_ADMIN_RULE = "must not be the IM app admin account (the identifier the service calls IM as)";

/**
 * Refuses a tenant whose admin or member is the IM app admin account: that account is the one the
 * service signs its REST calls as, so a tenant must never own it or be given its groups. Known
 * only from the IM secret, so checked where the credentials are at hand, not at the edge; throws
 * {@link ValidationError} (a permanent outcome) naming `admin.userId` or `members.N.userId`.
 *
 * @example
 * ```ts
 * assertNotImAppAdmin({ admin: plan.owner.userId, members: plan.members.map((m) => m.userId) }, credentials.adminIdentifier);
 * ```
 */
export function assertNotImAppAdmin(userIds: { admin: string; members: readonly string[] }, adminIdentifier: string): void {
  const issues = [
    ...(userIds.admin === adminIdentifier ? [{ field: "admin.userId", rule: IM_APP_ADMIN_RULE }] : []),
    ...userIds.members.flatMap((userId, i) => (userId === adminIdentifier ? [{ field: `members.${i}.userId`, rule: IM_APP_ADMIN_RULE }] : [])),
  ];
  if (issues.length > 0) throw new ValidationError(issues, "tenant");
}
