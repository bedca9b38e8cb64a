/**
 * The store's part of a change of desired state, on dynalite: what changeDesired writes and keeps,
 * how markStepsStale puts finished older steps back in the unfinished index, and how
 * fastForwardStep moves a step to a newer generation only when the record is as read.
 */
import { GetCommand, PutCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { STEP_NAMES, type StepRecord } from "../../../src/outcomes/index.ts";
import { tenantKey } from "../../../src/outcomes/keys.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();
const BOTH = [...STEP_NAMES];
const snapshot = { tenantId: "t-1", admin: { userId: "u-1" } };

type Store = Awaited<ReturnType<typeof newTable>>["store"];

/** Registers `tenantId` and runs both steps to SUCCEEDED at generation 1. */
async function settled(store: Store, tenantId: string): Promise<StepRecord[]> {
  await store.registerTenant(tenantId, { ...snapshot, tenantId }, "webhook", BOTH);
  const done: StepRecord[] = [];
  for (const step of BOTH) {
    const claim = await store.claimStep(tenantId, step, { owner: "w", leaseMs: 60_000 });
    if (!claim.claimed) throw new Error(`could not claim ${step}`);
    done.push(await store.completeStep(claim.record, { status: "SUCCEEDED", resource: { id: step } }));
  }
  return done;
}

describe("changeDesired", () => {
  it("keeps the stored snapshot when the change brings none, and records when it was asked for", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const desiredAt = "2026-11-30T09:00:00.000Z";
    const next = await store.changeDesired("t-1", 1, { desired: "ABSENT", source: "offboard", desiredAt });
    expect(next).toMatchObject({ generation: 2, desired: "ABSENT", source: "offboard", snapshot, desiredAt });
    expect((await store.getTenant("t-1")).tenant).toMatchObject({ generation: 2, snapshot, desiredAt });
  });

  it("stores an operator's re-drive list with its generation, and the next change without one drops it", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const redriven = await store.changeDesired("t-1", 1, { desired: "PRESENT", source: "cli", redriveSteps: ["im-group"] });
    expect(redriven?.redriveSteps).toEqual(["im-group"]);
    const plain = await store.changeDesired("t-1", 2, { desired: "PRESENT", source: "webhook", snapshot: { ...snapshot, v: 2 } });
    expect(plain?.redriveSteps).toBeUndefined();
    expect(plain?.snapshot).toEqual({ ...snapshot, v: 2 });
    expect((await store.getTenant("t-1")).tenant?.redriveSteps).toBeUndefined();
  });

  it("refuses a re-drive list with a step name that is not one, naming the field", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const error = await store.changeDesired("t-1", 1, { desired: "PRESENT", source: "cli", redriveSteps: ["Not A Step"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^changeDesired: invalid input: redriveSteps\.0: /);
    expect((await store.getTenant("t-1")).tenant?.generation).toBe(1);
  });

  it("changes generation 1 of an item written before items carried a generation, and only as generation 1", async () => {
    const { store, docClient, tableName } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-old", { ...snapshot, tenantId: "t-old" }, "webhook", BOTH);
    const { Item } = await docClient.send(new GetCommand({ TableName: tableName, Key: tenantKey("t-old") }));
    const { generation: _generation, ...legacy } = Item as Record<string, unknown>;
    await docClient.send(new PutCommand({ TableName: tableName, Item: legacy }));
    expect(await store.changeDesired("t-old", 2, { desired: "ABSENT", source: "offboard" })).toBeUndefined();
    expect(await store.changeDesired("t-old", 1, { desired: "ABSENT", source: "offboard" })).toMatchObject({ generation: 2, desired: "ABSENT" });
  });

  it("is conditional on the generation read: a stale expected generation changes nothing", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    await store.changeDesired("t-1", 1, { desired: "PRESENT", source: "webhook", snapshot: { ...snapshot, v: 2 } });
    expect(await store.changeDesired("t-1", 1, { desired: "ABSENT", source: "offboard" })).toBeUndefined();
    expect((await store.getTenant("t-1")).tenant).toMatchObject({ generation: 2, desired: "PRESENT" });
  });
});

