/**
 * The tenant item's owed announcements (settled generations superseded before their outcome
 * event went out), at the store: kept only while the announcement state is as the declaring
 * caller read it, bounded in number (and so in bytes: dynalite does not enforce DynamoDB's 400 KB
 * item limit, so the size is computed by DynamoDB's rules), and refused when malformed on read.
 */
import { GetCommand, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { MAX_OWED_ANNOUNCEMENTS } from "../../../src/outcomes/constants.ts";
import { MalformedOutcomeItemError } from "../../../src/outcomes/errors.ts";
import { tenantKey } from "../../../src/outcomes/keys.ts";
import type { OwedAnnouncement, TenantItem } from "../../../src/outcomes/types.ts";
import { reportDroppedAnnouncement } from "../../../src/provisioning/announce.ts";
import { DYNAMODB_MAX_ITEM_BYTES, dynamoItemBytes } from "../../support/dynamodb-item-size.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();

/** A TenantProvisioningFailed announcement as large as a stored step error allows (1000 four-byte characters). */
function largest(generation: number): OwedAnnouncement {
  return {
    generation,
    outcome: "TenantProvisioningFailed",
    occurredAt: "2026-11-30T00:00:00.000Z",
    failure: { step: "im-group", status: "CONFLICT", code: "GroupConflict", provider: "tencent-im", requestId: "r".repeat(64), message: "😀".repeat(1000) },
    steps: [
      { step: "sls-consumer-group", status: "SUCCEEDED", resource: { project: "p".repeat(63), logstore: "l".repeat(63), consumerGroup: "c".repeat(128) } },
      { step: "im-group", status: "CONFLICT", resource: { groupId: "g".repeat(48) } },
    ],
  };
}

async function tenantAt(store: Awaited<ReturnType<typeof newTable>>["store"], id: string): Promise<TenantItem> {
  const { tenant } = await store.getTenant(id);
  if (!tenant) throw new Error("no tenant");
  return tenant;
}

describe("owed announcements on the tenant item", () => {
  it(`keep at most ${MAX_OWED_ANNOUNCEMENTS}: one more drops the oldest, and the item stays far below DynamoDB's item limit`, async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    await store.putNewTenant("t-owed", { tenantId: "t-owed" }, "webhook");
    for (let generation = 1; generation <= MAX_OWED_ANNOUNCEMENTS + 2; generation++) {
      const asRead = await tenantAt(store, "t-owed");
      clock.advance(1_000);
      const next = await store.changeDesired("t-owed", generation, { desired: "PRESENT", source: "webhook", owe: { announcement: largest(generation), asRead } });
      expect(next?.generation).toBe(generation + 1);
    }
    const tenant = await tenantAt(store, "t-owed");
    expect(tenant.owedAnnouncements?.map((o) => o.generation)).toEqual(Array.from({ length: MAX_OWED_ANNOUNCEMENTS }, (_, i) => i + 3));
    expect(tenant.owedAnnouncements?.[0]).toEqual(largest(3));
    const raw = (await docClient.send(new GetCommand({ TableName: tableName, Key: tenantKey("t-owed") }))).Item ?? {};
    expect(dynamoItemBytes(raw)).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES / 4);
  });

  it("are kept only while the announcement is as the caller read it (claimed or published meanwhile: decide again)", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-race", { tenantId: "t-race" }, "webhook");
    const asRead = await tenantAt(store, "t-race");
    // Another run claims generation 1's announcement after the caller read the item.
    expect(await store.claimAnnouncement("t-race", 1, "TenantProvisioned", 60_000)).toBe(true);
    expect(await store.changeDesired("t-race", 1, { desired: "ABSENT", source: "api", owe: { announcement: largest(1), asRead } })).toBeUndefined();
    // Read again (claimed, publishing): owed, keeping the claim's due time (the claimer may still publish).
    const claimed = await tenantAt(store, "t-race");
    const next = await store.changeDesired("t-race", 1, { desired: "ABSENT", source: "api", owe: { announcement: largest(1), asRead: claimed } });
    expect([next?.generation, next?.indexDueAt, next?.owedAnnouncements?.map((o) => o.generation)]).toEqual([2, claimed.indexDueAt, [1]]);
    // Published by its claimer: no longer owed, and due now for generation 2.
    expect(await store.finishAnnouncement("t-race", 1)).toBe(true);
    const after = await tenantAt(store, "t-race");
    expect([after.owedAnnouncements, after.indexDueAt]).toEqual([[], new Date(clock.now()).toISOString()]);
    // The current generation is claimable once nothing is owed.
    expect(await store.claimAnnouncement("t-race", 2, "TenantDeprovisioned", 60_000)).toBe(true);
  });

  it("claims go oldest first: never the current generation while one is owed, never an owed one over an older one the caller did not see", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.putNewTenant("t-order", { tenantId: "t-order" }, "webhook");
    for (const generation of [1, 2]) {
      const asRead = await tenantAt(store, "t-order");
      await store.changeDesired("t-order", generation, { desired: "PRESENT", source: "webhook", owe: { announcement: largest(generation), asRead } });
    }
    expect(await store.claimAnnouncement("t-order", 3, "TenantProvisioned", 60_000)).toBe(false);
    expect(await store.claimAnnouncement("t-order", 2, "TenantProvisioningFailed", 60_000, undefined, 1)).toBe(false);
    expect(await store.claimAnnouncement("t-order", 1, "TenantProvisioningFailed", 60_000, undefined, 2)).toBe(true);
  });

  it("are owed by a settling run only for the generation just superseded, once, and not once claimed", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.putNewTenant("t-late", { tenantId: "t-late" }, "webhook");
    expect(await store.oweAnnouncement("t-late", largest(1))).toBe(false); // generation 1 is current
    await store.changeDesired("t-late", 1, { desired: "PRESENT", source: "webhook" });
    expect((await tenantAt(store, "t-late")).owedAnnouncements).toEqual([]);
    expect(await store.oweAnnouncement("t-late", largest(1))).toBe(true);
    expect(await store.oweAnnouncement("t-late", largest(1))).toBe(false);
    await store.changeDesired("t-late", 2, { desired: "PRESENT", source: "webhook" });
    await store.changeDesired("t-late", 3, { desired: "PRESENT", source: "webhook" });
    expect(await store.oweAnnouncement("t-late", largest(2))).toBe(false); // two generations on
  });

  it("that are malformed are refused on read, naming the generation and the field", async () => {
    const { store, docClient, tableName } = await newTable();
    await store.putNewTenant("t-bad", { tenantId: "t-bad" }, "webhook");
    await docClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: tenantKey("t-bad"),
        UpdateExpression: "SET #o = :o",
        ExpressionAttributeNames: { "#o": "owedAnnouncements" },
        ExpressionAttributeValues: { ":o": { "2": JSON.stringify({ ...largest(2), outcome: "TenantExploded" }) } },
      }),
    );
    const read = store.getTenant("t-bad");
    await expect(read).rejects.toBeInstanceOf(MalformedOutcomeItemError);
    await expect(read).rejects.toThrow(/owedAnnouncements\.2\.outcome/);
  });

  it("dropped to stay bounded are logged as given up (the announcements-undelivered alarm's line)", () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (message: string, fields?: Record<string, unknown>) => void lines.push({ message, fields: fields ?? {} }) };
    const tenant = { tenantId: "t-1" } as TenantItem;
    reportDroppedAnnouncement({ tenant }, logger);
    expect(lines).toEqual([]);
    reportDroppedAnnouncement({ tenant, droppedAnnouncement: largest(4) }, logger);
    expect(lines).toEqual([{ message: "outcome announcement gave up", fields: expect.objectContaining({ tenantId: "t-1", generation: 4, code: "OwedAnnouncementsFull" }) }]);
  });
});
