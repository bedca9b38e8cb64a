/** Types of scripts/bundle/endpoint-cache-lru.js (see there). */
export default class LRUCache<K = unknown, V = unknown> {
  constructor(capacity: number);
  readonly size: number;
  has(key: K): boolean;
  peek(key: K): V | undefined;
  get(key: K): V | undefined;
  set(key: K, value: V): this;
  clear(): void;
}
