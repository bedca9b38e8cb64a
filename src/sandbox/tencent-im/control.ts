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
import { zodIssueLines } from "../../validation/zod-issues.ts";
import type { FaultConfig } from "../faults.ts";
import type { ImForeignGroup } from "./types.ts";

/** Prefix of every control path. */
export const CONTROL_PATH_PREFIX = "/__sandbox/";

const faultConfigSchema = z.strictObject({
  latencyMs: z.optional(z.int().check(z.gte(0))),
  seed: z.optional(z.int()),
  rules: z.optional(
    z.array(
      z.strictObject({
        operation: z.optional(z.string()),
        kind: z.enum(["error", "error-after-effect", "hang", "hang-after-effect", "reset", "reset-after-effect"]),
        probability: z.optional(z.number().check(z.gte(0), z.lte(1))),
        times: z.optional(z.int().check(z.gte(0))),
        resource: z.optional(z.string()),
        error: z.optional(
          z.strictObject({
            status: z.optional(z.int().check(z.gte(100), z.lte(599))),
            code: z.union([z.string(), z.number()]),
            message: z.optional(z.string()),
          }),
        ),
      }),
    ),
  ),
  rateLimits: z.optional(z.array(z.strictObject({ operation: z.string(), perSecond: z.number().check(z.positive()) }))),
});

const foreignGroupSchema = z.strictObject({
  sdkAppId: z.optional(z.int()),
  groupId: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  ownerAccount: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  introduction: z.optional(z.string()),
});

const invalidateSchema = z.strictObject({ sdkAppId: z.optional(z.int()) });

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function parseWith<T>(schema: z.ZodMiniType<T>, body: string): Parsed<T> {
  let json: unknown;
  try {
    json = body.trim() === "" ? {} : JSON.parse(body);
  } catch {
    return { ok: false, problems: ["(root): not valid JSON"] };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false, problems: zodIssueLines(result.error.issues, json) };
  return { ok: true, value: result.data };
}

/**
 * Parses a `POST /__sandbox/faults` body; absent fields are left out so configure() fills defaults.
 *
 * @example
 * ```ts
 * const parsed = parseFaultConfig('{"rules":[{"operation":"create_group","kind":"hang","times":1}]}');
 * if (parsed.ok) sandbox.faults.configure(parsed.value);
 * ```
 */
export function parseFaultConfig(body: string): Parsed<Partial<FaultConfig>> {
  const parsed = parseWith(faultConfigSchema, body);
  if (!parsed.ok) return parsed;
  const config: Partial<FaultConfig> = {};
  const { latencyMs, seed, rules, rateLimits } = parsed.value;
  if (latencyMs !== undefined) config.latencyMs = latencyMs;
  if (seed !== undefined) config.seed = seed;
  if (rules !== undefined) config.rules = rules;
  if (rateLimits !== undefined) config.rateLimits = rateLimits;
  return { ok: true, value: config };
}

/**
 * Parses a `POST /__sandbox/foreign-group` body.
 *
 * @example
 * ```ts
 * parseForeignGroup('{"groupId":"t-42","type":"Public","ownerAccount":"mallory","name":"x"}');
 * ```
 */
export function parseForeignGroup(body: string): Parsed<ImForeignGroup & { sdkAppId?: number | undefined }> {
  return parseWith(foreignGroupSchema, body);
}

/**
 * Parses a `POST /__sandbox/invalidate-usersigs` body.
 *
 * @example
 * ```ts
 * parseInvalidate("{}"); // { ok: true, value: {} }
 * ```
 */
export function parseInvalidate(body: string): Parsed<{ sdkAppId?: number | undefined }> {
  return parseWith(invalidateSchema, body);
}
