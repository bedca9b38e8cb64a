/**
 * The outcome store's claim rules that the lifecycle tests reach only through whole-service runs:
 * input checks before any write, a claim for an older generation than the step already moved to,
 * a claim that keeps losing races, and pinResource's own checks. Found by mutation testing
 * (README "Mutation testing"): each test here kills mutants the other store tests let through.
 */
import { GetCommand, type DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { CLAIM_RACE_RETRIES } from "../../../src/outcomes/constants.ts";
import { stepKey } from "../../../src/outcomes/keys.ts";
import { LeaseLostError, OutcomeStore, type StepError, type StepRecord } from "../../../src/outcomes/index.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();
const snapshot = { tenantId: "t-1" };
const busy: StepError = { provider: "sls", code: "ServerBusy", message: "busy", httpStatus: 503, errorClass: "transient" };

async function claimed(store: OutcomeStore, owner: string, generation = 1): Promise<StepRecord> {
  const claim = await store.claimStep("t-1", "im-group", { owner, leaseMs: 60_000, generation });
  if (!claim.claimed) throw new Error(`expected ${owner} to claim, got ${claim.reason}`);
  return claim.record;
}

describe("claimStep input", () => {
  it("is checked before anything is written, every broken field named under claimStep", async () => {
    const { store } = await newTable();
    const [before] = await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);

    const refused = await store
      .claimStep("bad id!", "Bad Step!" as "im-group", { owner: "", leaseMs: 0, generation: 0 })
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(/^claimStep: invalid input: /);
    expect((refused as ValidationError).issues.map((issue) => issue.field)).toEqual([
      "tenantId",
      "step",
      "owner",
      "leaseMs",
      "generation",
    ]);
    expect((refused as ValidationError).issues.find((issue) => issue.field === "owner")?.rule).toBe("non-empty string");
    // An owner must be a string, whatever its length.
    await expect(store.claimStep("t-1", "im-group", { owner: ["w"] as unknown as string, leaseMs: 1_000 })).rejects.toMatchObject({
      issues: [{ field: "owner", rule: "non-empty string" }],
    });
    // A lease longer than a day is refused too; a valid claim then finds the step untouched.
    await expect(store.claimStep("t-1", "im-group", { owner: "w", leaseMs: 86_400_001 })).rejects.toMatchObject({
      issues: [{ field: "leaseMs" }],
    });
    expect(await claimed(store, "w")).toMatchObject({ attempts: 1, version: (before?.version ?? 0) + 1 });
  });
});

