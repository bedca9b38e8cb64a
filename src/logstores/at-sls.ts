/** What SLS already holds in a logstore, as the registry takes it (the CLI's `logstores add`, the seed from SLS_LOGSTORE). */
import type { SlsClient } from "../providers/sls/index.ts";
import type { LogstoreToAdd } from "./types.ts";

/**
 * Logstores to register as they are at SLS: each with its consumer groups counted, and the
 * tenants whose groups (`{prefix}{tenantId}`) live there holding their slots. One
 * ListConsumerGroup per logstore; a logstore that does not exist fails the whole call.
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
  return Promise.all(
    names.map(async (name) => {
      const groups = await clientFor(name).listConsumerGroups();
      const tenants = groups.filter((g) => g.name.startsWith(consumerGroupPrefix)).map((g) => g.name.slice(consumerGroupPrefix.length));
      return { name, capacity, tenants, existingGroups: groups.length };
    }),
  );
}
