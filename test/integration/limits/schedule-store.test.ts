/** The schedule lanes in dynalite: restart, append, lanes kept apart, horizon, TTL, store failures. */
import { GetCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { CallScheduleStore, laneIndexAtOrAfter, ScheduleStoreError } from "../../../src/limits/schedule-store.ts";
import { scheduleKey } from "../../../src/limits/keys.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();
const base = { provider: "tencent-im", command: "create_group", intervalUs: 5_000, lanes: 4, lane: 1, horizonSlots: 200 };

describe("CallScheduleStore", () => {
  it("restarts an idle lane at its first index from now and appends to a busy one without overlap", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    const store = new CallScheduleStore({ client: docClient, tableName, clock });
    const now = 1_000; // a lattice index (× 5 ms)
    const a = await store.reserve({ ...base, count: 10, notBeforeIndex: now, expectBusy: false });
    expect(a).toEqual({ firstIndex: 1_001, busy: false }); // lane 1 of 4: the indexes ≡ 1 (mod 4)
    // A second process guessing "idle" first still gets the next slots (restart fails, append wins).
    const b = await store.reserve({ ...base, count: 4, notBeforeIndex: now + 2, expectBusy: false });
    expect(b).toEqual({ firstIndex: 1_041, busy: true });
    const c = await store.reserve({ ...base, count: 1, notBeforeIndex: now + 3, expectBusy: true });
    expect(c).toEqual({ firstIndex: 1_057, busy: true });
    const item = await docClient.send(new GetCommand({ TableName: tableName, Key: scheduleKey("tencent-im", "create_group", 5_000, 1) }));
    expect(item.Item?.nextIndex).toBe(1_061);
    // The TTL attribute of the table (expiresAt, epoch seconds), an hour on; never in the unfinished index.
    expect(item.Item?.expiresAt).toBe(Math.floor(clock.now() / 1000) + 3600);
    expect(item.Item?.unfinishedPk).toBeUndefined();
  });

  it("keeps lanes on their own residues, so no two lanes hand out the same slot", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    const taken = new Set<number>();
    for (let round = 0; round < 3; round++) {
      for (let lane = 0; lane < 4; lane++) {
        const span = await store.reserve({ ...base, lane, count: 5, notBeforeIndex: 2_000 + round, expectBusy: round > 0 });
        expect(span).toBeDefined();
        for (let i = 0; i < 5; i++) {
          const index = (span?.firstIndex ?? 0) + i * 4;
          expect(index % 4).toBe(lane);
          expect(taken.has(index)).toBe(false);
          taken.add(index);
        }
      }
    }
    expect(taken.size).toBe(60);
  });

  it("restarts at the new time once the lane lies in the past", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    await store.reserve({ ...base, count: 10, notBeforeIndex: 1_000, expectBusy: false });
    expect(await store.reserve({ ...base, count: 3, notBeforeIndex: 5_000, expectBusy: true })).toEqual({ firstIndex: laneIndexAtOrAfter(5_000, 4, 1), busy: false });
  });

  it("refuses slots beyond the horizon (the fleet is saturated)", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    // 60 slots 4 apart: the lane runs 240 indexes ahead, beyond the 200-slot horizon.
    await store.reserve({ ...base, count: 60, notBeforeIndex: 1_000, expectBusy: false });
    expect(await store.reserve({ ...base, count: 1, notBeforeIndex: 1_000, expectBusy: true })).toBeUndefined();
    // One append and one restart: a third try would only pay when another process flipped the
    // lane between them, and in a saturated fleet it was one more failed request per lane.
    expect(store.requests).toBe(3);
  });

  it("keeps commands and paces apart", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    await store.reserve({ ...base, count: 40, notBeforeIndex: 1_000, expectBusy: false });
    expect(await store.reserve({ ...base, command: "account_import", count: 1, notBeforeIndex: 1_000, expectBusy: false })).toEqual({ firstIndex: 1_001, busy: false });
    expect(await store.reserve({ ...base, intervalUs: 6_000, count: 1, notBeforeIndex: 1_000, expectBusy: false })).toEqual({ firstIndex: 1_001, busy: false });
  });

  it("turns a missing table into a ScheduleStoreError naming the cause", async () => {
    const { docClient } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName: "no-such-table" });
    const error = await store.reserve({ ...base, count: 1, notBeforeIndex: 1_000, expectBusy: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleStoreError);
    expect((error as ScheduleStoreError).reason).toBe("ResourceNotFoundException");
  });
});
