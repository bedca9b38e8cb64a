/**
 * The announcement claim's condition, written with one level of grouping instead of three: it
 * claims exactly what the nested form it replaced claimed, evaluated by dynalite on the same
 * items, and nests no deeper. Why it matters: dynalite parses each nesting level at about 4x the
 * cost (the nested claim cost it ~6 ms per request, the largest share of the local stack's CPU
 * per signed-up tenant in the bench's fleet run).
 */
import { watchCommands } from "../../support/watch-commands.ts";
import { DeleteCommand, PutCommand, type UpdateCommandInput, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tenantKey } from "../../../src/outcomes/keys.ts";
import { withCondition } from "../../support/condition-verdicts.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { groupingDepth } from "../../support/grouping-depth.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();
/**
 * Fixed so a CI run is repeatable (set FC_SEED to explore others, as test/reliability does): the
 * runs' claims are about 12.7% of them (25 of 200 on average over 23 seeds, 17 to 39), so with a
 * seed drawn per run the floor of 10 below failed about one run in 4,000. This seed: 31.
 */
const FC_SEED = Number(process.env.FC_SEED ?? 20261201);

/** The claim's condition before this change, word for word. */
function nested(generation: number, leaseOwner: boolean, owedCount: boolean): string {
  const generationIs = generation === 1 ? "(#generation = :gen OR attribute_not_exists(#generation))" : "#generation = :gen";
  const which =
    `((${generationIs} AND (attribute_not_exists(#owed) OR size(#owed) = :zero)) OR ` +
    `(attribute_exists(#owed.#g)${owedCount ? " AND size(#owed) = :owedCount" : ""}))`;
  return (
    `attribute_exists(#pk) AND ${which} AND (attribute_not_exists(#announced) OR #announced < :gen) AND ` +
    `(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now${leaseOwner ? " OR #leaseOwner = :leaseOwner" : ""})`
  );
}

const VARIANTS = [
  { leaseOwner: undefined, owedCount: undefined },
  { leaseOwner: "w-1", owedCount: undefined },
  { leaseOwner: undefined, owedCount: 1 },
  { leaseOwner: "w-1", owedCount: 2 },
] as const;

async function captureClaims(generations: number[]) {
  const clock = new FakeClock();
  const { store, docClient, tableName } = await newTable({ clock });
  const sent: { generation: number; variant: (typeof VARIANTS)[number]; input: UpdateCommandInput }[] = [];
  let current: { generation: number; variant: (typeof VARIANTS)[number] } | undefined;
  const stopWatching = watchCommands(docClient, (command) => {
    const input = command.input as unknown as UpdateCommandInput;
    if (current !== undefined && input.UpdateExpression?.startsWith("SET #announced = :gen")) sent.push({ ...current, input: structuredClone(input) });
  });
  try {
    for (const generation of generations) {
      for (const variant of VARIANTS) {
        current = { generation, variant };
        // No tenant item: every claim is refused, but its command is sent and captured.
        expect(await store.claimAnnouncement("t-x", generation, "TenantProvisioned", 60_000, variant.leaseOwner, variant.owedCount)).toBe(false);
      }
    }
  } finally {
    current = undefined;
    stopWatching();
  }
  return { docClient, tableName, sent };
}

describe("the announcement claim's condition", () => {
  it("groups at most one level deep, for every generation and option", async () => {
    const { sent } = await captureClaims([1, 2]);
    expect(sent).toHaveLength(8);
    for (const { input } of sent) expect(groupingDepth(input.ConditionExpression as string)).toBeLessThanOrEqual(1);
    for (const { generation, variant } of sent) {
      expect(groupingDepth(nested(generation, variant.leaseOwner !== undefined, variant.owedCount !== undefined))).toBe(3);
    }
  });

  it("claims exactly what the nested condition claimed, evaluated by dynalite on the same items", { timeout: 240_000 }, async () => {
    const { docClient, tableName, sent } = await captureClaims([1, 2]);
    let claims = 0;
    const item = fc.record(
      {
        generation: fc.constantFrom<unknown>(1, 2, 3, "2"),
        owedAnnouncements: fc.constantFrom<unknown>({}, { "1": "TenantProvisioned" }, { "2": "TenantProvisioned" }, { "1": "a", "2": "b" }),
        announcedGeneration: fc.constantFrom<unknown>(0, 1, 2, 3),
        leaseExpiresAt: fc.constantFrom(-1, 0, 1),
        leaseOwner: fc.constantFrom("w-1", "w-2"),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.option(item, { nil: undefined }), fc.integer({ min: 0, max: sent.length - 1 }), async (state, index) => {
        const { generation, variant, input } = sent[index] as (typeof sent)[number];
        const key = tenantKey("t-x");
        const now = Date.parse(input.ExpressionAttributeValues?.[":now"] as string);
        const evaluate = async (condition: string) => {
          await docClient.send(new DeleteCommand({ TableName: tableName, Key: key }));
          if (state !== undefined) {
            const { leaseExpiresAt, ...rest } = state;
            const lease = leaseExpiresAt === undefined ? {} : { leaseExpiresAt: new Date(now + leaseExpiresAt).toISOString() };
            await docClient.send(new PutCommand({ TableName: tableName, Item: { ...key, ...rest, ...lease } }));
          }
          try {
            await docClient.send(new UpdateCommand(withCondition(input, condition)));
            return true;
          } catch (error) {
            if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
            return false;
          }
        };
        const old = nested(generation, variant.leaseOwner !== undefined, variant.owedCount !== undefined);
        const claimed = await evaluate(input.ConditionExpression as string);
        if (claimed) claims++;
        expect(claimed).toBe(await evaluate(old));
      }),
      { numRuns: 200, seed: FC_SEED },
    );
    // Both verdicts were met (a property over refusals only would prove little).
    expect(claims).toBeGreaterThan(10);
    expect(claims).toBeLessThan(190);
  });
});
