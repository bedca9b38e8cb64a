/** What SLS already holds in a logstore, as the registry takes it (the CLI's `logstores add`, the seed from SLS_LOGSTORE). */
import type { SlsClient } from "../providers/sls/index.ts";
import { forEachWithin } from "../concurrency/for-each-within.ts";
import type { LogstoreToAdd } from "./types.ts";

/**
 * ListConsumerGroup calls in flight at once. A seed from a long SLS_LOGSTORE list (up to ~200
 * names) used to fire one call per logstore at the same moment, inviting SLS's throttling on a
 * cold start. 8 at a time read 200 logstores in 25 round trips.
 */
export const LOGSTORE_LISTING_CONCURRENCY = 8;

/**
 * Logstores to register as they are at SLS: each with its consumer groups counted, and the
 * tenants whose groups (`{prefix}{tenantId}`) live there holding their slots. One
 * ListConsumerGroup per logstore, {@link LOGSTORE_LISTING_CONCURRENCY} at a time, the answers in the
 * order of `names`; a logstore that does not exist fails the whole call.
 *
 * @example
 * ```ts
 * await registry.add(await logstoresAtSls(["tenant-events-0"], "tenant-", service.slsClientFor));
 * ```
 */
export async function logstoresAtSls(
  names: readonly string[],
  consumerGroupPrefix: string,
  clientFor: (logstore: string) => Pick<SlsClient, "listConsumerGroups">,
  capacity?: number,
): Promise<LogstoreToAdd[]> {
  const found = new Map<string, LogstoreToAdd>();
  // After one failure the read has failed: the other lanes start no further call.
  let failed = false;
  await forEachWithin(names, LOGSTORE_LISTING_CONCURRENCY, () => !failed, async (name) => {
    const groups = await clientFor(name)
      .listConsumerGroups()
      .catch((error: unknown) => {
        failed = true;
        throw error;
      });
    const tenants = groups.filter((g) => g.name.startsWith(consumerGroupPrefix)).map((g) => g.name.slice(consumerGroupPrefix.length));
    found.set(name, { name, capacity, tenants, existingGroups: groups.length });
  });
  return names.map((name) => found.get(name) as LogstoreToAdd);
}
