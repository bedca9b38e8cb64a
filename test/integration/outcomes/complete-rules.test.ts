/**
 * What completeStep writes besides the status, outcome by outcome (the failures index, the
 * removal time, the plan hash, resource ids), which generations may claim a finished step again,
 * and errors that are not a lost race. Found by mutation testing (README "Mutation testing"):
 * the store's own tests let these mutants through; only whole-service runs reached some of them.
 */
import { DynamoDBServiceException } from "@aws-sdk/client-dynamodb";
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { OutcomeStore, type StepError, type StepRecord, type StepResult } from "../../../src/outcomes/index.ts";
import { stepKey } from "../../../src/outcomes/keys.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();
const snapshot = { tenantId: "t-1" };
const permanent: StepError = { provider: "tencent-im", code: "10004", message: "bad param", httpStatus: 200, errorClass: "permanent" };
const conflict: StepError = { ...permanent, code: "10021", errorClass: "conflict" };
const transient: StepError = { provider: "sls", code: "ServerBusy", message: "busy", httpStatus: 503, errorClass: "transient" };

async function claimed(store: OutcomeStore, owner = "w", generation = 1): Promise<StepRecord> {
  const claim = await store.claimStep("t-1", "im-group", { owner, leaseMs: 60_000, generation });
  if (!claim.claimed) throw new Error(`expected ${owner} to claim, got ${claim.reason}`);
  return claim.record;
}

/** A DynamoDB error that is not a failed condition (throttling), on every UpdateCommand. */
function throttledUpdates(docClient: DynamoDBDocumentClient): DynamoDBDocumentClient {
  return {
    send: (command: object) =>
      command instanceof UpdateCommand
        ? Promise.reject(
            new DynamoDBServiceException({ name: "ProvisionedThroughputExceededException", $fault: "client", $metadata: {}, message: "slow down" }),
          )
        : docClient.send(command as never),
  } as unknown as DynamoDBDocumentClient;
}

describe("completeStep input", () => {
  it("names the record's status and lease owner when the record is not a claim, under completeStep", async () => {
    const { store } = await newTable();
    const [pending] = await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    if (!pending) throw new Error("no record");

    const refused = await store.completeStep(pending, { status: "SUCCEEDED", resource: {} }).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(/^completeStep: invalid input: /);
    expect((refused as ValidationError).issues).toEqual([
      { field: "record.status", rule: "IN_PROGRESS (a claimed record)" },
      { field: "record.leaseOwner", rule: "present (a claimed record)" },
    ]);
    const mine = await claimed(store);
    await expect(store.completeStep({ ...mine, leaseOwner: undefined }, { status: "SUCCEEDED", resource: {} })).rejects.toMatchObject({
      issues: [{ field: "record.leaseOwner" }],
    });
    await expect(store.completeStep({ ...mine, tenantId: "bad id!", step: "Bad!" as "im-group" }, { status: "SUCCEEDED", resource: {} })).rejects.toMatchObject({
      issues: [{ field: "record.tenantId" }, { field: "record.step" }],
    });
  });
});

