import { describe, expect, it } from "vitest";
import { logstoreFor } from "../../../src/provisioning/logstore-choice.ts";

const ids = Array.from({ length: 3_000 }, (_, i) => `tenant-${i}`);
const stores = (n: number) => Array.from({ length: n }, (_, i) => `events-${i}`);

describe("logstoreFor", () => {
  it("is stable for a tenant", () => {
    expect(ids.slice(0, 50).map((id) => logstoreFor(id, stores(7)))).toEqual(ids.slice(0, 50).map((id) => logstoreFor(id, stores(7))));
  });

  it("spreads tenants like a uniform draw: at half the 30-group quota on average, no logstore overflows", () => {
    const counts = new Map<string, number>();
    for (const id of ids) {
      const store = logstoreFor(id, stores(200));
      counts.set(store, (counts.get(store) ?? 0) + 1);
    }
    expect(counts.size).toBe(200);
    // 3,000 over 200 is 15 on average (the headroom the README asks for); the fullest stays under 30.
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(30);
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(3);
  });

  it("appending a logstore moves only the tenants it takes over, and only to it", () => {
    let moved = 0;
    for (const id of ids) {
      const before = logstoreFor(id, stores(10));
      const after = logstoreFor(id, stores(11));
      if (before !== after) {
        moved++;
        expect(after).toBe("events-10");
      }
    }
    // About 1/11 of the tenants (273 of 3,000) move.
    expect(moved).toBeGreaterThan(150);
    expect(moved).toBeLessThan(400);
  });

  it("with one logstore, always that one; with none, an error", () => {
    expect(logstoreFor("x", ["only"])).toBe("only");
    expect(() => logstoreFor("x", [])).toThrow(/at least one/);
  });
});
