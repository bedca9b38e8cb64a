/**
 * The sandbox's HTTP control API, under a path SLS never uses, so another process (the local
 * stack, a chaos run) can reconfigure faults and read the state:
 *
 * - `GET  /__sandbox/state`   the {@link SlsSandboxState} as JSON
 * - `GET  /__sandbox/faults`  the current FaultConfig
 * - `POST /__sandbox/faults`  replace it with a (partial) FaultConfig; absent fields get defaults
 * - `POST /__sandbox/reset`   drop every consumer group and zero the counters
 */
import * as z from "zod/mini";
import { zodIssueLines } from "../../validation/zod-issues.ts";
import type { FaultConfig } from "../faults.ts";

/** Prefix of every control path. */
export const CONTROL_PATH_PREFIX = "/__sandbox/";

const faultKindSchema = z.enum(["error", "error-after-effect", "hang", "hang-after-effect", "reset", "reset-after-effect"]);

/** A FaultConfig as sent to `POST /__sandbox/faults`; unknown fields are rejected. */
export const faultConfigSchema = z.strictObject({
  latencyMs: z.optional(z.int().check(z.gte(0))),
  seed: z.optional(z.int()),
  rules: z.optional(
    z.array(
      z.strictObject({
        operation: z.optional(z.string()),
        kind: faultKindSchema,
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

/**
 * Parses a control-API fault body into a partial FaultConfig, or returns the broken fields.
 *
 * @example
 * ```ts
 * const parsed = parseFaultConfig('{"rules":[{"operation":"CreateConsumerGroup","kind":"hang"}]}');
 * if (parsed.ok) sandbox.faults.configure(parsed.config);
 * ```
 */
export function parseFaultConfig(body: string): { ok: true; config: Partial<FaultConfig> } | { ok: false; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problems: ["(root): not valid JSON"] };
  }
  const result = faultConfigSchema.safeParse(json);
  if (!result.success) {
    return { ok: false, problems: zodIssueLines(result.error.issues, json) };
  }
  // Drop absent optional fields so configure() fills its defaults.
  const config: Partial<FaultConfig> = {};
  const { latencyMs, seed, rules, rateLimits } = result.data;
  if (latencyMs !== undefined) config.latencyMs = latencyMs;
  if (seed !== undefined) config.seed = seed;
  if (rules !== undefined) config.rules = rules;
  if (rateLimits !== undefined) config.rateLimits = rateLimits;
  return { ok: true, config };
}
