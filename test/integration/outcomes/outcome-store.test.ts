import { GetCommand, PutCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { shardOf } from "../../../src/outcomes/keys.ts";
import {
  LeaseLostError,
  MalformedOutcomeItemError,
  STEP_NAMES,
  type StepError,
  type StepRecord,
} from "../../../src/outcomes/index.ts";
import { TENANT_ID_RULE } from "../../../src/validation/tenant-id.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

const BOTH = [...STEP_NAMES];
const snapshot = { tenantId: "t-1", admin: { userId: "u-1", nick: "Ann" }, tags: ["a", 1, null, true] };

function transient(code = "InternalServerError"): StepError {
  return { provider: "sls", code, message: "server busy", httpStatus: 500, requestId: "req-1", errorClass: "transient" };
}

function permanent(): StepError {
  return { provider: "tencent-im", code: "10004", message: "bad param", httpStatus: 200, errorClass: "permanent" };
}

function iso(clock: FakeClock, plusMs = 0): string {
  return new Date(clock.now() + plusMs).toISOString();
}

async function claimOrFail(
  store: Awaited<ReturnType<typeof newTable>>["store"],
  tenantId: string,
  step: (typeof STEP_NAMES)[number],
  owner: string,
  leaseMs = 60_000,
): Promise<StepRecord> {
  const claim = await store.claimStep(tenantId, step, { owner, leaseMs });
  if (!claim.claimed) throw new Error(`expected ${owner} to claim ${tenantId}/${step}, got ${claim.reason}`);
  return claim.record;
}

describe("registerTenant", () => {
  it("creates the tenant item with its snapshot and one PENDING item per step", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });

    const steps = await store.registerTenant("t-1", snapshot, "webhook", BOTH);

    expect(steps.map((s) => [s.step, s.status, s.attempts, s.version])).toEqual([
      ["sls-consumer-group", "PENDING", 0, 1],
      ["im-group", "PENDING", 0, 1],
    ]);
    const { tenant } = await store.getTenant("t-1");
    expect(tenant).toEqual({
      tenantId: "t-1",
      snapshot,
      source: "webhook",
      generation: 1,
      desired: "PRESENT",
      createdAt: iso(clock),
      updatedAt: iso(clock),
      // In the unfinished index until generation 1 is settled and announced.
      indexDueAt: iso(clock),
    });
  });

  it("is idempotent: a second registration resets nothing", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "signup-event", BOTH);
    const claimed = await claimOrFail(store, "t-1", "sls-consumer-group", "w1");
    const done = await store.completeStep(claimed, { status: "SUCCEEDED", resource: { consumerGroup: "tp-t-1" } });
    clock.advance(5_000);

    const again = await store.registerTenant("t-1", { other: "request" }, "webhook", BOTH);

    expect(again.find((s) => s.step === "sls-consumer-group")).toEqual(done);
    expect(again.find((s) => s.step === "im-group")?.status).toBe("PENDING");
    const { tenant } = await store.getTenant("t-1");
    expect(tenant?.snapshot).toEqual(snapshot);
    expect(tenant?.source).toBe("signup-event");
  });

  it("registers only the steps asked for, and a later call can add a step", async () => {
    const { store } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    expect((await store.getTenant("t-1")).steps.map((s) => s.step)).toEqual(["im-group"]);
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    expect((await store.getTenant("t-1")).steps.map((s) => s.step)).toEqual(["im-group", "sls-consumer-group"]);
  });

  it("rejects bad input before writing anything", async () => {
    const { store } = await newTable();
    const bad = store.registerTenant("", snapshot, "webhook", ["DNS!"]);
    await expect(bad).rejects.toBeInstanceOf(ValidationError);
    await expect(bad).rejects.toMatchObject({
      issues: [
        { field: "tenantId", rule: TENANT_ID_RULE },
        { field: "steps.0", rule: "1-64 of a-z 0-9 -, starting with a letter or digit" },
      ],
    });
  });
});

