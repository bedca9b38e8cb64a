/** The tenant id rule: one definition for the edge (webhook, queue, routes) and the store. */
import * as z from "zod/mini";

/**
 * A tenant id becomes part of the SLS consumer group name (`^[0-9a-zA-Z_-]{1,128}$`) and of
 * the IM GroupId (printable ASCII, ≤ 48 bytes): letters, digits, `_` and `-`, starting with a
 * letter or digit, at most 36 characters (a UUID fits), so a prefix of up to 12 bytes still
 * leaves a valid GroupId.
 */
export const TENANT_ID_MAX_LENGTH = 36;
export const TENANT_ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${TENANT_ID_MAX_LENGTH - 1}}$`);

/** The tenant id rule as a caller reads it in a 400 or a ValidationError. */
export const TENANT_ID_RULE = `1-${TENANT_ID_MAX_LENGTH} characters of A-Z a-z 0-9 _ -, starting with a letter or digit`;

/**
 * A tenant id: {@link TENANT_ID_PATTERN}, the rule every entry point and the outcome store
 * check. Stored items are read without it (a listing shows whatever id an item has), so an id
 * written under an older, looser rule still reads.
 *
 * @example
 * ```ts
 * tenantIdSchema.safeParse("acme-1").success; // true
 * ```
 */
export const tenantIdSchema = z.string().check(z.regex(TENANT_ID_PATTERN, { message: TENANT_ID_RULE }));
