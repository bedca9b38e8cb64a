/**
 * `node bench/walk-model.ts`: the backfill walk alone, without CPU cost or a store, so it can be
 * judged on a busy machine: 4,000 tenants in pages of 1,000, 32 lanes, each tenant two calls
 * through one 190/s token bucket with 20 ms latency each; 2% of tenants take 2 s more (a retry
 * backoff). Page by page (each page waits for its slowest tenant) vs walkPages (src/backfill).
 */
import { walkPages } from "../src/backfill/page-walk.ts";
import { forEachWithin } from "../src/concurrency/for-each-within.ts";
import { TokenBucket } from "../src/http/rate-limiter.ts";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const N = 4000;
const PAGE = 1000;
const slow = new Set(Array.from({ length: N }, (_, i) => i).filter((i) => (i * 7919) % 50 === 0));
async function tenant(bucket: TokenBucket, i: number) {
  await bucket.acquire(); await sleep(20);
  await bucket.acquire(); await sleep(20);
  if (slow.has(i)) await sleep(2000);
}
const pages = Array.from({ length: N / PAGE }, (_, p) => Array.from({ length: PAGE }, (_, k) => p * PAGE + k));
async function oldWalk() {
  const bucket = new TokenBucket({ ratePerSecond: 190 });
  for (const page of pages) await forEachWithin(page, 32, () => true, (i) => tenant(bucket, i));
}
async function newWalk() {
  const bucket = new TokenBucket({ ratePerSecond: 190 });
  await walkPages({ start: undefined, fetchPage: async (c) => { const p = c === undefined ? 0 : Number(c); return { items: pages[p]!, cursor: p + 1 < pages.length ? String(p + 1) : undefined }; }, concurrency: 32, canStart: () => true, work: (i) => tenant(bucket, i), pageDone: async () => undefined });
}
for (const [name, f] of [["page by page", oldWalk], ["walkPages", newWalk]] as const) {
  const t = performance.now(); await f(); const s = (performance.now() - t) / 1000;
  console.log(`${name}: ${(N / s).toFixed(1)} tenants/s; the bucket's 190 calls/s used ${((2 * N) / s / 190 * 100).toFixed(1)}%`);
}
