/** The tenant id rule: one definition for the edge (webhook, queue, routes) and the store. */
import * as z from "zod/mini";
import { TENANT_ID_PATTERN } from "../provisioning/constants.ts";

/** The tenant id rule as a caller reads it in a 400 or a ValidationError. */
export const TENANT_ID_RULE = "1-36 characters of A-Z a-z 0-9 _ -, starting with a letter or digit";

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
