/**
 * A cursor that is not one this store handed out is refused naming the field and the rule it
 * breaks (never a half-walk); and every key is told apart from keys that only resemble it.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { decodeCursor, encodeCursor } from "../../../src/outcomes/cursor.ts";
import { unfinishedPk } from "../../../src/outcomes/keys.ts";
import { BACKFILL_POSITION_KEY, kindOfKey, logstoreKey, rejectionKey, webhookIdKey } from "../../../src/outcomes/table-map.ts";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64url");

function refusal(cursor: string, shards = 4): ValidationError {
  try {
    decodeCursor(cursor, shards);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`cursor ${cursor} was accepted`);
}

describe("decodeCursor refuses what it did not encode, naming the rule", () => {
  it.each([
    ["not base64url at all", "a+b/c=", "base64url from a previous page"],
    ["base64url followed by other text", `${encodeCursor({ shard: 1 })} x`, "base64url from a previous page"],
    ["other text followed by base64url", `.${encodeCursor({ shard: 1 })}`, "base64url from a previous page"],
    ["empty", "", "base64url from a previous page"],
    ["base64url of text that is not JSON", b64("shard 1"), "base64url JSON from a previous page"],
    ["JSON of another shape", b64('{"v":1,"shard":"1"}'), "a cursor from a previous page"],
    ["a shard the store does not have", encodeCursor({ shard: 4 }), "shard below 4"],
  ])("%s", (_what, cursor, rule) => {
    const error = refusal(cursor);
    expect(error.issues).toEqual([{ field: "cursor", rule }]);
    expect(error.message).toBe(`listUnfinished: invalid input: cursor: ${rule}`);
  });

  it("a position whose index key belongs to another shard", () => {
    const after = { pk: "TENANT#t-1", sk: "STEP#im-group", unfinishedPk: unfinishedPk(2), unfinishedSk: "x" };
    expect(refusal(encodeCursor({ shard: 1, after })).issues).toEqual([{ field: "cursor", rule: "key within its shard" }]);
    expect(decodeCursor(encodeCursor({ shard: 2, after }), 4)).toEqual({ shard: 2, after });
  });

  it("encodes as base64url of UTF-8 JSON, so a tenant id beyond ASCII survives the round trip", () => {
    const after = { pk: "TENANT#ünï-✓", sk: "STEP#im-group", unfinishedPk: unfinishedPk(0), unfinishedSk: "ünï-✓" };
    const cursor = encodeCursor({ shard: 0, after });
    expect(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).toMatchObject({ shard: 0, after });
    expect(decodeCursor(cursor, 1)).toEqual({ shard: 0, after });
  });
});

describe("kindOfKey", () => {
  it("names each kind of key the service writes", () => {
    expect(kindOfKey({ pk: "TENANT#t-1", sk: "TENANT" })).toBe("tenant");
    expect(kindOfKey({ pk: "TENANT#t-1", sk: "STEP#im-group" })).toBe("step");
    expect(kindOfKey(rejectionKey("webhook", "m-1"))).toBe("rejection");
    expect(kindOfKey(webhookIdKey("msg_1"))).toBe("webhook id");
    expect(kindOfKey(BACKFILL_POSITION_KEY)).toBe("backfill position");
    expect(kindOfKey(logstoreKey("tenant-events-3"))).toBe("logstore");
  });

  it("knows no key that only shares a partition key prefix or a sort key with one of them", () => {
    for (const key of [
      { pk: "TENANT#t-1", sk: "OTHER" },
      { pk: "REJECTED#x", sk: "WEBHOOK" },
      { pk: "OTHER#x", sk: "REJECTED" },
      { pk: "WEBHOOK#x", sk: "REJECTED" },
      { pk: "OTHER#x", sk: "WEBHOOK" },
      { pk: "BACKFILL", sk: "OTHER" },
      { pk: "OTHER", sk: "POSITION" },
      { pk: "LOGSTORE", sk: "OTHER#x" },
      { pk: "OTHER", sk: "LOGSTORE#x" },
      { pk: "", sk: "" },
    ]) {
      expect(kindOfKey(key), JSON.stringify(key)).toBeUndefined();
    }
  });

  it("hashes the webhook-id into the key: different ids, different keys; the same id, the same key", () => {
    expect(webhookIdKey("msg_1")).toEqual(webhookIdKey("msg_1"));
    expect(webhookIdKey("msg_1").pk).not.toBe(webhookIdKey("msg_2").pk);
    expect(webhookIdKey("msg_1").pk).toMatch(/^WEBHOOK#[A-Za-z0-9_-]{43}$/);
  });
});
