/** Limits of the tenant-onboarding request, derived from what the providers accept. */
import { IM_GROUP_LIMITS } from "../providers/tencent-im/constants.ts";
import { markedIntroduction } from "../providers/tencent-im/marker.ts";
import { TENANT_ID_MAX_LENGTH } from "../validation/tenant-id.ts";

/** IM Nick: at most 64 bytes (account_import). */
export const IM_NICK_MAX_BYTES = 64;

/**
 * The marker that ties a tenant's IM group to the tenant (appended to its Introduction, see
 * src/providers/tencent-im/marker.ts).
 *
 * @example
 * ```ts
 * tenantMarker("acme-1"); // "tp:acme-1"
 * ```
 */
export function tenantMarker(tenantId: string): string {
  return `tp:${tenantId}`;
}

/**
 * Tenant-supplied IM group introduction: what IM allows (240 bytes) less what the provisioning
 * marker of the longest tenant id adds to it (`\n[tp:<tenantId>]`, 42 bytes): 198.
 */
export const INTRODUCTION_MAX_BYTES =
  IM_GROUP_LIMITS.introductionBytes - (markedIntroduction("x", tenantMarker("x".repeat(TENANT_ID_MAX_LENGTH))).length - 1);

/**
 * How far a request's `requestedAt` may be ahead of the service's clock (the webhook's timestamp
 * tolerance). It orders the tenant's requests: a time far ahead, stored, would make every later
 * request look older, so the tenant could never change again.
 */
export const MAX_REQUESTED_AT_AHEAD_MS = 5 * 60_000;

/**
 * The code a step records (FAILED_PERMANENT, no provider call) when its tenant's stored request
 * cannot be read: the record says nothing of the step's resource.
 */
export const STORED_REQUEST_UNREADABLE = "StoredRequestUnreadable";
