/**
 * The sandbox's HTTP control API, under a path IM never uses, so another process (the local
 * stack, a chaos run) can steer it:
 *
 * - `GET  /__sandbox/state[?sdkappid=]`   the ImSandboxState as JSON
 * - `GET  /__sandbox/faults`              the current FaultConfig
 * - `POST /__sandbox/faults`              replace it with a (partial) FaultConfig
 * - `POST /__sandbox/foreign-group`       plant an ImForeignGroup (`sdkAppId` optional in the body)
 * - `POST /__sandbox/invalidate-usersigs` `{ "sdkAppId"? }`: UserSigs issued so far answer 70052
 * - `POST /__sandbox/reset`               drop all accounts, groups and counters
 */
import * as z from "zod/mini";
import { parseControlBody, type ParsedControlBody } from "../control-body.ts";
import type { ImForeignGroup } from "./types.ts";

export { CONTROL_PATH_PREFIX, parseFaultConfig } from "../control-body.ts";

const foreignGroupSchema = z.strictObject({
  sdkAppId: z.optional(z.int()),
  groupId: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  ownerAccount: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  introduction: z.optional(z.string()),
});

const invalidateSchema = z.strictObject({ sdkAppId: z.optional(z.int()) });

/**
 * Parses a `POST /__sandbox/foreign-group` body.
 *
 * @example
 * ```ts
 * parseForeignGroup('{"groupId":"t-42","type":"Public","ownerAccount":"mallory","name":"x"}');
 * ```
 */
export function parseForeignGroup(body: string): ParsedControlBody<ImForeignGroup & { sdkAppId?: number | undefined }> {
  return parseControlBody(foreignGroupSchema, body);
}

/**
 * Parses a `POST /__sandbox/invalidate-usersigs` body.
 *
 * @example
 * ```ts
 * parseInvalidate("{}"); // { ok: true, value: {} }
 * ```
 */
export function parseInvalidate(body: string): ParsedControlBody<{ sdkAppId?: number | undefined }> {
  return parseControlBody(invalidateSchema, body);
}
