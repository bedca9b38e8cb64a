import * as z from "zod/mini";
import type { ValidationError } from "../errors.ts";
import { IM_APPLY_JOIN_OPTIONS, IM_GROUP_LIMITS, IM_RESERVED_GROUP_ID_PREFIX } from "../providers/tencent-im/constants.ts";
import { imUserIdSchema } from "../providers/tencent-im/validation.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { maxUtf8Bytes, printableAsciiWithoutSpaces } from "../validation/text.ts";
import { IM_NICK_MAX_BYTES, INTRODUCTION_MAX_BYTES } from "./constants.ts";

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

/**
 * A tenant's IM account: IM's own UserID rule (non-empty, at most 32 bytes), and stricter: printable
 * ASCII without spaces (the IM console and SDKs accept it everywhere), not IM's reserved account or
 * group id prefixes.
 */
const IM_RESERVED_ACCOUNT_PREFIX = "@TLS#";
const imUserId = imUserIdSchema.check(
  printableAsciiWithoutSpaces,
  z.refine((v) => !v.startsWith(IM_RESERVED_ACCOUNT_PREFIX) && !v.startsWith(IM_RESERVED_GROUP_ID_PREFIX), {
    message: `must not start with ${IM_RESERVED_ACCOUNT_PREFIX} or ${IM_RESERVED_GROUP_ID_PREFIX}`,
  }),
);

/** Where a tenant-onboarding request came from. */
export const TENANT_SOURCES = ["signup", "webhook", "backfill", "import"] as const;
export type TenantSource = (typeof TENANT_SOURCES)[number];

/**
 * The tenant-onboarding request: what every entry point hands to the core once its own
 * envelope (SQS record, webhook body) is unwrapped.
 */
export const tenantOnboardingSchema = z.strictObject({
  tenantId: tenantIdSchema,
  displayName: z.string().check(
    z.trim(),
    z.minLength(1),
    maxUtf8Bytes(IM_GROUP_LIMITS.nameBytes, `at most ${IM_GROUP_LIMITS.nameBytes} UTF-8 bytes (IM group Name)`),
    ...readableText({ lineFeeds: false }),
  ),
  admin: z.strictObject({
    userId: imUserId,
    name: z.optional(
      z.string().check(
        z.minLength(1),
        maxUtf8Bytes(IM_NICK_MAX_BYTES),
        ...readableText({ lineFeeds: false }),
      ),
    ),
  }),
  members: z.optional(
    z.array(z.strictObject({ userId: imUserId, role: z.optional(z.literal("Admin")) })).check(
      z.maxLength(IM_GROUP_LIMITS.members - 1, { message: `at most ${IM_GROUP_LIMITS.members - 1} members (IM allows ${IM_GROUP_LIMITS.members} with the owner)` }),
    ),
  ),
  imGroup: z.optional(
    z.strictObject({
      // 240 bytes at IM, less the provisioning marker appended to it (newline + "[tp:<tenantId>]").
      introduction: z.optional(
        z.string().check(
          maxUtf8Bytes(INTRODUCTION_MAX_BYTES),
          ...readableText({ lineFeeds: true }),
        ),
      ),
      notification: z.optional(
        z.string().check(maxUtf8Bytes(IM_GROUP_LIMITS.notificationBytes), ...readableText({ lineFeeds: true })),
      ),
      faceUrl: z.optional(z.url({ protocol: /^https?$/ }).check(maxUtf8Bytes(IM_GROUP_LIMITS.faceUrlBytes))),
      applyJoinOption: z.optional(z.enum(IM_APPLY_JOIN_OPTIONS)),
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
}).check(
  z.superRefine((tenant, ctx) => {
    // Each account once: IM lists a member once, and the admin is the group's owner, not a member.
    const seen = new Set([tenant.admin.userId]);
    tenant.members?.forEach((member, i) => {
      if (seen.has(member.userId)) ctx.addIssue({ code: "custom", path: ["members", i, "userId"], message: "must be unique and differ from admin.userId" });
      seen.add(member.userId);
    });
  }),
);

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
  return parseOrThrow(tenantOnboardingSchema, input, "tenant");
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
  parseOrThrow(appAdminRefusal(adminIdentifier), { admin: { userId: userIds.admin }, members: userIds.members.map((userId) => ({ userId })) }, "tenant");
}

/** The schema {@link assertNotImAppAdmin} checks with, for the admin identifier it was last built for. */
let lastAppAdminRefusal: { adminIdentifier: string; schema: ReturnType<typeof buildAppAdminRefusal> } | undefined;

/**
 * The refusal's schema for `adminIdentifier`, built once per identifier (a process sees one):
 * zod compiles each new object schema on its first parse, which cost a backfill ~0.04 ms of CPU
 * per tenant when the schema was built per call.
 */
function appAdminRefusal(adminIdentifier: string): ReturnType<typeof buildAppAdminRefusal> {
  if (lastAppAdminRefusal?.adminIdentifier !== adminIdentifier) lastAppAdminRefusal = { adminIdentifier, schema: buildAppAdminRefusal(adminIdentifier) };
  return lastAppAdminRefusal.schema;
}

function buildAppAdminRefusal(adminIdentifier: string) {
  const account = z.object({ userId: z.string().check(z.refine((userId) => userId !== adminIdentifier, { message: IM_APP_ADMIN_RULE })) });
  return z.object({ admin: account, members: z.array(account) });
}