describe("markStepsStale", () => {
  it("puts finished steps of an older generation back in the unfinished index, due now", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await settled(store, "t-1");
    expect((await store.listUnfinished({ limit: 10 })).items).toEqual([]);
    clock.advance(5_000);
    await store.markStepsStale("t-1", BOTH, 2);
    const due = (await store.listUnfinished({ limit: 10, dueBefore: new Date(clock.now()).toISOString() })).items;
    expect(due.map((s) => [s.step, s.status, s.nextAttemptAt]).sort()).toEqual(
      BOTH.map((step) => [step, "SUCCEEDED", new Date(clock.now()).toISOString()]).sort(),
    );
  });

  it("leaves a step observed at that generation or later, a step in progress, and a step that does not exist", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await settled(store, "t-1");
    await store.markStepsStale("t-1", BOTH, 1);
    expect((await store.listUnfinished({ limit: 10 })).items).toEqual([]);

    await store.registerTenant("t-2", { ...snapshot, tenantId: "t-2" }, "webhook", ["im-group"]);
    const claim = await store.claimStep("t-2", "im-group", { owner: "w", leaseMs: 60_000 });
    expect(claim.claimed).toBe(true);
    const before = (await store.getTenant("t-2")).steps;
    await store.markStepsStale("t-2", ["im-group", "sls-consumer-group"], 5);
    expect((await store.getTenant("t-2")).steps).toEqual(before);
  });

  it("refuses a broken tenant id or step name before writing anything", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await expect(store.markStepsStale("bad id!", BOTH, 2)).rejects.toMatchObject({ name: "ValidationError", message: expect.stringMatching(/^markStepsStale: invalid input: tenantId: /) });
    await expect(store.markStepsStale("t-1", ["Nope"] as never, 2)).rejects.toMatchObject({ message: expect.stringMatching(/^markStepsStale: invalid input: steps\.0: /) });
  });
});

describe("fastForwardStep", () => {
  it("moves a finished step to the newer generation, takes it out of the index, and counts the change", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const [sls] = (await settled(store, "t-1")) as [StepRecord];
    await store.markStepsStale("t-1", ["sls-consumer-group"], 2);
    const stale = (await store.getTenant("t-1")).steps.find((s) => s.step === "sls-consumer-group") as StepRecord;
    expect(stale.nextAttemptAt).toBeDefined();
    clock.advance(1_000);
    const moved = await store.fastForwardStep(stale, 2);
    expect(moved).toMatchObject({ step: "sls-consumer-group", status: "SUCCEEDED", observedGeneration: 2, version: stale.version + 1, resource: sls.resource });
    expect(moved?.updatedAt).toBe(new Date(clock.now()).toISOString());
    expect(moved?.nextAttemptAt).toBeUndefined();
    expect((await store.listUnfinished({ limit: 10 })).items).toEqual([]);
    expect((await store.getTenant("t-1")).steps.find((s) => s.step === "sls-consumer-group")).toEqual(moved);
  });

  it("changes nothing when the record moved since it was read (another version or status)", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    const [sls] = (await settled(store, "t-1")) as [StepRecord];
    expect(await store.fastForwardStep({ ...sls, version: sls.version + 1 }, 2)).toBeUndefined();
    expect(await store.fastForwardStep({ ...sls, status: "FAILED_PERMANENT" }, 2)).toBeUndefined();
    expect((await store.getTenant("t-1")).steps.find((s) => s.step === "sls-consumer-group")).toEqual(sls);
  });

  it("refuses a generation that is not above the record's, naming it", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    const [sls] = (await settled(store, "t-1")) as [StepRecord];
    await expect(store.fastForwardStep(sls, 1)).rejects.toMatchObject({
      name: "ValidationError",
      message: "fastForwardStep: invalid input: generation: above the record's observedGeneration",
    });
  });
});
