/**
 * The conditions a backfill sends per tenant, rewritten for dynalite's parser (see
 * src/outcomes/condition-expression.ts): each applies to exactly the items the form it replaced
 * applied to, evaluated by dynalite on the same random items (edges and wrong types included,
 * as items written by older versions or by hand may hold), with both verdicts met. The forms
 * rely only on what DynamoDB is known to do with a missing attribute: `=`/`<` false, `<>` true.
 */
import type { UpdateCommandInput } from "../../../src/aws/dynamodb/index.ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogstoreRegistry } from "../../../src/logstores/index.ts";
import { groupingDepth } from "../../support/grouping-depth.ts";
import { verdictOf } from "../../support/condition-verdicts.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { watchCommands } from "../../support/watch-commands.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();

type Fixture = Awaited<ReturnType<typeof newTable>>;

/** The UpdateItem commands `act` sends, as sent (a refused one included). */
async function captureUpdates(fx: Fixture, act: () => Promise<unknown>): Promise<UpdateCommandInput[]> {
  const sent: UpdateCommandInput[] = [];
  const stop = watchCommands(fx.docClient, ({ input }) => {
    if (input["UpdateExpression"] !== undefined) sent.push(structuredClone(input) as unknown as UpdateCommandInput);
  });
  try {
    await act();
  } finally {
    stop();
  }
  return sent;
}

/**
 * Over random item states (or none), `sent` meets the same verdict as with `oldForm(sent)`; both
 * verdicts (applied and refused) are met at least `eachAtLeast` times, since a property over
 * refusals only would prove little.
 */
async function expectSameVerdicts(
  fx: Fixture,
  sent: readonly UpdateCommandInput[],
  oldForm: (input: UpdateCommandInput) => string,
  item: fc.Arbitrary<Record<string, unknown>>,
  numRuns: number,
  eachAtLeast = 10,
): Promise<void> {
  const met = { applied: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(fc.option(item, { nil: undefined, freq: 10 }), fc.constantFrom(...sent), async (state, input) => {
      const now = await verdictOf(fx.docClient, fx.tableName, input, state, input.ConditionExpression as string);
      if (now === "applied" || now === "refused") met[now]++;
      expect(now).toBe(await verdictOf(fx.docClient, fx.tableName, input, state, oldForm(input)));
    }),
    { numRuns },
  );
  expect(met.applied).toBeGreaterThanOrEqual(eachAtLeast);
  expect(met.refused).toBeGreaterThanOrEqual(eachAtLeast);
}

/** Lease ends around a request's `:now`: lapsed, at it, ahead; or a value of the wrong type. */
const leaseEnds = (now: string): unknown[] => [new Date(Date.parse(now) - 1).toISOString(), now, new Date(Date.parse(now) + 1).toISOString(), 0];

describe("the tenant lease's condition", () => {
  /** The condition before this change, word for word. */
  const grouped = (input: UpdateCommandInput) =>
    `attribute_exists(#pk) AND ${input.ExpressionAttributeValues?.[":gen"] === 1 ? "(#generation = :gen OR attribute_not_exists(#generation))" : "#generation = :gen"} AND ` +
    "(attribute_not_exists(#announced) OR #announced < :gen) AND (attribute_not_exists(#owed) OR size(#owed) = :zero) AND " +
    "(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now)";

  it("leases exactly the tenants the grouped condition leased, evaluated by dynalite on the same items", { timeout: 240_000 }, async () => {
    const clock = new FakeClock();
    const fx = await newTable({ clock });
    const expiresAt = new Date(clock.now() + 60_000).toISOString();
    // No tenant item: each lease is refused, but its command is sent and captured.
    const sent = await captureUpdates(fx, async () => {
      for (const generation of [1, 2]) expect(await fx.store.leaseTenant("t-x", generation, "w-1", expiresAt)).toBeUndefined();
    });
    expect(sent).toHaveLength(2);
    for (const input of sent) expect(groupingDepth(input.ConditionExpression as string)).toBeLessThanOrEqual(1);
    const now = sent[0]?.ExpressionAttributeValues?.[":now"] as string;
    // undefined is an absent attribute (the client drops it); repeats weigh the values that pass.
    const item = fc.record({
      generation: fc.constantFrom<unknown>(undefined, 1, 1, 2, 2, 3, "1"),
      announcedGeneration: fc.constantFrom<unknown>(undefined, undefined, 0, 0, 1, 2, "0"),
      owedAnnouncements: fc.constantFrom<unknown>(undefined, undefined, {}, {}, { "1": "{}" }, "", "x", [], 0),
      leaseExpiresAt: fc.constantFrom<unknown>(undefined, undefined, ...leaseEnds(now)),
      leaseOwner: fc.constantFrom("w-1", "w-2"),
    });
    await expectSameVerdicts(fx, sent, grouped, item, 300);
  });
});

