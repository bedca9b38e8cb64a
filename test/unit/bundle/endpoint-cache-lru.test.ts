/**
 * The LRU bundled in place of mnemonist's for the SDK's endpoint cache
 * (scripts/bundle/endpoint-cache-lru.js) answers every call that cache makes exactly as
 * mnemonist's LRUCache does, over random sequences of calls.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import SmallLru from "../../../scripts/bundle/endpoint-cache-lru.js";

// mnemonist is CommonJS: its class is the module itself (typed here by the calls compared).
const MnemonistLru = createRequire(import.meta.url)("mnemonist/lru-cache") as typeof SmallLru;

type Op = { op: "set"; key: string; value: number } | { op: "get" | "peek" | "has"; key: string } | { op: "clear" };

const key = fc.constantFrom("a", "b", "c", "d", "e", "f");
// Long runs with few clears, so caches fill, reads reorder them and sets evict.
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("set" as const), key, value: fc.integer() }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constantFrom("get" as const, "peek" as const, "has" as const), key }), weight: 5 },
  { arbitrary: fc.constant({ op: "clear" as const }), weight: 1 },
);

describe("the endpoint cache's bundled LRU", () => {
  it("answers get, peek, has and size like mnemonist's LRUCache, with the same evictions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { minLength: 20, maxLength: 80, size: "max" }), (capacity, ops) => {
        const ours = new SmallLru<string, number>(capacity);
        const theirs = new MnemonistLru<string, number>(capacity);
        for (const o of ops) {
          if (o.op === "set") {
            ours.set(o.key, o.value);
            theirs.set(o.key, o.value);
          } else if (o.op === "clear") {
            ours.clear();
            theirs.clear();
          } else {
            expect(ours[o.op](o.key), `${o.op}(${o.key})`).toEqual(theirs[o.op](o.key));
          }
          expect(ours.size).toBe(theirs.size);
        }
        for (const k of ["a", "b", "c", "d", "e", "f"]) expect(ours.peek(k)).toEqual(theirs.peek(k));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a capacity that is not a positive number, as mnemonist does", () => {
    expect(() => new SmallLru(0)).toThrow(/capacity/);
    expect(() => new MnemonistLru(0)).toThrow(/capacity/);
  });
});
