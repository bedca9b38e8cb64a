import { createHash } from "node:crypto";

const MASK64 = (1n << 64n) - 1n;

/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a 64-bit key to one of `buckets` so that
 * growing from n to n+1 buckets moves only ~1/(n+1) of the keys, all of them to the new bucket.
 */
function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (2 ** 31 / Number((k >> 33n) + 1n)));
  }
  return b;
}

/**
 * The logstore a tenant's consumer group lives in. SLS allows 30 consumer groups per logstore,
 * so tenants are spread over the configured logstores by a stable hash of the tenant id. The
 * choice must never change for a tenant whose group may exist: the list is append-only (jump
 * hashing then moves only the share of tenants the new logstore takes over, and a tenant whose
 * step already SUCCEEDED is never re-run), never reordered or shortened.
 *
 * @example
 * ```ts
 * logstoreFor("acme-42", ["events-a", "events-b"]); // always the same one of the two
 * ```
 */
export function logstoreFor(tenantId: string, logstores: readonly string[]): string {
  if (logstores.length === 0) throw new RangeError("logstores: at least one");
  const key = createHash("sha256").update(tenantId, "utf8").digest().readBigUInt64BE(0);
  return logstores[jumpHash(key, logstores.length)] as string;
}
