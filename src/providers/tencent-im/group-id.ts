/** The GroupId prefix rule of IM group types, shared by the client's checks and the configuration. */
import { IM_COMMUNITY_GROUP_ID_PREFIX, IM_RESERVED_GROUP_ID_PREFIX } from "./constants.ts";

/**
 * The GroupId prefix rules of a group type: a Community id must start with `@TGS#_`; any other
 * type's must not start with `@TGS#` (reserved for ids IM assigns). Returns the rule a GroupId (or
 * the configured prefix of every GroupId, IM_GROUP_ID_PREFIX) breaks, or undefined.
 *
 * @example
 * ```ts
 * groupIdPrefixRule("Community", "tenant-42"); // "must start with @TGS#_ for Community"
 * ```
 */
export function groupIdPrefixRule(type: string, groupIdOrPrefix: string): string | undefined {
  if (type === "Community") {
    return groupIdOrPrefix.startsWith(IM_COMMUNITY_GROUP_ID_PREFIX) ? undefined : `must start with ${IM_COMMUNITY_GROUP_ID_PREFIX} for Community`;
  }
  return groupIdOrPrefix.startsWith(IM_RESERVED_GROUP_ID_PREFIX) ? `must not start with ${IM_RESERVED_GROUP_ID_PREFIX} (reserved, except Community)` : undefined;
}
