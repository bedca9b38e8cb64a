import middy from "@middy/core";
import { injectLambdaContext } from "./middleware/inject-lambda-context.ts";
import { inAwsCallScope } from "./lib/aws-call-scope.ts";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { forEachWithin } from "../src/concurrency/for-each-within.ts";
import { ValidationError } from "../src/errors.ts";
import { lifecycleEventFromQueueBody, type LifecycleEvent } from "../src/inputs/unwrap.ts";
import { storedTenantReader } from "../src/provisioning/stored-text.ts";
import { ImmutableFieldError, RequestedAtAheadError, StoredTenantUnreadableError } from "../src/provisioning/errors.ts";
import { boundIssues } from "../src/rejections/bounded-issues.ts";
import type { CoreService, SignupParts } from "../src/service.ts";
import { waitingOnly } from "../src/provisioning/waiting.ts";
import { logger } from "./lib/runtime.ts";
import { runtimeSignupService } from "./lib/runtime-service.ts";
import { deadlineOf, invocationDeadline, type DeadlineContext } from "./middleware/deadline.ts";

/** Records handled at once: the providers' rate limiters pace the calls beneath. */
const RECORD_CONCURRENCY = 5;
/** A record is only started with at least this much time left; later ones are redelivered. */
const MIN_RECORD_BUDGET_MS = 3_000;

/**
 * SQS-triggered lifecycle handler (EventBridge `TenantSignedUp` / `TenantOffboarded` → queue →
 * here), with partial batch responses: only records worth retrying are reported failed. An
 * invalid event (or one that changes a fixed field, or offboards a tenant whose stored request
 * lacks what removal needs) is recorded
 * as rejected and acknowledged, so a poison message never loops; a record that still has work
 * (FAILED_RETRYABLE, in progress elsewhere, not started for lack of time) is redelivered, and
 * after maxReceiveCount it goes to the DLQ. Work in progress elsewhere never takes it there: every
 * lease lapses within fewer receives than that (test/deploy/fleet-budget.test.ts).
 *
 * @example
 * ```ts
 * export const handler = createSignupHandler(runtimeSignupService());
 * ```
 */
export function createSignupHandler(service: CoreService & SignupParts) {
  async function reject(record: SQSRecord, issues: readonly { field: string; rule: string }[]): Promise<true> {
    await service.rejections.record({ channel: "sqs", messageId: record.messageId, issues, body: record.body });
    logger.warn("signup event rejected", { messageId: record.messageId, ...boundIssues(issues, 10) });
    return true;
  }

  async function handleRecord(record: SQSRecord, context: DeadlineContext): Promise<boolean> {
    let event: LifecycleEvent;
    try {
      event = await lifecycleEventFromQueueBody(record.body, storedTenantReader(service.store));
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: the parser throws ValidationError (src/inputs/unwrap.ts), or the stored tenant's read failing (retried); the guard keeps those from being acknowledged as bad input
      if (!(error instanceof ValidationError)) throw error;
      return reject(record, error.issues);
    }
    const workerId = `${context.awsRequestId}/${record.messageId}`;
    let result;
    try {
      result =
        event.kind === "signup"
          ? await service.provision(event.tenant, { deadline: deadlineOf(context), workerId })
          : await service.offboard({ tenantId: event.offboarding.tenantId, requestedAt: event.offboarding.requestedAt, source: "offboard-event" }, { deadline: deadlineOf(context), workerId });
    } catch (error) {
      // Nothing was written: the event can never apply, so it is kept, not retried.
      if (error instanceof ImmutableFieldError) return reject(record, [{ field: `detail.${error.field}`, rule: `immutable: ${error.rule}` }]);
      if (error instanceof RequestedAtAheadError) return reject(record, [{ field: `detail.${error.field}`, rule: error.rule }]);
      // Redelivery cannot help: the stored request lacks what removal needs (named as stored fields).
      if (error instanceof StoredTenantUnreadableError) return reject(record, error.issues.map((i) => ({ field: `stored.${i.field}`, rule: i.rule })));
      throw error;
    }
    logger.info(event.kind === "signup" ? "signup processed" : "offboarding processed", {
      kind: event.kind,
      tenantId: result.tenantId,
      generation: result.generation,
      messageId: record.messageId,
      steps: result.steps.map((s) => ({ step: s.step, status: s.status, action: s.action })),
    });
    // Every unfinished step waits for its backoff (nothing was tried): the backfill runs it when
    // due, so the record is done here. Failed, it was only redelivered to wait again, each receive
    // counted towards the DLQ (5 receives 6 minutes apart, against backoffs of up to an hour), and
    // replaying the DLQ sent it back there.
    return !result.retryable || waitingOnly(result);
  }

  const lambda = middy<SQSEvent, SQSBatchResponse, Error, DeadlineContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(invocationDeadline({ marginMs: 1_500 }))
    .handler(async (event, context) => {
      const failed: string[] = [];
      const started = new Set<SQSRecord>();
      await forEachWithin(
        event.Records,
        RECORD_CONCURRENCY,
        () => deadlineOf(context) - Date.now() >= MIN_RECORD_BUDGET_MS,
        async (record) => {
          started.add(record);
          try {
            if (!(await handleRecord(record, context))) failed.push(record.messageId);
          } catch (error) {
            // The store or the network failed around the providers: retry the record later.
            logger.error("signup record failed", { messageId: record.messageId, errorName: (error as Error).name });
            failed.push(record.messageId);
          }
        },
      );
      // Records not started for lack of time are redelivered.
      for (const record of event.Records) if (!started.has(record)) failed.push(record.messageId);
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
  return inAwsCallScope(lambda);
}

export const handler = createSignupHandler(runtimeSignupService());