describe("the tenant id rule", () => {
  it("is the edge's rule: the store refuses an id the webhook would refuse", async () => {
    const { store } = await newTable();
    for (const id of ["x".repeat(37), "bad id!", "-leading-dash"]) {
      await expect(store.registerTenant(id, snapshot, "webhook", BOTH)).rejects.toMatchObject({ issues: [{ field: "tenantId", rule: TENANT_ID_RULE }] });
      await expect(store.getTenant(id)).rejects.toBeInstanceOf(ValidationError);
    }
    await store.registerTenant("x".repeat(36), snapshot, "webhook", BOTH);
  });

  it("an id stored under the old 256-character rule still reads in listings", async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const legacy = `legacy-${"l".repeat(60)}`;
    for (const step of BOTH) {
      const { Item } = await docClient.send(new GetCommand({ TableName: tableName, Key: { pk: "TENANT#t-1", sk: `STEP#${step}` } }));
      const copy = JSON.parse(JSON.stringify(Item).replaceAll('"TENANT#t-1"', `"TENANT#${legacy}"`).replaceAll('"t-1"', `"${legacy}"`));
      await docClient.send(new PutCommand({ TableName: tableName, Item: copy }));
    }
    clock.advance(1);
    const page = await store.listUnfinished({ limit: 100, dueBefore: iso(clock) });
    expect(page.items.map((s) => `${s.tenantId}/${s.step}`)).toEqual(expect.arrayContaining(BOTH.map((step) => `${legacy}/${step}`)));
  });
});

