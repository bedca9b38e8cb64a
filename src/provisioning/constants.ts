/** Limits of the tenant-onboarding request, derived from what the providers accept. */

/**
 * A tenant id becomes part of the SLS consumer group name (`^[0-9a-zA-Z_-]{1,128}$`) and of
 * the IM GroupId (printable ASCII, ≤ 48 bytes): letters, digits, `_` and `-`, starting with a
 * letter or digit, at most 36 characters (a UUID fits), so a prefix of up to 12 bytes still
 * leaves a valid GroupId.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,35}$/;
export const TENANT_ID_MAX_LENGTH = 36;

/** IM UserID (account_import Identifier): at most 32 bytes. */
export const IM_USER_ID_MAX_BYTES = 32;
/** IM group Name: at most 30 UTF-8 bytes. */
export const IM_GROUP_NAME_MAX_BYTES = 30;
/** IM create_group MemberList: at most 100 members, the owner included. */
export const IM_MAX_MEMBERS = 100;
/** IM Nick: at most 64 bytes (account_import). */
export const IM_NICK_MAX_BYTES = 64;
/**
 * Tenant-supplied IM group introduction: IM allows 240 bytes, and the provisioning marker
 * (`\n[tp:<tenantId>]`, at most 42 bytes) is appended to it.
 */
export const INTRODUCTION_MAX_BYTES = 240 - 42;

/**
 * How far a request's `requestedAt` may be ahead of the service's clock (the webhook's timestamp
 * tolerance). It orders the tenant's requests: a time far ahead, stored, would make every later
 * request look older, so the tenant could never change again.
 */
export const MAX_REQUESTED_AT_AHEAD_MS = 5 * 60_000;
