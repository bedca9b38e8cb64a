/**
 * Key shape of the fleet limiter's items in the outcome table. One item per lane of a
 * (provider, schedule, pace) schedule: `pk = LIMIT#<provider>#<schedule>`,
 * `sk = SCHEDULE#<intervalUs>#<lane>`, the schedule being a command or the commands leased together
 * joined by `+` (e.g. `account_import+create_group`). It holds the lane's next free slot index (`nextIndex`) and
 * `expiresAt` (epoch seconds, the table's TTL attribute). The pace is part of the key, so
 * processes configured with different rates (a rollout) never misread each other's indexes. The
 * items never carry the unfinished-index attributes, so they stay out of that index.
 */

/** Partition-key prefix of limiter items. */
export const LIMIT_PK_PREFIX = "LIMIT#";
/** Sort-key prefix of a schedule lane's item. */
export const SCHEDULE_SK_PREFIX = "SCHEDULE#";

/**
 * Key of one lane of one schedule (a command, or a group of commands leased together) at one pace.
 *
 * @example
 * ```ts
 * scheduleKey("tencent-im", "create_group", 5264, 3);
 * // { pk: "LIMIT#tencent-im#create_group", sk: "SCHEDULE#5264#3" }
 * ```
 */
export function scheduleKey(provider: string, schedule: string, intervalUs: number, lane: number): { pk: string; sk: string } {
  return { pk: `${LIMIT_PK_PREFIX}${provider}#${schedule}`, sk: `${SCHEDULE_SK_PREFIX}${intervalUs}#${lane}` };
}