describe("claimStep and completeStep", () => {
  it("claims a PENDING step and completes it as SUCCEEDED", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    clock.advance(1_000);

    const claimed = await claimOrFail(store, "t-1", "im-group", "worker-a", 30_000);
    expect(claimed).toMatchObject({
      status: "IN_PROGRESS",
      leaseOwner: "worker-a",
      leaseExpiresAt: iso(clock, 30_000),
      attempts: 1,
      firstAttemptAt: iso(clock),
      lastAttemptAt: iso(clock),
      version: 2,
    });

    clock.advance(2_000);
    const done = await store.completeStep(claimed, { status: "SUCCEEDED", resource: { groupId: "tp-t-1" } });
    expect(done).toMatchObject({ status: "SUCCEEDED", resource: { groupId: "tp-t-1" }, version: 3, updatedAt: iso(clock) });
    expect(done.leaseOwner).toBeUndefined();
    expect(done.leaseExpiresAt).toBeUndefined();
    expect(done.nextAttemptAt).toBeUndefined();
    expect((await store.getTenant("t-1")).steps.find((s) => s.step === "im-group")).toEqual(done);
  });

  it("refuses a second claim while the lease holds", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    await claimOrFail(store, "t-1", "im-group", "worker-a");

    const second = await store.claimStep("t-1", "im-group", { owner: "worker-b", leaseMs: 60_000 });

    expect(second).toMatchObject({ claimed: false, reason: "leased", record: { leaseOwner: "worker-a", attempts: 1 } });
  });

  it.each([
    ["SUCCEEDED", { status: "SUCCEEDED", resource: { groupId: "g" } }],
    ["FAILED_PERMANENT", { status: "FAILED_PERMANENT", error: permanent() }],
    ["CONFLICT", { status: "CONFLICT", error: { ...permanent(), code: "10021", errorClass: "conflict" } }],
  ] as const)("refuses to claim a step that ended %s", async (status, result) => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    await store.completeStep(await claimOrFail(store, "t-1", "im-group", "worker-a"), result);

    const again = await store.claimStep("t-1", "im-group", { owner: "worker-b", leaseMs: 60_000 });

    expect(again).toMatchObject({ claimed: false, reason: "finished", record: { status } });
  });

  it("creates a step that has no item yet: the claim is the item's first write", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);

    const claim = await store.claimStep("t-1", "sls-consumer-group", { owner: "w", leaseMs: 1_000, generation: 3 });

    expect(claim.claimed).toBe(true);
    const stored = (await store.getTenant("t-1")).steps.find((s) => s.step === "sls-consumer-group");
    expect(stored).toEqual({
      tenantId: "t-1",
      step: "sls-consumer-group",
      status: "IN_PROGRESS",
      attempts: 1,
      version: 1,
      resource: {},
      observedGeneration: 3,
      leaseOwner: "w",
      leaseExpiresAt: iso(clock, 1_000),
      nextAttemptAt: iso(clock, 1_000),
      firstAttemptAt: iso(clock),
      lastAttemptAt: iso(clock),
      createdAt: iso(clock),
      updatedAt: iso(clock),
    });
    // In the unfinished index, due when the lease lapses, like any claim.
    const page = await store.listUnfinished({ limit: 10, dueBefore: iso(clock, 2_000) });
    expect(page.items.find((s) => s.step === "sls-consumer-group")).toMatchObject({ leaseOwner: "w", nextAttemptAt: iso(clock, 1_000) });
  });

  it("gives an absent step to exactly one of two (and of 10) concurrent creating claimers", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    const [a, b] = await Promise.all(["a", "b"].map((owner) => store.claimStep("t-2", "im-group", { owner, leaseMs: 60_000 })));
    expect([a?.claimed, b?.claimed].sort()).toEqual([false, true]);
    const loser = a?.claimed ? b : a;
    expect(loser).toMatchObject({ claimed: false, reason: "leased" });

    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimStep("t-3", "im-group", { owner: `w${i}`, leaseMs: 60_000 })));
    const winners = many.filter((r) => r.claimed);
    expect(winners).toHaveLength(1);
    const stored = (await store.getTenant("t-3")).steps;
    // One item, written once by the winner: no claim overwrote another.
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ attempts: 1, version: 1, leaseOwner: winners[0]?.record?.leaseOwner });
  });

  it("lets another owner take over a lapsed lease; the old owner's completion then fails and changes nothing", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const first = await claimOrFail(store, "t-1", "sls-consumer-group", "worker-a", 10_000);
    clock.advance(10_000);

    const second = await claimOrFail(store, "t-1", "sls-consumer-group", "worker-b", 10_000);
    expect(second).toMatchObject({ leaseOwner: "worker-b", attempts: 2, firstAttemptAt: first.firstAttemptAt });
    const bDone = await store.completeStep(second, { status: "SUCCEEDED", resource: { consumerGroup: "tp-t-1" } });

    const late = store.completeStep(first, { status: "FAILED_RETRYABLE", error: transient() });
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    const lost = await late.catch((e: unknown) => e);
    expect(lost).toMatchObject({ expected: { owner: "worker-a", version: first.version }, current: bDone });

    const now = (await store.getTenant("t-1")).steps.find((s) => s.step === "sls-consumer-group");
    expect(now).toEqual(bDone);
    expect(now?.lastError).toBeUndefined();
  });

  it("refuses a completion from an older claim of the same owner (the version moved on)", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const old = await claimOrFail(store, "t-1", "im-group", "worker-a", 1_000);
    clock.advance(1_000);
    const fresh = await claimOrFail(store, "t-1", "im-group", "worker-a", 1_000);

    await expect(store.completeStep(old, { status: "SUCCEEDED", resource: {} })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.completeStep(fresh, { status: "SUCCEEDED", resource: {} })).resolves.toMatchObject({
      status: "SUCCEEDED",
    });
  });

  it("completes a lapsed claim nobody took over", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const claimed = await claimOrFail(store, "t-1", "im-group", "worker-a", 1_000);
    clock.advance(5_000);
    await expect(store.completeStep(claimed, { status: "SUCCEEDED", resource: {} })).resolves.toMatchObject({
      status: "SUCCEEDED",
    });
  });

  it("gives a step to exactly one of 10 concurrent claimers", async () => {
    const { store } = await newTable({ clock: new FakeClock() });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.claimStep("t-1", "im-group", { owner: `w${i}`, leaseMs: 60_000 })),
    );

    const winners = results.filter((r) => r.claimed);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.claimed && r.reason === "leased")).toHaveLength(9);
    const stored = (await store.getTenant("t-1")).steps.find((s) => s.step === "im-group");
    expect(stored).toMatchObject({ attempts: 1, version: 2, leaseOwner: winners[0]?.record?.leaseOwner });
  });

  it("counts attempts across retries and keeps the last error", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const firstAt = iso(clock);

    const one = await claimOrFail(store, "t-1", "sls-consumer-group", "w1");
    await store.completeStep(one, { status: "FAILED_RETRYABLE", error: transient("ServerBusy") });
    clock.advance(60_000);
    const two = await claimOrFail(store, "t-1", "sls-consumer-group", "w2");
    const long = { ...transient("InternalServerError"), message: "x".repeat(5_000) };
    const failed = await store.completeStep(two, { status: "FAILED_RETRYABLE", error: long });

    expect(failed).toMatchObject({
      status: "FAILED_RETRYABLE",
      attempts: 2,
      firstAttemptAt: firstAt,
      lastAttemptAt: iso(clock),
      nextAttemptAt: iso(clock),
      lastError: { provider: "sls", code: "InternalServerError", httpStatus: 500, requestId: "req-1", errorClass: "transient" },
    });
    expect(failed.lastError?.message).toHaveLength(1_000);

    const three = await claimOrFail(store, "t-1", "sls-consumer-group", "w3");
    const ended = await store.completeStep(three, { status: "FAILED_PERMANENT", error: permanent() });
    expect(ended.attempts).toBe(3);
    expect(ended.lastError).toEqual(permanent());
    expect(ended.lastError).not.toHaveProperty("requestId");
  });

  it("keeps earlier resource ids when a CONFLICT adds its own", async () => {
    const { store } = await newTable();
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    const claimed = await claimOrFail(store, "t-1", "im-group", "w1");
    const ended = await store.completeStep(claimed, {
      status: "CONFLICT",
      error: { ...permanent(), code: "10021", errorClass: "conflict" },
      resource: { groupId: "tp-t-1" },
    });
    expect(ended).toMatchObject({ status: "CONFLICT", resource: { groupId: "tp-t-1" }, lastError: { code: "10021" } });
  });

  it("rejects completing a record that was not claimed, or a malformed retry time", async () => {
    const { store } = await newTable();
    const [pending] = await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    if (!pending) throw new Error("no record");
    await expect(store.completeStep(pending, { status: "SUCCEEDED", resource: {} })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const claimed = await claimOrFail(store, "t-1", "im-group", "w1");
    await expect(
      store.completeStep(claimed, { status: "FAILED_RETRYABLE", error: transient(), nextAttemptAt: "tomorrow" }),
    ).rejects.toMatchObject({ issues: [{ field: "result.nextAttemptAt" }] });
  });
});

