import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { decodeCursor, encodeCursor } from "../../../src/outcomes/cursor.ts";
import { isoTimeSchema } from "../../../src/outcomes/input-validation.ts";
import { dueBound, shardOf, unfinishedPk, unfinishedSk } from "../../../src/outcomes/keys.ts";

describe("cursor", () => {
  it("round-trips every position it can encode", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.option(fc.string(), { nil: undefined }), (shard, tail) => {
        const after =
          tail === undefined ? undefined : { pk: `TENANT#${tail}`, sk: "STEP#im-group", unfinishedPk: unfinishedPk(shard), unfinishedSk: tail };
        const cursor = encodeCursor({ shard, after });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor, 8)).toEqual(after ? { shard, after } : { shard });
      }),
    );
  });

  it("refuses a cursor for a shard the store does not have", () => {
    expect(() => decodeCursor(encodeCursor({ shard: 3 }), 2)).toThrow(ValidationError);
  });
});

describe("keys", () => {
  it("puts a tenant in the same shard every time, within range", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (tenantId, shards) => {
        const shard = shardOf(tenantId, shards);
        expect(shard).toBe(shardOf(tenantId, shards));
        expect(Number.isInteger(shard) && shard >= 0 && shard < shards).toBe(true);
      }),
    );
    // Stored data depends on this exact hash (a changed one would orphan index entries):
    // pin it to the published FNV-1a 32-bit test vectors.
    expect(shardOf("a", 2 ** 32)).toBe(0xe40c292c);
    expect(shardOf("foobar", 2 ** 32)).toBe(0xbf9cf968);
    expect(["t-1", "tenant-0", "ünïcode", "acme"].map((t) => shardOf(t, 4))).toEqual([1, 0, 3, 3]);
  });

  it("orders index keys by due time, and the due bound includes exactly the due ones", () => {
    const due = "2026-11-01T00:00:00.000Z";
    const atBound = unfinishedSk(due, "t-zzz", "sls-consumer-group");
    const later = unfinishedSk("2026-11-01T00:00:00.001Z", "a", "im-group");
    const earlier = unfinishedSk("2026-10-31T23:59:59.999Z", "~~~", "sls-consumer-group");
    expect(atBound < dueBound(due)).toBe(true);
    expect(earlier < dueBound(due)).toBe(true);
    expect(later < dueBound(due)).toBe(false);
  });
});

describe("isoTimeSchema", () => {
  it("accepts only toISOString's fixed-width form", () => {
    expect(isoTimeSchema.safeParse("2026-11-01T00:00:00.000Z").success).toBe(true);
    for (const bad of ["2026-11-01", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00.000+01:00", 5, "+012026-11-01T00:00:00.000Z"]) {
      expect(isoTimeSchema.safeParse(bad).success, String(bad)).toBe(false);
    }
  });
});
