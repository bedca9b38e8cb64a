/**
 * Input rules checked before any SLS call (zod/mini schemas); each broken rule is named with its field.
 * The consumer group update and the logstore to create (SLS_LOGSTORE_AUTO_CREATE only) are built
 * on first use (`z.lazy`), not at every cold start; the same rules and messages either way.
 */
import * as z from "zod/mini";
import {
  CONSUMER_GROUP_NAME_MAX_LENGTH,
  CONSUMER_GROUP_TIMEOUT_RANGE,
  LOGSTORE_MAX_SPLIT_SHARD_RANGE,
  LOGSTORE_SHARD_COUNT_RANGE,
  LOGSTORE_TTL_RANGE,
} from "./constants.ts";
import { consumerGroupNameCharset, slsEndpointSchema, slsLogstoreNameSchema, slsProjectNameSchema, slsRegionSchema } from "./names.ts";

const projectName = slsProjectNameSchema;
const logstoreName = slsLogstoreNameSchema;
/** `^[0-9a-zA-Z_-]{1,128}$`, the Java SDK's check, as its two rules. */
const consumerGroupName = z.string().check(
  z.minLength(1, { message: `1-${CONSUMER_GROUP_NAME_MAX_LENGTH} characters` }),
  z.maxLength(CONSUMER_GROUP_NAME_MAX_LENGTH, { message: `1-${CONSUMER_GROUP_NAME_MAX_LENGTH} characters` }),
  consumerGroupNameCharset,
);

/**
 * The client's own options: names, endpoint, the v4 region, where to connect and the attempt
 * timeout (the credentials, transport and clock are objects the types already pin down).
 *
 * @example
 * ```ts
 * parseOrThrow(slsClientOptionsSchema, options, "SLS client options");
 * ```
 */
export const slsClientOptionsSchema = z.object({
  project: projectName,
  logstore: logstoreName,
  endpoint: slsEndpointSchema,
  signature: z.discriminatedUnion("version", [z.object({ version: z.literal("v1") }), z.object({ version: z.literal("v4"), region: slsRegionSchema })]),
  connectTo: z.optional(z.url({ protocol: /^https?$/, error: "an http: or https: URL" })),
  attemptTimeoutMs: z.optional(z.number().check(z.gt(0))),
});
const TIMEOUT_TYPE_RULE = "must be an integer number of seconds";
const consumerGroupSettings = z.object({
  timeout: z.number({ error: TIMEOUT_TYPE_RULE }).check(
    z.refine(Number.isInteger, { message: TIMEOUT_TYPE_RULE, abort: true }),
    z.gte(CONSUMER_GROUP_TIMEOUT_RANGE.min, { message: `at least ${CONSUMER_GROUP_TIMEOUT_RANGE.min} second` }),
    z.lte(CONSUMER_GROUP_TIMEOUT_RANGE.max, { message: `at most ${CONSUMER_GROUP_TIMEOUT_RANGE.max} seconds` }),
  ),
  order: z.boolean(),
});

/**
 * A consumer group name: `^[0-9a-zA-Z_-]{1,128}$` (the Java SDK's check).
 *
 * @example
 * ```ts
 * schemaIssues(consumerGroupNameSchema, "tenant 42", "name"); // [{ field: "name", rule: "only A-Z, a-z, 0-9, _ and -" }]
 * ```
 */
export const consumerGroupNameSchema = consumerGroupName;

/**
 * A consumer group to create or ensure: its name, `timeout` in whole seconds within 1..86400 (SLS
 * documents no range; see CONSUMER_GROUP_TIMEOUT_RANGE) and `order`.
 *
 * @example
 * ```ts
 * schemaIssues(consumerGroupSchema, { name: "t-1", timeout: 60_000, order: true }); // [{ field: "timeout", rule: "at most 86400 seconds" }]
 * ```
 */
export const consumerGroupSchema = z.object({ name: consumerGroupName, ...consumerGroupSettings.def.shape });

/**
 * A consumer group update, `{ name, ...settings }`: at least one of the settings, each within its rule.
 *
 * @example
 * ```ts
 * schemaIssues(consumerGroupUpdateSchema, { name: "t-1" }); // [{ field: "settings", rule: "at least one of timeout, order" }]
 * ```
 */
export const consumerGroupUpdateSchema = z.lazy(() =>
  z.object({ name: consumerGroupName, ...z.partial(consumerGroupSettings).def.shape }).check(
    z.superRefine((update, ctx) => {
      if (update.timeout === undefined && update.order === undefined) ctx.addIssue({ code: "custom", path: ["settings"], message: "at least one of timeout, order" });
    }),
  ),
);

/** An integer within a documented range, each broken rule named. */
function intIn(range: { min: number; max: number }, unit = "") {
  const rule = `an integer ${range.min}-${range.max}${unit}`;
  return z.number({ error: rule }).check(z.int({ message: rule }), z.gte(range.min, { message: rule }), z.lte(range.max, { message: rule }));
}

/**
 * A logstore to create: SLS's name rule, `ttl` 1-3650 days, `shardCount` 1-10, and with
 * `autoSplit` a `maxSplitShard` of 1-256 (the CreateLogStore reference and the Tea SDK's request).
 *
 * @example
 * ```ts
 * schemaIssues(logStoreSpecSchema, { name: "tenant-events-9", ttl: 0, shardCount: 2 }); // [{ field: "ttl", rule: "an integer 1-3650 days" }]
 * ```
 */
export const logStoreSpecSchema = z.lazy(() =>
  z
    .object({
      name: logstoreName,
      ttl: intIn(LOGSTORE_TTL_RANGE, " days"),
      shardCount: intIn(LOGSTORE_SHARD_COUNT_RANGE),
      autoSplit: z.optional(z.boolean()),
      maxSplitShard: z.optional(intIn(LOGSTORE_MAX_SPLIT_SHARD_RANGE)),
    })
    .check(
      z.refine((l) => l.autoSplit !== true || l.maxSplitShard !== undefined, { message: "required when autoSplit is true", path: ["maxSplitShard"] }),
    ),
);
