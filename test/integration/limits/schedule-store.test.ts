/** The schedule item in dynalite: restart, append, horizon, TTL, and store failures. */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { CallScheduleStore, ScheduleStoreError } from "../../../src/limits/schedule-store.ts";
import { scheduleKey } from "../../../src/limits/keys.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();
const base = { provider: "tencent-im", command: "create_group", intervalUs: 5_000, horizonUs: 1_000_000 };

describe("CallScheduleStore", () => {
  it("restarts an idle schedule at now and appends to a busy one without overlap", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    const store = new CallScheduleStore({ client: docClient, tableName, clock });
    const now = clock.now() * 1000;
    const a = await store.reserve({ ...base, count: 10, notBeforeUs: now, expectBusy: false });
    expect(a).toEqual({ startUs: now });
    // A second process guessing "idle" first still gets the next span (restart fails, append wins).
    const b = await store.reserve({ ...base, count: 4, notBeforeUs: now + 1_000, expectBusy: false });
    expect(b).toEqual({ startUs: now + 50_000 });
    const c = await store.reserve({ ...base, count: 1, notBeforeUs: now + 2_000, expectBusy: true });
    expect(c).toEqual({ startUs: now + 70_000 });
    const item = await docClient.send(new GetCommand({ TableName: tableName, Key: scheduleKey("tencent-im", "create_group") }));
    expect(item.Item?.tatUs).toBe(now + 75_000);
    // The TTL attribute of the table (expiresAt, epoch seconds), an hour on.
    expect(item.Item?.expiresAt).toBe(Math.floor(clock.now() / 1000) + 3600);
    expect(item.Item?.unfinishedPk).toBeUndefined();
  });

  it("restarts at the new time once the schedule lies in the past", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    const store = new CallScheduleStore({ client: docClient, tableName, clock });
    const now = clock.now() * 1000;
    await store.reserve({ ...base, count: 10, notBeforeUs: now, expectBusy: false });
    const later = now + 2_000_000;
    expect(await store.reserve({ ...base, count: 3, notBeforeUs: later, expectBusy: true })).toEqual({ startUs: later });
  });

  it("refuses slots beyond the horizon (the fleet is saturated)", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    const now = Date.now() * 1000;
    // 300 slots of 5 ms: the schedule runs 1.5 s ahead, beyond the 1 s horizon.
    await store.reserve({ ...base, count: 300, notBeforeUs: now, expectBusy: false });
    expect(await store.reserve({ ...base, count: 1, notBeforeUs: now, expectBusy: true })).toBeUndefined();
    expect(store.requests).toBe(4);
  });

  it("keeps commands apart", async () => {
    const { docClient, tableName } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName });
    const now = Date.now() * 1000;
    await store.reserve({ ...base, count: 100, notBeforeUs: now, expectBusy: false });
    expect(await store.reserve({ ...base, command: "account_import", count: 1, notBeforeUs: now, expectBusy: false })).toEqual({ startUs: now });
  });

  it("turns a missing table into a ScheduleStoreError naming the cause", async () => {
    const { docClient } = await newTable();
    const store = new CallScheduleStore({ client: docClient, tableName: "no-such-table" });
    const error = await store.reserve({ ...base, count: 1, notBeforeUs: Date.now() * 1000, expectBusy: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleStoreError);
    expect((error as ScheduleStoreError).reason).toBe("ResourceNotFoundException");
  });
});
