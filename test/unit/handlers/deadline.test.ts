import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { inAwsCallScope } from "../../../handlers/lib/aws-call-scope.ts";
import { allowAwsCallsUntilInvocationEnd, deadlineOf, invocationDeadline, withAwsCallsFor, withAwsCallsUntilInvocationEnd, type DeadlineContext } from "../../../handlers/middleware/deadline.ts";
import { awsCallCutoff } from "../../../src/aws/call-deadline.ts";
import { lambdaContext } from "../../support/lambda.ts";

const NOW = 1_000_000;

/** A handler that reports its deadline and the AWS-call cut-offs it sees. */
function probe(options: { marginMs: number; maxBudgetMs?: number }) {
  return middy<unknown, { deadline: number; cutoffBefore: number | undefined; cutoffAfter: number | undefined }, Error, DeadlineContext>()
    .use(invocationDeadline({ ...options, now: () => NOW }))
    .handler(async (_event, context) => {
      const deadline = deadlineOf(context);
      return { deadline, cutoffBefore: awsCallCutoff(deadline - 1), cutoffAfter: awsCallCutoff(deadline) };
    });
}

const contextWith = (remainingMs: number): Context => ({ ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs });

describe("invocationDeadline", () => {
  it("sets the deadline from the remaining time less the margin, capped by maxBudgetMs", async () => {
    const handler = inAwsCallScope(probe({ marginMs: 1_000, maxBudgetMs: 8_000 }));
    expect((await handler({}, contextWith(15_000))).deadline).toBe(NOW + 8_000);
    expect((await handler({}, contextWith(3_000))).deadline).toBe(NOW + 2_000);
    expect((await handler({}, contextWith(500))).deadline, "never in the past").toBe(NOW);
  });

  it("cuts the invocation's AWS calls half the margin after the deadline, calls started after it three quarters", async () => {
    const result = await inAwsCallScope(probe({ marginMs: 1_000 }))({}, contextWith(10_000));
    expect(result.cutoffBefore).toBe(NOW + 9_000 + 500);
    expect(result.cutoffAfter).toBe(NOW + 9_000 + 750);
  });

  it("outside inAwsCallScope it sets no AWS-call cut-off (nothing leaks between invocations)", async () => {
    const result = await probe({ marginMs: 1_000 })({}, contextWith(10_000));
    expect(result.cutoffBefore).toBeUndefined();
    expect(awsCallCutoff(NOW)).toBeUndefined();
  });

  it("allowAwsCallsUntilInvocationEnd lets later calls run to the invocation's end less the margin, past the cap", async () => {
    const handler = inAwsCallScope(
      middy<unknown, { deadline: number; cutoff: number | undefined }, Error, DeadlineContext>()
        .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: 3_000, now: () => NOW }))
        .handler(async (_event, context) => {
          allowAwsCallsUntilInvocationEnd(context);
          return { deadline: deadlineOf(context), cutoff: awsCallCutoff(NOW + 5_000) };
        }),
    );
    const result = await handler({}, contextWith(20_000));
    expect(result.deadline).toBe(NOW + 3_000);
    expect(result.cutoff).toBe(NOW + 19_000);
  });

  it("withAwsCallsUntilInvocationEnd widens the cut-off for its own calls only, then puts the capped budget back (also when they fail)", async () => {
    const handler = inAwsCallScope(
      middy<unknown, { inside: (number | undefined)[]; after: number | undefined }, Error, DeadlineContext>()
        .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: 3_000, now: () => NOW }))
        .handler(async (_event, context) => {
          const inside: (number | undefined)[] = [];
          await withAwsCallsUntilInvocationEnd(context, async () => void inside.push(awsCallCutoff(NOW + 5_000)));
          await withAwsCallsUntilInvocationEnd(context, async () => {
            throw new Error("write failed");
          }).catch(() => undefined);
          return { inside, after: awsCallCutoff(NOW + 5_000) };
        }),
    );
    const result = await handler({}, contextWith(20_000));
    expect(result.inside).toEqual([NOW + 19_000]);
    // Back to the cap: a call started after the 3 s deadline gets three quarters of the margin.
    expect(result.after).toBe(NOW + 3_000 + 750);
  });

  it("withAwsCallsFor allows its own calls the window from now, never past the invocation's end, then puts the capped budget back", async () => {
    const handler = inAwsCallScope(
      middy<unknown, { inside: (number | undefined)[]; after: number | undefined }, Error, DeadlineContext>()
        .use(invocationDeadline({ marginMs: 1_000, maxBudgetMs: 3_000, now: () => NOW }))
        .handler(async (_event, context) => {
          const inside: (number | undefined)[] = [];
          // 4 s in (past the 3 s deadline): a 1 s window ends at 5 s; a 30 s one at the invocation's end.
          await withAwsCallsFor(context, 1_000, async () => void inside.push(awsCallCutoff(NOW + 4_000)), () => NOW + 4_000);
          await withAwsCallsFor(context, 30_000, async () => void inside.push(awsCallCutoff(NOW + 4_000)), () => NOW + 4_000);
          await withAwsCallsFor(context, 1_000, async () => {
            throw new Error("write failed");
          }).catch(() => undefined);
          return { inside, after: awsCallCutoff(NOW + 5_000) };
        }),
    );
    const result = await handler({}, contextWith(20_000));
    expect(result.inside).toEqual([NOW + 5_000, NOW + 19_000]);
    expect(result.after).toBe(NOW + 3_000 + 750);
  });

  it("inAwsCallScope keeps the middy handler's methods", () => {
    const handler = inAwsCallScope(probe({ marginMs: 1 }));
    expect(typeof handler.use).toBe("function");
  });
});
