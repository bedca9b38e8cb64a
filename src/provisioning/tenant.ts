import * as z from "zod/mini";
import type { ValidationError } from "../errors.ts";
import { IM_APPLY_JOIN_OPTIONS, IM_GROUP_LIMITS, IM_RESERVED_GROUP_ID_PREFIX } from "../providers/tencent-im/constants.ts";
import { imUserIdSchema } from "../providers/tencent-im/validation.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { tenantIdSchema } from "../validation/tenant-id.ts";
import { newTextIssues, fieldTextChecks } from "../validation/readable-text.ts";
import { maxUtf8Bytes, printableAsciiWithoutSpaces } from "../validation/text.ts";
import { IM_NICK_MAX_BYTES, INTRODUCTION_MAX_BYTES } from "./constants.ts";

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

/*
 * Leaves both schemas use, built once: each schema built at load costs every cold start
 * (test/unit/bundle/zod-schemas-at-load.test.ts).
 */
const memberRole = z.optional(z.literal("Admin"));
const applyJoinOption = z.optional(z.enum(IM_APPLY_JOIN_OPTIONS));
const consumerGroupOrder = z.optional(z.boolean());
const tenantSource = z.enum(TENANT_SOURCES);

/**
 * The shape and every rule of a tenant-onboarding request up to the text rules of 2026-12-01
 * (those are {@link newTextRules}). Input only: a stored request is read with
 * {@link storedTenantShape}.
 */
const baseTenantSchema = z.strictObject({
  tenantId: tenantIdSchema,
  displayName: z.string().check(
    // Judged trimmed, every text rule with positions in the text as sent; trimmed last.
    ...fieldTextChecks({ lineFeeds: false, trimmedName: true }),
    z.minLength(1),
    maxUtf8Bytes(IM_GROUP_LIMITS.nameBytes, `at most ${IM_GROUP_LIMITS.nameBytes} UTF-8 bytes (IM group Name)`),
  ),
  admin: z.strictObject({
    userId: imUserId,
    name: z.optional(
      z.string().check(
        z.minLength(1),
        maxUtf8Bytes(IM_NICK_MAX_BYTES),
        ...fieldTextChecks({ lineFeeds: false }),
      ),
    ),
  }),
  members: z.optional(
    z.array(z.strictObject({ userId: imUserId, role: memberRole })).check(
      z.maxLength(IM_GROUP_LIMITS.members - 1, { message: `at most ${IM_GROUP_LIMITS.members - 1} members (IM allows ${IM_GROUP_LIMITS.members} with the owner)` }),
    ),
  ),
  imGroup: z.optional(
    z.strictObject({
      // 240 bytes at IM, less the provisioning marker appended to it (newline + "[tp:<tenantId>]").
      introduction: z.optional(
        z.string().check(
          maxUtf8Bytes(INTRODUCTION_MAX_BYTES),
          ...fieldTextChecks({ lineFeeds: true }),
        ),
      ),
      notification: z.optional(
        z.string().check(maxUtf8Bytes(IM_GROUP_LIMITS.notificationBytes), ...fieldTextChecks({ lineFeeds: true })),
      ),
      faceUrl: z.optional(z.url({ protocol: /^https?$/ }).check(maxUtf8Bytes(IM_GROUP_LIMITS.faceUrlBytes))),
      applyJoinOption,
    }),
  ),
  /** Settings of the tenant's SLS consumer group; absent ones come from the configuration. */
  consumerGroup: z.optional(
    z.strictObject({
      timeout: z.optional(z.int().check(z.gte(1), z.lte(86_400))),
      order: consumerGroupOrder,
    }),
  ),
  requestedAt: z.iso.datetime({ offset: true }),
  source: tenantSource,
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

type Loose = Partial<Record<string, unknown>>;

/**
 * The text rules only new requests must meet ({@link newTextIssues}), on the admin's name and the
 * group texts at once (the display name's own checks apply them before they trim it, so an issue
 * counts positions in the name as sent): one check on the base schema, not a second copy of the
 * tenant schema. It runs whenever the
 * request is an object (even if another field is broken, so every broken rule shows at once) and
 * judges only texts that are strings (a text of another type is already reported).
 */
const newTextRules = z.superRefine<Loose>(
  (tenant, ctx) => {
    const admin = tenant.admin as Loose | undefined;
    const imGroup = tenant.imGroup as Loose | undefined;
    const texts: [PropertyKey[], unknown, boolean][] = [
      [["admin", "name"], admin?.name, true],
      [["imGroup", "introduction"], imGroup?.introduction, false],
      [["imGroup", "notification"], imGroup?.notification, false],
    ];
    for (const [path, text, name] of texts) {
      if (typeof text !== "string") continue;
      for (const message of newTextIssues(text, { name })) ctx.addIssue({ code: "custom", path, message });
    }
  },
  { when: (payload) => typeof payload.value === "object" && payload.value !== null },
);

/**
 * The tenant-onboarding request: what every entry point (signup event, webhook, import, update)
 * hands to the core once its own envelope (SQS record, webhook body) is unwrapped: the base
 * schema and the text rules of 2026-12-01. New requests only: a stored request is read by its
 * shape ({@link parseStoredTenantOnboarding}), so a rule that tightens what a request may hold
 * goes here and never makes a stored tenant unreadable.
 */
const tenantOnboardingSchema = baseTenantSchema.check(newTextRules);

/**
 * A request as some release stored it: its shape only (types, required fields, enums, the
 * fields there are), never a text, byte, format or id rule. Those rules changed between releases
 * (no text rule before 2026-11-30 14:14 UTC, so a CRLF introduction was stored; the introduction
 * limit shrank when the marker was appended), and a request a release accepted must stay readable:
 * re-driven, updated, offboarded. A stored text a provider cannot take fails that step, named by
 * the provider client's own check (field and rule) or the provider's answer, as its outcome.
 * What no release stored (a field none knew, a text that is a number) is still refused.
 */
const storedString = z.string();
const storedOptionalString = z.optional(storedString);
const storedTenantShape = z.strictObject({
  tenantId: storedString,
  displayName: storedString,
  admin: z.strictObject({ userId: storedString, name: storedOptionalString }),
  members: z.optional(z.array(z.strictObject({ userId: storedString, role: memberRole }))),
  imGroup: z.optional(
    z.strictObject({ introduction: storedOptionalString, notification: storedOptionalString, faceUrl: storedOptionalString, applyJoinOption }),
  ),
  consumerGroup: z.optional(z.strictObject({ timeout: z.optional(z.number()), order: consumerGroupOrder })),
  requestedAt: storedString,
  source: tenantSource,
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
  return parseOrThrow(tenantOnboardingSchema, input, "tenant");
}

/**
 * Reads back a request this or an earlier release stored, by its shape alone
 * ({@link storedTenantShape}): no text or byte rule, so a tenant stored with text a new request
 * may no longer hold (a CRLF introduction, a zero-width space, a name over today's limit) is
 * still re-driven, updated and offboarded. Throws {@link ValidationError} for what no release
 * stored (a field it does not know, a value of the wrong type).
 *
 * @example
 * ```ts
 * const spec = parseStoredTenantOnboarding(tenant.snapshot);
 * ```
 */
export function parseStoredTenantOnboarding(snapshot: unknown): TenantOnboarding {
  return parseOrThrow(storedTenantShape, snapshot, "stored tenant");
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