describe("the unfinished index", () => {
  it("lists unfinished steps and drops finished ones from the index", async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    await store.registerTenant("t-2", snapshot, "webhook", BOTH);
    const all = await store.listUnfinished({ limit: 100 });
    expect(all.items).toHaveLength(4);
    expect(all.cursor).toBeUndefined();

    await store.completeStep(await claimOrFail(store, "t-1", "im-group", "w"), { status: "SUCCEEDED", resource: {} });
    await store.completeStep(await claimOrFail(store, "t-1", "sls-consumer-group", "w"), {
      status: "FAILED_PERMANENT",
      error: permanent(),
    });
    await store.completeStep(await claimOrFail(store, "t-2", "im-group", "w"), {
      status: "CONFLICT",
      error: permanent(),
    });
    const inProgress = await claimOrFail(store, "t-2", "sls-consumer-group", "w", 30_000);

    const left = await store.listUnfinished({ limit: 100 });
    expect(left.items).toEqual([inProgress]);
    const raw = await docClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: "TENANT#t-1", sk: "STEP#im-group" } }),
    );
    expect(raw.Item).not.toHaveProperty("unfinishedPk");
    expect(raw.Item).not.toHaveProperty("unfinishedSk");

    // A leased step is due only once its lease lapses.
    expect((await store.listUnfinished({ limit: 100, dueBefore: iso(clock) })).items).toEqual([]);
    expect((await store.listUnfinished({ limit: 100, dueBefore: iso(clock, 30_000) })).items).toEqual([inProgress]);
  });

  it("holds back a retryable failure until its next attempt is due", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.registerTenant("t-1", snapshot, "webhook", ["im-group"]);
    const claimed = await claimOrFail(store, "t-1", "im-group", "w");
    const failed = await store.completeStep(claimed, {
      status: "FAILED_RETRYABLE",
      error: transient(),
      nextAttemptAt: iso(clock, 60_000),
    });

    expect((await store.listUnfinished({ limit: 10, dueBefore: iso(clock) })).items).toEqual([]);
    expect((await store.listUnfinished({ limit: 10 })).items).toEqual([failed]);
    clock.advance(60_000);
    expect((await store.listUnfinished({ limit: 10, dueBefore: iso(clock) })).items).toEqual([failed]);
  });

  it("walks every unfinished step exactly once across shards, page by page", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const tenants = Array.from({ length: 13 }, (_, i) => `tenant-${i}`);
    expect(new Set(tenants.map((t) => shardOf(t, 4))).size).toBeGreaterThan(2);
    for (const tenant of tenants) {
      await store.registerTenant(tenant, { tenant }, "backfill-test", BOTH);
      clock.advance(1);
    }
    const dueBefore = iso(clock);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listUnfinished({ limit: 3, cursor, dueBefore });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((s) => `${s.tenantId}/${s.step}`));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 50);

    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect(pages).toBeGreaterThanOrEqual(9);
  });

  it("rejects a cursor it did not make", async () => {
    const { store } = await newTable();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const bad = [
      "not a cursor!",
      Buffer.from("{oops").toString("base64url"),
      encode({ v: 1 }),
      encode({ v: 1, shard: 4 }),
      encode({ v: 1, shard: 1, after: { pk: "a", sk: "b", unfinishedPk: "UNFINISHED#2", unfinishedSk: "c" } }),
      encode({ v: 1, shard: 0, extra: true }),
    ];
    for (const cursor of bad) {
      await expect(store.listUnfinished({ limit: 5, cursor }), cursor).rejects.toMatchObject({
        name: "ValidationError",
        issues: [{ field: "cursor" }],
      });
    }
  });

  it("rejects a limit out of range and a non-ISO dueBefore", async () => {
    const { store } = await newTable();
    await expect(store.listUnfinished({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.listUnfinished({ limit: 5, dueBefore: "2026-11-01" })).rejects.toMatchObject({
      issues: [{ field: "dueBefore" }],
    });
  });
});

