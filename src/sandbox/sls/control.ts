/**
 * The sandbox's HTTP control API, under a path SLS never uses, so another process (the local
 * stack, a chaos run) can reconfigure faults and read the state:
 *
 * - `GET  /__sandbox/state`   the {@link SlsSandboxState} as JSON
 * - `GET  /__sandbox/faults`  the current FaultConfig
 * - `POST /__sandbox/faults`  replace it with a (partial) FaultConfig; absent fields get defaults
 * - `POST /__sandbox/reset`   drop every consumer group and zero the counters
 */
import * as z from "zod";
import type { FaultConfig } from "../faults.ts";

/** Prefix of every control path. */
export const CONTROL_PATH_PREFIX = "/__sandbox/";

const faultKindSchema = z.enum(["error", "error-after-effect", "hang", "hang-after-effect", "reset", "reset-after-effect"]);

/** A FaultConfig as sent to `POST /__sandbox/faults`; unknown fields are rejected. */
export const faultConfigSchema = z.strictObject({
  latencyMs: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  rules: z
    .array(
      z.strictObject({
        operation: z.string().optional(),
        kind: faultKindSchema,
        probability: z.number().min(0).max(1).optional(),
        times: z.number().int().min(0).optional(),
        resource: z.string().optional(),
        error: z
          .strictObject({
            status: z.number().int().min(100).max(599).optional(),
            code: z.union([z.string(), z.number()]),
            message: z.string().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  rateLimits: z.array(z.strictObject({ operation: z.string(), perSecond: z.number().positive() })).optional(),
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
    return { ok: false, problems: result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`) };
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
