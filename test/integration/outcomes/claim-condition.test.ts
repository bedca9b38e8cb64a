/**
 * The step claim's condition, written flat (src/outcomes/condition-expression.ts), against the
 * rule it states, in dynalite: for any state of a step item (absent, each status, with or without
 * observedGeneration, lease lapsed or not) and claim generation, the claim succeeds exactly when
 * the rule says the step is claimable. And the condition the store sends nests no parentheses,
 * which dynalite parses at a cost growing about 4x per level (the claim's old three levels were
 * most of the local stack's CPU in a backfill).
 */
import { watchCommands } from "../../support/watch-commands.ts";
import { DeleteCommand, GetCommand, PutCommand, type UpdateCommandInput, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STEP_STATUSES } from "../../../src/outcomes/constants.ts";
import { stepKey } from "../../../src/outcomes/keys.ts";
import { withCondition } from "../../support/condition-verdicts.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { groupingDepth } from "../../support/grouping-depth.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const newTable = useDynalite();
const FINISHED = new Set(["SUCCEEDED", "FAILED_PERMANENT", "CONFLICT", "DELETED"]);

interface StepState {
  status: (typeof STEP_STATUSES)[number];
  observedGeneration: number | undefined;
  leaseLapsed: boolean;
}

/** The claim rule as the store's TSDoc states it, nested as it reads. */
function claimable(state: StepState | undefined, generation: number): boolean {
  if (state === undefined) return true;
  const og = state.observedGeneration;
  const notNewer = og === undefined || og <= generation;
  // A record without observedGeneration is about generation 1.
  const older = og === undefined ? generation > 1 : og < generation;
  return (
    notNewer &&
    (state.status === "PENDING" ||
      state.status === "FAILED_RETRYABLE" ||
      (state.status === "IN_PROGRESS" && state.leaseLapsed) ||
      (FINISHED.has(state.status) && older))
  );
}