describe("the condition of a leased tenant's announcement", () => {
  /** The condition before this change, word for word. */
  const grouped = (input: UpdateCommandInput) =>
    `#leaseOwner = :owner AND ${input.ExpressionAttributeValues?.[":gen"] === 1 ? "(#generation = :gen OR attribute_not_exists(#generation))" : "#generation = :gen"} AND ` +
    "(attribute_not_exists(#announced) OR #announced < :gen)";

  it("announces exactly when the grouped condition did, evaluated by dynalite on the same items", { timeout: 240_000 }, async () => {
    const fx = await newTable({ clock: new FakeClock() });
    const sent = await captureUpdates(fx, async () => {
      for (const generation of [1, 2]) expect(await fx.store.finishOwnAnnouncement("t-x", generation, "TenantProvisioned", "w-1")).toBe(false);
    });
    expect(sent).toHaveLength(2);
    for (const input of sent) expect(groupingDepth(input.ConditionExpression as string)).toBe(0);
    const item = fc.record({
      generation: fc.constantFrom<unknown>(undefined, 1, 1, 2, 2, "1"),
      announcedGeneration: fc.constantFrom<unknown>(undefined, 0, 0, 1, 2, "0"),
      leaseOwner: fc.constantFrom<unknown>(undefined, "w-1", "w-1", "w-2", 1),
    });
    await expectSameVerdicts(fx, sent, grouped, item, 200);
  });
});

describe("the logstore take's condition", () => {
  /** The condition before this change, word for word. */
  const grouped = () => "attribute_exists(#pk) AND #assigned < #capacity AND (attribute_not_exists(#full) OR #full = :false) AND NOT contains(#tenants, :tenantId)";

  it("takes a slot exactly when the grouped condition did, evaluated by dynalite on the same items", { timeout: 240_000 }, async () => {
    const fx = await newTable({ clock: new FakeClock() });
    const registry = new LogstoreRegistry({ client: fx.docClient, tableName: fx.tableName });
    // Not registered: the take is refused, but its command is sent and captured.
    const sent = await captureUpdates(fx, async () => expect(await registry.take("tenant-events-0", "acme-1")).toBe("no-room"));
    expect(sent).toHaveLength(1);
    expect(groupingDepth(sent[0]?.ConditionExpression as string)).toBe(0);
    const item = fc.record({
      name: fc.constant("tenant-events-0"),
      assigned: fc.constantFrom<unknown>(undefined, 0, 0, 0, 29, 30, "0"),
      capacity: fc.constantFrom<unknown>(undefined, 30, 30, 30, "30"),
      full: fc.constantFrom<unknown>(undefined, undefined, false, false, true, "false", null),
      tenants: fc.constantFrom<unknown>(undefined, ...[1, 2, 3].map(() => new Set(["acme-2"])), new Set(["acme-1"]), new Set(["acme-1", "acme-2"]), "acme-1", ["acme-1"]),
    });
    await expectSameVerdicts(fx, sent, grouped, item, 300);
  });
});
