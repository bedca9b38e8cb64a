/** The logstore registry on dynalite: slots are counted by conditional writes, never past capacity. */
import { watchCommands } from "../../support/watch-commands.ts";
import { describe, expect, it } from "vitest";
import { LogstoreRegistry, LogstoresExhaustedError } from "../../../src/logstores/index.ts";
import { MAX_LOGSTORE_CAPACITY } from "../../../src/logstores/registry.ts";
import { GetCommand, PutCommand } from "../../../src/aws/dynamodb/index.ts";
import { MalformedOutcomeItemError } from "../../../src/outcomes/errors.ts";
import { logstoreKey } from "../../../src/outcomes/table-map.ts";
import { DYNAMODB_MAX_ITEM_BYTES, dynamoItemBytes } from "../../support/dynamodb-item-size.ts";
import { ValidationError } from "../../../src/errors.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

async function registryOn(options: Pick<ConstructorParameters<typeof LogstoreRegistry>[0], "seed"> = {}) {
  const { docClient, tableName } = await newTable();
  const make = (extra: Partial<ConstructorParameters<typeof LogstoreRegistry>[0]> = {}) => new LogstoreRegistry({ client: docClient, tableName, ...options, ...extra });
  return { registry: make(), make, docClient, tableName };
}

const byName = (entries: { name: string; assigned: number; full: boolean }[]) => Object.fromEntries(entries.map((e) => [e.name, { assigned: e.assigned, full: e.full }]));

