/**
 * What DynamoDB would do differently from dynalite, checked on the requests themselves: the store
 * reads its own writes strongly consistent (dynalite is always consistent, DynamoDB is not unless
 * asked). And two limits a page and a stored failure keep.
 */
import { watchCommands } from "../../support/watch-commands.ts";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

describe("reads after writes", () => {
  it("getTenant and the re-read after a refused claim ask for a strongly consistent read", async () => {
    const { store, docClient } = await newTable({ clock: new FakeClock() });
    const reads: { command: string; consistent: unknown }[] = [];
    const stopWatching = watchCommands(docClient, ({ commandName, input }) => {
      if (commandName === "GetItemCommand" || commandName === "QueryCommand") reads.push({ command: commandName, consistent: input["ConsistentRead"] });
    });
    try {
      await store.registerTenant("t-1", {}, "webhook", ["im-group"]);
      reads.length = 0;
      await store.getTenant("t-1");
      expect(await store.claimStep("t-1", "im-group", { owner: "a", leaseMs: 60_000 })).toMatchObject({ claimed: true });
      expect(await store.claimStep("t-1", "im-group", { owner: "b", leaseMs: 60_000 })).toMatchObject({ claimed: false, reason: "leased" });
      expect(reads.map((r) => r.command)).toEqual(expect.arrayContaining(["QueryCommand", "GetItemCommand"]));
      expect(reads.filter((r) => r.consistent !== true)).toEqual([]);
    } finally {
      stopWatching();
    }
  });
});

describe("listUnfinished", () => {
  it("returns at most `limit` entries counting tenants and steps together, and the rest on the next page", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock, shards: 4 });
    const ids = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"];
    // Each registered tenant is in the index (its generation not yet announced), and so is each
    // pending step; spread over shards, so a page is filled from more than one query.
    for (const tenantId of ids) await store.registerTenant(tenantId, {}, "webhook", ["im-group", "sls-consumer-group"]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listUnfinished({ limit: 4, ...(cursor ? { cursor } : {}) });
      expect(page.items.length + page.tenants.length).toBeLessThanOrEqual(4);
      seen.push(...page.tenants.map((t) => `tenant:${t}`), ...page.items.map((s) => `${s.tenantId}:${s.step}`));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(
      ids.flatMap((t) => [`tenant:${t}`, `${t}:im-group`, `${t}:sls-consumer-group`]).sort(),
    );
    const first = await store.listUnfinished({ limit: 4 });
    expect(first.items.length + first.tenants.length).toBe(4);
    expect(first.tenants.length).toBeGreaterThan(0);
  });
});

describe("recordAnnouncementFailure", () => {
  it("keeps the first 200 characters of a code and the first 500 of a message", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-a", {}, "webhook");
    expect(await store.claimAnnouncement("t-a", 1, "TenantProvisioned", 60_000)).toBe(true);
    const code = `C${"x".repeat(300)}`;
    const message = `M${"y".repeat(900)}`;
    expect(await store.recordAnnouncementFailure("t-a", 1, { attempts: 1, code, message })).toBe(true);
    const failure = (await store.getTenant("t-a")).tenant?.announceFailure;
    expect(failure?.code).toBe(code.slice(0, 200));
    expect(failure?.message).toBe(message.slice(0, 500));
  });
});

describe("registerTenant, seen before or at once", () => {
  it("writes nothing for a tenant it already has every step of (one read, no write)", async () => {
    const { store, docClient } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", {}, "webhook", ["im-group", "sls-consumer-group"]);
    const writes: string[] = [];
    const stopWatching = watchCommands(docClient, ({ commandName }) => {
      if (/^(Put|Update|Delete)/.test(commandName)) writes.push(commandName);
    });
    try {
      const again = await store.registerTenant("t-1", {}, "webhook", ["sls-consumer-group", "im-group", "im-group"]);
      expect(again.map((s) => s.step)).toEqual(["sls-consumer-group", "im-group"]);
      expect(writes).toEqual([]);
    } finally {
      stopWatching();
    }
  });

  it("two registrations of a new tenant at once both answer with every step, as stored", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    const [a, b] = await Promise.all([0, 1].map(() => store.registerTenant("t-race", {}, "webhook", ["im-group", "sls-consumer-group"])));
    expect(a?.map((s) => s.step)).toEqual(["im-group", "sls-consumer-group"]);
    expect(b).toEqual(a);
    expect(b).toEqual((await store.getTenant("t-race")).steps.sort((x, y) => (x.step === "im-group" ? -1 : y.step === "im-group" ? 1 : 0)));
  });

  it("adds a step missing from a tenant at its current generation", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", {}, "webhook", ["im-group"]);
    await store.changeDesired("t-1", 1, { desired: "PRESENT", source: "webhook", snapshot: { v: 2 } });
    const steps = await store.registerTenant("t-1", {}, "webhook", ["im-group", "sls-consumer-group"]);
    expect(steps.map((s) => [s.step, s.observedGeneration])).toEqual([
      ["im-group", 1],
      ["sls-consumer-group", 2],
    ]);
  });
});
