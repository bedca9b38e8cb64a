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
  ),
  admin: z.strictObject({
    userId: imUserId,
    name: z.optional(
      z.string().check(z.minLength(1), z.refine(maxBytes(IM_NICK_MAX_BYTES), { message: `at most ${IM_NICK_MAX_BYTES} UTF-8 bytes` })),
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
        z.string().check(z.refine(maxBytes(INTRODUCTION_MAX_BYTES), { message: `at most ${INTRODUCTION_MAX_BYTES} UTF-8 bytes` })),
      ),
      notification: z.optional(z.string().check(z.refine(maxBytes(300), { message: "at most 300 UTF-8 bytes" }))),
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
