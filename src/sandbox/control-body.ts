/**
 * The part of the sandboxes' HTTP control APIs they share: parsing a JSON body against a schema
 * into value-free problems, and the `POST /__sandbox/faults` body (a partial FaultConfig).
 */
import * as z from "zod/mini";
import { zodIssueLines } from "../validation/zod-issues.ts";
import type { FaultConfig } from "./faults.ts";

/** Prefix of every control path; no provider API uses it. */
export const CONTROL_PATH_PREFIX = "/__sandbox/";

/** A FaultConfig as sent to `POST /__sandbox/faults`; unknown fields are rejected. */
const faultConfigSchema = z.strictObject({
  latencyMs: z.optional(z.int().check(z.gte(0))),
  seed: z.optional(z.int()),
  rules: z.optional(
    z.array(
      z.strictObject({
        operation: z.optional(z.string()),
        kind: z.enum(["error", "error-after-effect", "hang", "hang-after-effect", "reset", "reset-after-effect", "garbled", "garbled-after-effect"]),
        probability: z.optional(z.number().check(z.gte(0), z.lte(1))),
        times: z.optional(z.int().check(z.gte(0))),
        resource: z.optional(z.string()),
        body: z.optional(z.string()),
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

/** A parsed control body, or the broken fields. */
export type ParsedControlBody<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Parses a JSON control body (empty means `{}`) against `schema`.
 *
 * @example
 * ```ts
 * const parsed = parseControlBody(schema, body);
 * ```
 */
export function parseControlBody<T>(schema: z.ZodMiniType<T>, body: string): ParsedControlBody<T> {
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
export function parseFaultConfig(body: string): ParsedControlBody<Partial<FaultConfig>> {
  const parsed = parseControlBody(faultConfigSchema, body);
  if (!parsed.ok) return parsed;
  const config: Partial<FaultConfig> = {};
  const { latencyMs, seed, rules, rateLimits } = parsed.value;
  if (latencyMs !== undefined) config.latencyMs = latencyMs;
  if (seed !== undefined) config.seed = seed;
  if (rules !== undefined) config.rules = rules;
  if (rateLimits !== undefined) config.rateLimits = rateLimits;
  return { ok: true, value: config };
}
