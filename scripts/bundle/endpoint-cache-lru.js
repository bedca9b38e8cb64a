/**
 * What the AWS SDK's endpoint-discovery cache (`@aws-sdk/endpoint-cache`) uses of mnemonist's
 * LRUCache: `new LRUCache(capacity)`, has, peek, get, set, clear, size. Bundled in its place
 * (scripts/esbuild-options.ts `smallEndpointCacheLru`): mnemonist's is ~5 KB of every handler for
 * a cache the DynamoDB client builds but never fills (endpoint discovery is off for DynamoDB).
 * A Map keeps insertion order, so re-inserting a key on use makes its first key the least
 * recently used. test/unit/bundle/endpoint-cache-lru.test.ts checks it against mnemonist.
 */
export default class LRUCache {
  constructor(capacity) {
    if (typeof capacity !== "number" || !(capacity > 0)) throw new Error("mnemonist/LRUCache.constructor: capacity should be positive number.");
    this.capacity = capacity;
    this.items = new Map();
  }
  get size() {
    return this.items.size;
  }
  has(key) {
    return this.items.has(key);
  }
  /** The value without marking it used. */
  peek(key) {
    return this.items.get(key);
  }
  get(key) {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key);
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }
  set(key, value) {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value);
    return this;
  }
  clear() {
    this.items.clear();
  }
}
