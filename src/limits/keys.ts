/**
 * Key shape of the fleet limiter's items in the outcome table. One item per lane of a
 * (provider, command, pace) schedule: `pk = LIMIT#<provider>#<command>`,
 * `sk = SCHEDULE#<intervalUs>#<lane>`. It holds the lane's next free slot index (`nextIndex`) and
 * `expiresAt` (epoch seconds, the table's TTL attribute). The pace is part of the key, so
 * processes configured with different rates (a rollout) never misread each other's indexes. The
 * items never carry the unfinished-index attributes, so they stay out of that index.
 */

/** Partition-key prefix of limiter items. */
export const LIMIT_PK_PREFIX = "LIMIT#";
/** Sort-key prefix of a schedule lane's item. */
export const SCHEDULE_SK_PREFIX = "SCHEDULE#";

/**
 * Key of one lane of the schedule of one provider command at one pace.
 *
 * @example
 * ```ts
 * scheduleKey("tencent-im", "create_group", 5264, 3);
 * // { pk: "LIMIT#tencent-im#create_group", sk: "SCHEDULE#5264#3" }
 * ```
 */
export function scheduleKey(provider: string, command: string, intervalUs: number, lane: number): { pk: string; sk: string } {
  return { pk: `${LIMIT_PK_PREFIX}${provider}#${command}`, sk: `${SCHEDULE_SK_PREFIX}${intervalUs}#${lane}` };
}