describe("getTenant", () => {
  it("returns nothing for an unknown tenant and only its own items for a known one", async () => {
    const { store } = await newTable();
    expect(await store.getTenant("nobody")).toEqual({ tenant: undefined, steps: [] });
    await store.registerTenant("t-1", snapshot, "webhook", BOTH);
    await store.registerTenant("t-10", { other: true }, "webhook", ["im-group"]);

    const { tenant, steps } = await store.getTenant("t-1");
    expect(tenant?.tenantId).toBe("t-1");
    expect(steps.map((s) => `${s.tenantId}/${s.step}`)).toEqual(["t-1/im-group", "t-1/sls-consumer-group"]);
  });

  it("refuses an item the store did not write", async () => {
    const { store, docClient, tableName } = await newTable();
    await docClient.send(
      new PutCommand({ TableName: tableName, Item: { pk: "TENANT#t-9", sk: "STEP#im-group", status: "DONE" } }),
    );
    await expect(store.getTenant("t-9")).rejects.toBeInstanceOf(MalformedOutcomeItemError);
  });
});

describe("the creation lease", () => {
  /** A tenant created by `owner` with a creation lease of `leaseMs`, and that run's unstored first attempt at `step`. */
  async function createdWithLease(store: Awaited<ReturnType<typeof newTable>>["store"], clock: FakeClock, owner: string, step = "im-group", leaseMs = 60_000) {
    const tenant = await store.putNewTenant("t-1", snapshot, "webhook", { lease: { owner, expiresAt: iso(clock, leaseMs) } });
    expect(tenant).toMatchObject({ leaseOwner: owner, leaseExpiresAt: iso(clock, leaseMs), generation: 1 });
    const started: StepRecord = {
      tenantId: "t-1",
      step,
      status: "IN_PROGRESS",
      attempts: 1,
      resource: {},
      leaseOwner: owner,
      leaseExpiresAt: iso(clock, leaseMs),
      observedGeneration: 1,
      version: 0,
      createdAt: iso(clock),
      updatedAt: iso(clock),
    };
    return started;
  }

  it("writes a step's first outcome as its item, once, in one Put", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const started = await createdWithLease(store, clock, "creator");

    const saved = await store.putStepOutcome(started, { status: "SUCCEEDED", resource: { groupId: "g-1" } }, { planHash: "h1" });

    expect(saved).toMatchObject({ status: "SUCCEEDED", attempts: 1, version: 1, resource: { groupId: "g-1" }, planHash: "h1", observedGeneration: 1 });
    expect(saved.leaseOwner).toBeUndefined();
    expect((await store.getTenant("t-1")).steps).toEqual([saved]);
    // Finished: not in the unfinished index (only the tenant item is, until announced).
    const page = await store.listUnfinished({ limit: 10 });
    expect(page.items).toEqual([]);
    expect(page.tenants).toEqual(["t-1"]);
    // A retryable first outcome is in the index, due when asked.
    const retry = await store.putStepOutcome({ ...started, step: "sls-consumer-group" }, { status: "FAILED_RETRYABLE", error: transient(), nextAttemptAt: iso(clock, 5_000) });
    expect(retry).toMatchObject({ status: "FAILED_RETRYABLE", nextAttemptAt: iso(clock, 5_000), lastError: { code: "InternalServerError" } });
    expect((await store.listUnfinished({ limit: 10 })).items.map((s) => s.step)).toEqual(["sls-consumer-group"]);
  });

  it("two writers: a late creating run's outcome never overwrites the run that claimed the step after its lease lapsed", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const started = await createdWithLease(store, clock, "creator", "im-group", 1_000);
    clock.advance(2_000);
    // Another run takes the step over (its claim creates the item) while the creator is still busy.
    const taken = await claimOrFail(store, "t-1", "im-group", "other");

    const late = store.putStepOutcome(started, { status: "FAILED_PERMANENT", error: permanent() });
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    await expect(late).rejects.toMatchObject({ current: { leaseOwner: "other", status: "IN_PROGRESS" } });
    const done = await store.completeStep(taken, { status: "SUCCEEDED", resource: { groupId: "g" } });
    expect((await store.getTenant("t-1")).steps).toEqual([done]);
  });

  it("two writers at once: the creating run's outcome and another run's creating claim meet on the one item, exactly one wins", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    const started = await createdWithLease(store, clock, "creator");
    const [put, claim] = await Promise.allSettled([
      store.putStepOutcome(started, { status: "SUCCEEDED", resource: { groupId: "g" } }),
      store.claimStep("t-1", "im-group", { owner: "other", leaseMs: 60_000 }),
    ]);
    const claimed = claim.status === "fulfilled" && claim.value.claimed;
    expect(put.status === "fulfilled").toBe(!claimed);
    const [stored] = (await store.getTenant("t-1")).steps;
    if (claimed) {
      expect(stored).toMatchObject({ status: "IN_PROGRESS", leaseOwner: "other", version: 1 });
      expect(put).toMatchObject({ status: "rejected", reason: expect.any(LeaseLostError) });
    } else {
      expect(stored).toMatchObject({ status: "SUCCEEDED", version: 1 });
      expect(claim).toMatchObject({ status: "fulfilled", value: { claimed: false, reason: "finished" } });
    }
  });

  it("only the lease's run announces while it holds; once it lapses exactly one other run claims, and the late owner records nothing", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await createdWithLease(store, clock, "creator", "im-group", 1_000);

    expect(await store.claimAnnouncement("t-1", 1, "TenantProvisioned", 60_000)).toBe(false);
    expect(await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "someone-else")).toBe(false);
    clock.advance(1_000);
    const claims = await Promise.all(Array.from({ length: 4 }, () => store.claimAnnouncement("t-1", 1, "TenantProvisioned", 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // The claim took the lapsed lease away: the late creator can neither record nor release.
    expect(await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "creator")).toBe(false);
    expect(await store.releaseCreationLease("t-1", "creator")).toBe(false);
    expect((await store.getTenant("t-1")).tenant).toMatchObject({ announcedGeneration: 1 });
    expect((await store.getTenant("t-1")).tenant?.leaseOwner).toBeUndefined();
  });

  it("the lease's run records its announcement and ends the lease in one write; not for a generation that moved on", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await createdWithLease(store, clock, "creator");
    expect(await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "creator")).toBe(true);
    const { tenant } = await store.getTenant("t-1");
    expect(tenant).toMatchObject({ announcedGeneration: 1, announcedOutcome: "TenantProvisioned" });
    expect(tenant?.leaseOwner).toBeUndefined();
    expect(tenant?.indexDueAt).toBeUndefined();
    // Twice is no-op: the lease is gone.
    expect(await store.finishOwnAnnouncement("t-1", 1, "TenantProvisioned", "creator")).toBe(false);

    await store.putNewTenant("t-2", snapshot, "webhook", { lease: { owner: "c2", expiresAt: iso(clock, 60_000) } });
    await store.changeDesired("t-2", 1, { desired: "PRESENT", source: "webhook", snapshot: { changed: true } });
    expect(await store.finishOwnAnnouncement("t-2", 1, "TenantProvisioned", "c2")).toBe(false);
    expect(await store.releaseCreationLease("t-2", "c2")).toBe(true);
  });

  it("refuses a lease without an owner or with a non-ISO expiry, writing nothing", async () => {
    const { store } = await newTable();
    await expect(store.putNewTenant("t-1", snapshot, "webhook", { lease: { owner: "", expiresAt: "soon" } })).rejects.toMatchObject({
      issues: [{ field: "lease.owner" }, { field: "lease.expiresAt" }],
    });
    expect(await store.getTenant("t-1")).toEqual({ tenant: undefined, steps: [] });
  });
});