describe("LogstoreRegistry", () => {
  it("adds logstores once (capacity 30 by default), lists them with their counts", async () => {
    const { registry } = await registryOn();
    expect(await registry.add([{ name: "events-a" }, { name: "events-b", capacity: 2 }])).toEqual({ added: expect.arrayContaining(["events-a", "events-b"]), existing: [] });
    expect(await registry.add([{ name: "events-a", capacity: 5 }])).toEqual({ added: [], existing: ["events-a"] });
    const listed = await registry.list({ fresh: true });
    expect(listed.map((e) => [e.name, e.capacity, e.assigned, e.full]).sort()).toEqual([
      ["events-a", 30, 0, false],
      ["events-b", 2, 0, false],
    ]);
  });

  it("a take asks for nothing back (the ledger stays in the table), and the cached counts follow the takes: a logstore it filled is not tried again", async () => {
    const { make, docClient } = await registryOn();
    const requests: { command: string; returnValues: unknown }[] = [];
    watchCommands(docClient, (command) => requests.push({ command: command.commandName, returnValues: command.input["ReturnValues"] }));
    // Always the first logstore with room, so the cache alone decides where the second goes.
    const registry = make({ random: () => 0 });
    await registry.add([{ name: "events-a", capacity: 1 }, { name: "events-b", capacity: 1 }]);
    await registry.list({ fresh: true });
    requests.length = 0;
    const first = await registry.assign("t-1");
    const second = await registry.assign("t-2");
    expect([first, second].sort()).toEqual(["events-a", "events-b"]);
    // One conditional take each, neither refused, and neither answered with the item.
    expect(requests).toEqual([
      { command: "UpdateItemCommand", returnValues: "NONE" },
      { command: "UpdateItemCommand", returnValues: "NONE" },
    ]);
    expect(byName(await registry.list())).toEqual({ "events-a": { assigned: 1, full: false }, "events-b": { assigned: 1, full: false } });
  });

  it("a registry item it did not write (no capacity) is a MalformedOutcomeItemError naming its key and field, not its values", async () => {
    const { registry, docClient, tableName } = await registryOn();
    await docClient.send(new PutCommand({ TableName: tableName, Item: { ...logstoreKey("by-hand"), name: "by-hand", assigned: "SENTINEL" } }));
    const listed = registry.list({ fresh: true });
    await expect(listed).rejects.toBeInstanceOf(MalformedOutcomeItemError);
    await expect(listed).rejects.toMatchObject({ pk: "LOGSTORE", sk: "LOGSTORE#by-hand", message: expect.stringContaining("capacity: must be a number; assigned: must be a number") });
    await expect(listed).rejects.not.toThrow(/SENTINEL/);
  });

  it("refuses bad names and capacities, naming the field and the rule, and writes nothing", async () => {
    const { registry } = await registryOn();
    const attempt = registry.add([{ name: "ok-store" }, { name: "Bad Name" }, { name: "other", capacity: 0 }]);
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toThrow(/logstores\.1\.name: .*logstores\.2\.capacity: an integer 1-1000/);
    expect(await registry.list({ fresh: true })).toEqual([]);
  });

  it("a logstore at the largest capacity, its ledger full of the longest tenant ids, stays far under DynamoDB's item limit", async () => {
    // dynalite takes items of any size; DynamoDB refuses one over 400 KB, so every slot taken
    // after that point would fail. The bench once registered logstores of 10,000 (~400 KB).
    const { registry, docClient, tableName } = await registryOn();
    await expect(registry.add([{ name: "too-big", capacity: MAX_LOGSTORE_CAPACITY + 1 }])).rejects.toBeInstanceOf(ValidationError);
    const tenants = Array.from({ length: MAX_LOGSTORE_CAPACITY }, (_, i) => `t${String(i).padStart(35, "0")}`);
    await registry.add([{ name: "full-ledger", capacity: MAX_LOGSTORE_CAPACITY, tenants }]);
    const { Item } = await docClient.send(new GetCommand({ TableName: tableName, Key: logstoreKey("full-ledger") }));
    expect(Item?.["tenants"]).toBeDefined();
    expect(dynamoItemBytes(Item ?? {})).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES / 4);
  });

  it("a slot is taken once per tenant: taking again is held, releasing twice frees once", async () => {
    const { registry } = await registryOn();
    await registry.add([{ name: "events-a", capacity: 3 }]);
    expect(await registry.take("events-a", "t-1")).toBe("taken");
    expect(await registry.take("events-a", "t-1")).toBe("held");
    expect(await registry.holderOf("t-1")).toBe("events-a");
    expect(await registry.holderOf("t-2")).toBeUndefined();
    expect(await registry.release("events-a", "t-1")).toBe(true);
    expect(await registry.release("events-a", "t-1")).toBe(false);
    expect(byName(await registry.list({ fresh: true }))).toEqual({ "events-a": { assigned: 0, full: false } });
    expect(await registry.take("events-unknown", "t-1")).toBe("no-room");
  });

  it("concurrent assigners from several processes never pass a capacity; the rest get LogstoresExhausted", async () => {
    const { make } = await registryOn();
    const processes = [make(), make(), make(), make()];
    await processes[0]!.add([{ name: "events-a", capacity: 5 }, { name: "events-b", capacity: 5 }, { name: "events-c", capacity: 5 }]);
    const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => processes[i % 4]!.assign(`t-${i}`)));
    const placed = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    expect(placed).toHaveLength(15);
    expect(refused).toHaveLength(9);
    for (const error of refused) expect(error).toBeInstanceOf(LogstoresExhaustedError);
    expect(refused[0]).toMatchObject({ code: "LogstoresExhausted", errorClass: "transient", logstores: 3 });
    const counts = byName(await processes[1]!.list({ fresh: true }));
    expect(counts).toEqual({ "events-a": { assigned: 5, full: false }, "events-b": { assigned: 5, full: false }, "events-c": { assigned: 5, full: false } });
    for (const name of ["events-a", "events-b", "events-c"]) expect(placed.filter((p) => p === name)).toHaveLength(5);
  });

  it("a logstore marked full gets no assignment until a slot in it is released", async () => {
    const { registry } = await registryOn();
    await registry.add([{ name: "events-a" }, { name: "events-b" }]);
    await registry.markFull("events-a");
    for (let i = 0; i < 5; i++) expect(await registry.assign(`t-${i}`)).toBe("events-b");
    expect(await registry.assign("t-x", { prefer: "events-a" })).toBe("events-b");
    await registry.add([{ name: "events-c", tenants: ["old-1"], existingGroups: 4 }]);
    expect(byName(await registry.list({ fresh: true }))["events-c"]).toEqual({ assigned: 4, full: false });
    await registry.markFull("events-c");
    expect(await registry.release("events-c", "old-1")).toBe(true);
    expect(byName(await registry.list({ fresh: true }))["events-c"]).toEqual({ assigned: 3, full: false });
  });

  it("the cached list is reused within its age and re-read after it; an empty registry is seeded once", async () => {
    const clock = new FakeClock(Date.parse("2026-11-30T00:00:00Z"));
    let seeded = 0;
    const { registry, make } = await registryOn({ seed: async () => (seeded++, [{ name: "events-s", tenants: ["t-old"], existingGroups: 2 }]) });
    const cached = make({ clock, cacheMs: 1_000 });
    expect((await Promise.all([cached.list(), cached.list()])).map((l) => l.map((e) => e.name))).toEqual([["events-s"], ["events-s"]]);
    expect(seeded).toBe(1);
    expect(await registry.holderOf("t-old")).toBe("events-s");
    await registry.add([{ name: "events-t" }]);
    expect((await cached.list()).map((e) => e.name)).toEqual(["events-s"]);
    clock.advance(1_000);
    expect((await cached.list()).map((e) => e.name).sort()).toEqual(["events-s", "events-t"]);
    expect(seeded).toBe(1);
  });
});