describe("completeStep writes", () => {
  it.each([
    ["FAILED_PERMANENT", { status: "FAILED_PERMANENT", error: permanent }, true],
    ["CONFLICT", { status: "CONFLICT", error: conflict, resource: { groupId: "g" } }, true],
    ["FAILED_RETRYABLE", { status: "FAILED_RETRYABLE", error: transient }, false],
    ["SUCCEEDED", { status: "SUCCEEDED", resource: { groupId: "g" } }, false],
    ["DELETED", { status: "DELETED" }, false],
  ] as const)("%s: listed by listFailures exactly when the outcome is final and bad; a new claim takes it off", async (_status, result, listed) => {
    const { store } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    await store.completeStep(await claimed(store), result as StepResult);

    expect((await store.listFailures({ limit: 10 })).map((record) => record.tenantId)).toEqual(listed ? ["t-1"] : []);
    if (listed) {
      await claimed(store, "w2", 2);
      expect(await store.listFailures({ limit: 10 })).toEqual([]);
    }
  });

  it("DELETED records the removal time and keeps the resource ids; provisioning again clears the removal time", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const created = await store.completeStep(await claimed(store), { status: "SUCCEEDED", resource: { groupId: "g" } });
    expect(created.deletedAt).toBeUndefined();

    clock.advance(5_000);
    const removedAt = new Date(clock.now()).toISOString();
    const removed = await store.completeStep(await claimed(store, "w", 2), { status: "DELETED" });
    expect(removed).toMatchObject({ status: "DELETED", deletedAt: removedAt, resource: { groupId: "g" } });
    expect((await store.listUnfinished({ limit: 10 })).items).toEqual([]);

    const again = await store.completeStep(await claimed(store, "w", 3), { status: "SUCCEEDED", resource: { groupId: "g2" } });
    expect(again).toMatchObject({ status: "SUCCEEDED", resource: { groupId: "g2" } });
    expect(again.deletedAt).toBeUndefined();
  });

  it("a retryable failure keeps the recorded resource ids and records the plan hash it was given", async () => {
    const { store } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const pinned = await store.pinResource(await claimed(store), { groupId: "g" });

    const failed = await store.completeStep(pinned, { status: "FAILED_RETRYABLE", error: transient }, { planHash: "h-1" });

    expect(failed).toMatchObject({ status: "FAILED_RETRYABLE", resource: { groupId: "g" }, planHash: "h-1" });
    const withoutHash = await store.completeStep(await claimed(store, "w2"), { status: "SUCCEEDED", resource: {} });
    expect(withoutHash.planHash).toBe("h-1");
  });
});

describe("a finished step and a newer generation", () => {
  it.each([
    ["SUCCEEDED", { status: "SUCCEEDED", resource: { groupId: "g" } }],
    ["FAILED_PERMANENT", { status: "FAILED_PERMANENT", error: permanent }],
    ["CONFLICT", { status: "CONFLICT", error: conflict }],
    ["DELETED", { status: "DELETED" }],
  ] as const)("%s at generation 1 is finished for generation 1 and claimable for generation 2", async (_status, result) => {
    const { store } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    await store.completeStep(await claimed(store), result as StepResult);

    expect(await store.claimStep("t-1", "im-group", { owner: "w2", leaseMs: 60_000, generation: 1 })).toMatchObject({ claimed: false, reason: "finished" });
    expect(await claimed(store, "w2", 2)).toMatchObject({ status: "IN_PROGRESS", observedGeneration: 2, attempts: 2 });
  });

  it("an item written before generations existed (no observedGeneration) is generation 1's: finished for it, claimable for generation 2", async () => {
    const { store, docClient, tableName } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", []);
    const now = new Date().toISOString();
    await docClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...stepKey("t-1", "im-group"), tenantId: "t-1", step: "im-group", status: "SUCCEEDED", attempts: 1, resource: { groupId: "g" }, version: 3, createdAt: now, updatedAt: now },
      }),
    );

    expect(await store.claimStep("t-1", "im-group", { owner: "w", leaseMs: 60_000 })).toMatchObject({ claimed: false, reason: "finished" });
    expect(await claimed(store, "w", 2)).toMatchObject({ observedGeneration: 2, attempts: 2, resource: { groupId: "g" } });
  });
});

describe("errors that are not a lost race", () => {
  it("reach the caller of claimStep and completeStep unchanged (no retry loop, no LeaseLostError)", async () => {
    const { store, docClient, tableName } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const mine = await claimed(store);
    const throttled = new OutcomeStore({ tableName, client: throttledUpdates(docClient) });

    await expect(throttled.claimStep("t-1", "im-group", { owner: "other", leaseMs: 60_000 })).rejects.toMatchObject({
      name: "ProvisionedThroughputExceededException",
    });
    await expect(throttled.completeStep(mine, { status: "SUCCEEDED", resource: {} })).rejects.toMatchObject({
      name: "ProvisionedThroughputExceededException",
    });
    expect((await store.getTenant("t-1")).steps[0]).toEqual(mine);
  });
});
