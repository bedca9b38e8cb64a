/**
 * Key shape of the fleet limiter's items in the outcome table. One item per (provider, command):
 * `pk = LIMIT#<provider>#<command>`, `sk = SCHEDULE`. It holds the tail of that command's call
 * schedule (`tatUs`, epoch microseconds) and `expiresAt` (epoch seconds, the table's TTL
 * attribute). The item never carries the unfinished-index attributes, so it stays out of that index.
 */

/** Partition-key prefix of limiter items. */
export const LIMIT_PK_PREFIX = "LIMIT#";
/** Sort key of a command's schedule item. */
export const SCHEDULE_SK = "SCHEDULE";

/**
 * Key of the schedule item of one provider command.
 *
 * @example
 * ```ts
 * scheduleKey("tencent-im", "create_group"); // { pk: "LIMIT#tencent-im#create_group", sk: "SCHEDULE" }
 * ```
 */
export function scheduleKey(provider: string, command: string): { pk: string; sk: string } {
  return { pk: `${LIMIT_PK_PREFIX}${provider}#${command}`, sk: SCHEDULE_SK };
}
