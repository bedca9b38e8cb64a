/**
 * `npm start`'s own settings (ports, backfill interval) from the environment, checked before
 * anything listens: a typo such as `LOCAL_HTTP_PORT=80OO` used to reach `server.listen` as NaN
 * and end in a RangeError stack trace.
 */
import * as z from "zod/mini";
import { parseOrThrow } from "../src/validation/issues.ts";
import { ValidationError } from "../src/errors.ts";

/** Every port variable, with the stand-in it moves and its default (0: any free port). */
export const PORT_VARIABLES = {
  LOCAL_HTTP_PORT: { what: "the HTTP API (webhook, status, offboard)", fallback: 3000 },
  LOCAL_SQS_PORT: { what: "the SQS stand-in", fallback: 4566 },
  LOCAL_DYNAMODB_PORT: { what: "DynamoDB (dynalite)", fallback: 4567 },
  LOCAL_SECRETS_PORT: { what: "the Secrets Manager stand-in", fallback: 4568 },
  LOCAL_SLS_PORT: { what: "the SLS sandbox", fallback: 4569 },
  LOCAL_IM_PORT: { what: "the Tencent IM sandbox", fallback: 4570 },
  LOCAL_EVENTBRIDGE_PORT: { what: "the EventBridge stand-in", fallback: 0 },
} as const;

export type PortVariable = keyof typeof PORT_VARIABLES;

const digits = (rule: string) => z.string().check(z.regex(/^\d{1,10}$/, { message: rule }));
const port = z.string().check(z.refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65_535, { message: "an integer 0-65535 (0: any free port)" }));

const settingsSchema = z.object({
  ...(Object.fromEntries(Object.keys(PORT_VARIABLES).map((name) => [name, z.optional(port)])) as Record<PortVariable, z.ZodMiniOptional<typeof port>>),
  LOCAL_BACKFILL_EVERY_MS: z.optional(digits("a whole number of milliseconds (0: no scheduled backfill)")),
});

/** What `npm start` runs with. */
export interface StartSettings {
  ports: Record<PortVariable, number>;
  /** 0: no scheduled backfill. */
  backfillEveryMs: number;
}

/**
 * Reads and checks the settings; throws a ValidationError naming each bad variable and its rule
 * (never its value).
 *
 * @example
 * ```ts
 * const { ports, backfillEveryMs } = parseStartSettings(process.env);
 * ```
 */
export function parseStartSettings(env: Record<string, string | undefined>): StartSettings {
  const raw = parseOrThrow(settingsSchema, Object.fromEntries(Object.keys(settingsSchema.def.shape).map((k) => [k, env[k]])), "npm start");
  const ports = Object.fromEntries(
    Object.entries(PORT_VARIABLES).map(([name, { fallback }]) => [name, raw[name as PortVariable] === undefined ? fallback : Number(raw[name as PortVariable])]),
  ) as Record<PortVariable, number>;
  // Two stand-ins on one port: the second listen failed as "in use (another npm start?)".
  const byPort = new Map<number, PortVariable>();
  for (const [name, port] of Object.entries(ports) as [PortVariable, number][]) {
    const first = byPort.get(port);
    if (port !== 0 && first !== undefined) {
      throw new ValidationError([{ field: name, rule: `port ${port} is also ${first}'s: each stand-in needs its own port (or 0 for any free one)` }], "npm start");
    }
    byPort.set(port, name);
  }
  return { ports, backfillEveryMs: raw.LOCAL_BACKFILL_EVERY_MS === undefined ? 60_000 : Number(raw.LOCAL_BACKFILL_EVERY_MS) };
}

/**
 * The variable that set a port another process holds, for the message of a failed listen.
 *
 * @example
 * ```ts
 * portVariableOf(settings.ports, 3000); // "LOCAL_HTTP_PORT"
 * ```
 */
export function portVariableOf(ports: Record<PortVariable, number>, taken: number): PortVariable | undefined {
  if (taken === 0) return undefined;
  return (Object.keys(ports) as PortVariable[]).find((name) => ports[name] === taken);
}
