/**
 * The table map is the one description of the table's items: README shows exactly it, and every
 * writer writes the keys it builds (checked on dynalite by reading back what each writer wrote).
 */
import { readFileSync } from "node:fs";
import { GetCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { BackfillPositionStore } from "../../../src/backfill/cursor-store.ts";
import { LogstoreRegistry } from "../../../src/logstores/index.ts";
import { BACKFILL_POSITION_KEY, kindOfKey, logstoreKey, rejectionKey, stepKey, TABLE_ITEMS, tenantKey, webhookIdKey } from "../../../src/outcomes/table-map.ts";
import { RejectionStore } from "../../../src/rejections/rejection-store.ts";
import { WebhookReplayGuard } from "../../../src/webhook/replay-guard.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

describe("the outcome table map", () => {
  it("README's table of items lists exactly the map's kinds, keys, index keys, TTL and writers", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const lines = readme.slice(readme.indexOf("## The outcome table")).split("\n");
    const header = lines.findIndex((line) => line.startsWith("| item"));
    const end = lines.findIndex((line, i) => i > header && !line.startsWith("|"));
    const rows = lines
      .slice(header + 2, end)
      .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim().replace(/^`|`$/g, "")));
    expect(rows).toEqual(TABLE_ITEMS.map((i) => [i.kind, i.pk, i.sk, i.indexKeys, i.ttl, i.writers]));
  });

  it("every writer writes the key the map builds, and each key maps back to its kind", async () => {
    const { store, docClient, tableName } = await newTable();
    const read = async (key: { pk: string; sk: string }) => (await docClient.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

    await store.registerTenant("t-map", { tenantId: "t-map" }, "webhook", ["im-group"]);
    await new RejectionStore(docClient, tableName).record({ channel: "sqs", messageId: "m-1", issues: [], body: "{}" });
    await new WebhookReplayGuard(docClient, tableName).remember("msg_map", Buffer.from("{}"));
    await new BackfillPositionStore(docClient, tableName).save({ dueBefore: "2026-11-30T00:00:00.000Z" });
    const registry = new LogstoreRegistry({ client: docClient, tableName });
    await registry.add([{ name: "events-map" }]);
    await registry.take("events-map", "t-map");

    const keys = { tenant: tenantKey("t-map"), step: stepKey("t-map", "im-group"), rejection: rejectionKey("sqs", "m-1"), "webhook id": webhookIdKey("msg_map"), "backfill position": BACKFILL_POSITION_KEY, logstore: logstoreKey("events-map") };
    for (const [kind, key] of Object.entries(keys)) {
      expect(await read(key), kind).toBeDefined();
      expect(kindOfKey(key)).toBe(kind);
    }
    expect(Object.keys(keys).sort()).toEqual(TABLE_ITEMS.map((i) => i.kind).sort());
    expect(kindOfKey({ pk: "SOMETHING", sk: "ELSE" })).toBeUndefined();
    expect(kindOfKey({ pk: "LOGSTORE", sk: "ELSE" })).toBeUndefined();
    // The registry's item is the one the map names, with the slot taken.
    expect(await read(logstoreKey("events-map"))).toMatchObject({ name: "events-map", capacity: 30, assigned: 1, tenants: new Set(["t-map"]) });
    // The replay guard's item carries the TTL attribute the map names.
    expect((await read(webhookIdKey("msg_map")))?.["expiresAt"]).toEqual(expect.any(Number));
  });
});