describe("a claim refused because another worker's lease holds", () => {
  it("costs one conditional write and one read: the step is not claimable, so there is nothing to retry", async () => {
    const { store, docClient, tableName } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const holder = await claimed(store, "holder");
    const sent: string[] = [];
    const counting = {
      send: (command: object) => {
        sent.push(command.constructor.name);
        return docClient.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;

    const refused = await new OutcomeStore({ tableName, client: counting, clock: new FakeClock() }).claimStep("t-1", "im-group", {
      owner: "late",
      leaseMs: 60_000,
    });

    expect(refused).toEqual({ claimed: false, reason: "leased", record: holder });
    expect(sent).toEqual(["UpdateCommand", "GetCommand"]);
  });
});

describe("a claim for an older generation", () => {
  it("is superseded while a newer generation's claim holds the step, and after it finished", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const newer = await claimed(store, "gen-2-worker", 2);

    const whileHeld = await store.claimStep("t-1", "im-group", { owner: "gen-1-worker", leaseMs: 60_000, generation: 1 });
    expect(whileHeld).toEqual({ claimed: false, reason: "superseded", record: newer });

    const done = await store.completeStep(newer, { status: "SUCCEEDED", resource: { groupId: "g" } });
    const afterwards = await store.claimStep("t-1", "im-group", { owner: "gen-1-worker", leaseMs: 60_000, generation: 1 });
    expect(afterwards).toEqual({ claimed: false, reason: "superseded", record: done });
  });
});

describe("a claim that keeps losing races", () => {
  it(`gives up as "leased" after ${CLAIM_RACE_RETRIES + 1} rounds, each lost to a rival that then failed retryably`, async () => {
    const clock = new FakeClock();
    const { store: rival, docClient, tableName } = await newTable({ clock });
    await rival.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    // Between each of our conditional writes and the re-read that follows it, a rival takes the
    // step (so our write fails) and then gives it back as FAILED_RETRYABLE (so the re-read says
    // "claimable again" and we go round).
    let rounds = 0;
    let rivalRecord: StepRecord | undefined;
    const racing = {
      send: async (command: { input: { ExpressionAttributeValues?: Record<string, unknown> } }) => {
        if (command.input.ExpressionAttributeValues?.[":owner"] === "us") {
          rounds++;
          rivalRecord = await claimed(rival, `rival-${rounds}`);
        } else if (command instanceof GetCommand && rivalRecord) {
          await rival.completeStep(rivalRecord, { status: "FAILED_RETRYABLE", error: busy });
          rivalRecord = undefined;
        }
        return docClient.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const us = new OutcomeStore({ tableName, client: racing, clock });

    const result = await us.claimStep("t-1", "im-group", { owner: "us", leaseMs: 60_000 });

    expect(rounds).toBe(CLAIM_RACE_RETRIES + 1);
    expect(result).toMatchObject({ claimed: false, reason: "leased", record: { status: "FAILED_RETRYABLE", attempts: rounds } });
  });
});

describe("pinResource", () => {
  it("refuses a record that is not claimed, and a resource value that is not a string, naming the field", async () => {
    const { store } = await newTable();
    const [pending] = await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    if (!pending) throw new Error("no record");

    // The same "claimed record" rule as completeStep's, each broken half named.
    await expect(store.pinResource(pending, { groupId: "g" })).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringMatching(/^pinResource: invalid input: record\.status: /),
      issues: [
        { field: "record.status", rule: "IN_PROGRESS (a claimed record)" },
        { field: "record.leaseOwner", rule: "present (a claimed record)" },
      ],
    });
    const mine = await claimed(store, "w");
    // Each half of "a claimed record" on its own, and the ids of the record named.
    for (const [notClaimed, field] of [
      [{ ...mine, leaseOwner: undefined }, "record.leaseOwner"],
      [{ ...mine, status: "SUCCEEDED" as const }, "record.status"],
    ] as const) {
      await expect(store.pinResource(notClaimed, { groupId: "g" })).rejects.toMatchObject({ issues: [{ field }] });
    }
    await expect(store.pinResource({ ...mine, tenantId: "bad id!", step: "Bad!" as "im-group" }, { groupId: "g" })).rejects.toMatchObject({
      issues: [{ field: "record.tenantId" }, { field: "record.step" }],
    });
    await expect(store.pinResource(mine, { groupId: 7 as unknown as string })).rejects.toMatchObject({
      issues: [{ field: "resource.groupId", rule: "string" }],
    });
    const pinned = await store.pinResource(mine, { groupId: "g" });
    expect(pinned).toMatchObject({ resource: { groupId: "g" }, version: mine.version + 1, leaseOwner: "w" });
  });

  it("throws LeaseLostError with the current record once another worker took the lapsed lease, and pins nothing", async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const first = await store.claimStep("t-1", "im-group", { owner: "a", leaseMs: 1_000 });
    if (!first.claimed) throw new Error("not claimed");
    clock.advance(1_000);
    const second = await claimed(store, "b");

    const lost = await store.pinResource(first.record, { logstore: "events-7" }).catch((error: unknown) => error);

    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({ expected: { owner: "a", version: first.record.version }, current: second });
    const stored = await docClient.send(new GetCommand({ TableName: tableName, Key: stepKey("t-1", "im-group") }));
    expect(stored.Item?.resource).toEqual({});
  });
});