describe("the step claim's condition", () => {
  it("claims exactly the steps the claim rule allows, for any state and generation", async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    const [registered] = await store.registerTenant("t-1", { tenantId: "t-1" }, "webhook", ["im-group"]);
    const template = (await docClient.send(new GetCommand({ TableName: tableName, Key: stepKey("t-1", "im-group") }))).Item ?? {};
    expect(registered?.status).toBe("PENDING");
    const state = fc.record({
      status: fc.constantFrom(...STEP_STATUSES),
      observedGeneration: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      leaseLapsed: fc.boolean(),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.option(state, { nil: undefined }), fc.integer({ min: 1, max: 4 }), async (step, generation) => {
        const owner = `w-${run++}`;
        if (step === undefined) {
          await docClient.send(new DeleteCommand({ TableName: tableName, Key: stepKey("t-1", "im-group") }));
        } else {
          const { observedGeneration: _drop, ...rest } = template;
          const lease = new Date(clock.now() + (step.leaseLapsed ? -1 : 60_000)).toISOString();
          await docClient.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...rest,
                status: step.status,
                leaseOwner: "earlier",
                leaseExpiresAt: lease,
                ...(step.observedGeneration === undefined ? {} : { observedGeneration: step.observedGeneration }),
              },
            }),
          );
        }
        const claim = await store.claimStep("t-1", "im-group", { owner, leaseMs: 60_000, generation });
        expect(claim.claimed).toBe(claimable(step, generation));
        if (claim.claimed) expect(claim.record).toMatchObject({ status: "IN_PROGRESS", leaseOwner: owner, observedGeneration: generation });
      }),
      { numRuns: 120 },
    );
  });

  it("nests no grouping parentheses (dynalite's parser cost grows about 4x per level)", async () => {
    const { store, docClient } = await newTable({ clock: new FakeClock() });
    const conditions: string[] = [];
    const stopWatching = watchCommands(docClient, (command) => {
      const input = command.input as { ConditionExpression?: string };
      if (input.ConditionExpression !== undefined) conditions.push(input.ConditionExpression);
    });
    try {
      await store.registerTenant("t-2", { tenantId: "t-2" }, "webhook", ["im-group"]);
      expect((await store.claimStep("t-2", "im-group", { owner: "w", leaseMs: 60_000 })).claimed).toBe(true);
      expect((await store.claimStep("t-3", "im-group", { owner: "w", leaseMs: 60_000, generation: 2 })).claimed).toBe(true);
    } finally {
      stopWatching();
    }
    const claims = conditions.filter((c) => c.includes("#leaseExpiresAt <= :now") && c.includes("#status = :inProgress"));
    expect(claims).toHaveLength(2);
    for (const condition of claims) expect(groupingDepth(condition)).toBe(0);
    // The depth measure itself: an IN list and function arguments are not groups, nesting is.
    expect(groupingDepth("attribute_exists(#a) AND #b IN (:x, :y)")).toBe(0);
    expect(groupingDepth("#a = :a OR (#b = :b AND (#c = :c OR NOT (#d = :d)))")).toBe(3);
  });

  // A cap for a hang, not a speed limit: the old nested condition is the cost here (dynalite's
  // parser, ~60 ms an evaluation idle, three quarters of the test's time), and the comparison is
  // the point of the test. It took 14 s idle and 30 s beside `npm run chaos` at load 9, so the
  // suite's 60 s default was within reach of a load-18 machine; the verdicts do not depend on time.
  it("agrees with the nested condition it replaced, evaluated by dynalite on the same items (edges included)", { timeout: 240_000 }, async () => {
    const clock = new FakeClock();
    const { store, docClient, tableName } = await newTable({ clock });
    // The store's own claim commands, as sent: their names and values are reused with either condition.
    const sent = new Map<number, UpdateCommandInput>();
    const stopWatching = watchCommands(docClient, (command) => {
      const input = command.input as unknown as UpdateCommandInput & { ExpressionAttributeValues?: Record<string, unknown> };
      if (input.ConditionExpression?.includes("#leaseExpiresAt <= :now")) sent.set(input.ExpressionAttributeValues?.[":gen"] as number, structuredClone(input));
    });
    try {
      for (const generation of [1, 2, 3]) await store.claimStep(`t-${generation}`, "im-group", { owner: "w", leaseMs: 60_000, generation });
    } finally {
      stopWatching();
    }
    // The condition before 11b510a, word for word.
    const nested = (generation: number) =>
      "attribute_not_exists(#pk) OR ((attribute_not_exists(#og) OR #og <= :gen) AND " +
      "(#status IN (:pending, :retryable) OR (#status = :inProgress AND #leaseExpiresAt <= :now) OR " +
      `(#status IN (:succeeded, :permanent, :conflict, :deleted) AND ${generation > 1 ? "(#og < :gen OR attribute_not_exists(#og))" : "#og < :gen"})))`;
    const item = fc.record(
      {
        status: fc.constantFrom(...STEP_STATUSES, "UNKNOWN"),
        observedGeneration: fc.constantFrom<unknown>(0, 1, 2, 3, 4, "2"),
        leaseExpiresAt: fc.constantFrom(-1, 0, 1),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.option(item, { nil: undefined }), fc.constantFrom(1, 2, 3), async (state, generation) => {
        const claim = sent.get(generation) as UpdateCommandInput;
        const now = Date.parse(claim.ExpressionAttributeValues?.[":now"] as string);
        const evaluate = async (condition: string) => {
          await docClient.send(new DeleteCommand({ TableName: tableName, Key: claim.Key }));
          if (state !== undefined) {
            const { leaseExpiresAt, ...rest } = state;
            const lease = leaseExpiresAt === undefined ? {} : { leaseExpiresAt: new Date(now + leaseExpiresAt).toISOString() };
            await docClient.send(new PutCommand({ TableName: tableName, Item: { ...claim.Key, ...rest, ...lease } }));
          }
          try {
            await docClient.send(new UpdateCommand(withCondition(claim, condition)));
            return true;
          } catch (error) {
            if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
            return false;
          }
        };
        expect(await evaluate(claim.ConditionExpression as string)).toBe(await evaluate(nested(generation)));
      }),
      { numRuns: 150 },
    );
  });
});