describe("announcement failures (recordAnnouncementFailure, redriveAnnouncement, listFailedAnnouncements)", () => {
  it("counts each failed publish once however many runs record it; a give-up leaves the index for the failures listing; a re-drive puts it back", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-a", snapshot, "webhook");
    expect(await store.claimAnnouncement("t-a", 1, "TenantProvisioned", 60_000)).toBe(true);

    // Two runs fail the same (first) attempt at once: one records it.
    const first = await Promise.all([0, 1].map(() => store.recordAnnouncementFailure("t-a", 1, { attempts: 1, code: "ThrottlingException", message: "Rate exceeded", retryAt: iso(clock, 60_000) })));
    expect(first.sort()).toEqual([false, true]);
    // A stale count (the second attempt recorded as the first again) is refused.
    expect(await store.recordAnnouncementFailure("t-a", 1, { attempts: 1, code: "X", message: "x", retryAt: iso(clock, 60_000) })).toBe(false);
    let { tenant } = await store.getTenant("t-a");
    expect(tenant?.announceFailure).toMatchObject({ generation: 1, attempts: 1, code: "ThrottlingException", gaveUp: false, nextAttemptAt: iso(clock, 60_000) });
    expect(tenant?.indexDueAt).toBe(iso(clock, 60_000));

    expect(await store.recordAnnouncementFailure("t-a", 1, { attempts: 2, code: "AccessDeniedException", message: "no" })).toBe(true);
    ({ tenant } = await store.getTenant("t-a"));
    expect(tenant?.announceFailure).toMatchObject({ attempts: 2, code: "AccessDeniedException", gaveUp: true });
    expect(tenant?.indexDueAt).toBeUndefined();
    expect((await store.listUnfinished({ limit: 100 })).tenants).not.toContain("t-a");
    expect((await store.listFailedAnnouncements({ limit: 100 })).map((t) => t.tenantId)).toEqual(["t-a"]);
    expect(await store.listFailures({ limit: 100 })).toEqual([]);

    // Only a given-up announcement of the current generation is re-driven, once.
    expect(await store.redriveAnnouncement("t-a", 2)).toBeUndefined();
    const again = await store.redriveAnnouncement("t-a", 1);
    expect(again?.announceFailure).toBeUndefined();
    expect(again?.indexDueAt).toBe(iso(clock));
    expect(await store.redriveAnnouncement("t-a", 1)).toBeUndefined();
    expect(await store.listFailedAnnouncements({ limit: 100 })).toEqual([]);
    expect(await store.finishAnnouncement("t-a", 1)).toBe(true);
    expect((await store.getTenant("t-a")).tenant?.indexDueAt).toBeUndefined();
  });

  it("refuses a failure for an announcement not claimed, or already published", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-b", snapshot, "webhook");
    expect(await store.recordAnnouncementFailure("t-b", 1, { attempts: 1, code: "X", message: "x" })).toBe(false);
    await store.claimAnnouncement("t-b", 1, "TenantProvisioned", 60_000);
    await store.finishAnnouncement("t-b", 1);
    expect(await store.recordAnnouncementFailure("t-b", 1, { attempts: 1, code: "X", message: "x" })).toBe(false);
    await expect(store.recordAnnouncementFailure("t-b", 1, { attempts: 0, code: "X", message: "x" })).rejects.toThrow(ValidationError);
  });

  it("refuses a failure whose code or message is not a string, naming the field (not a TypeError, nothing written)", async () => {
    const clock = new FakeClock();
    const { store } = await newTable({ clock });
    await store.putNewTenant("t-c", snapshot, "webhook");
    await store.claimAnnouncement("t-c", 1, "TenantProvisioned", 60_000);
    const bad = [
      [{ attempts: 1, code: 42, message: "x" }, "failure.code"],
      [{ attempts: 1, code: "X", message: undefined }, "failure.message"],
    ] as const;
    for (const [failure, field] of bad) {
      const error = await store.recordAnnouncementFailure("t-c", 1, failure as unknown as { attempts: number; code: string; message: string }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(String((error as Error).message)).toContain(field);
    }
    expect(await store.recordAnnouncementFailure("t-c", 1, { attempts: 1, code: "X", message: "x" })).toBe(true);
  });
});
