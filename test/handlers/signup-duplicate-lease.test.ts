/**
 * A duplicate signup delivery (SQS is at least once) that meets another run's creation lease: it
 * is turned away (reported in `batchItemFailures`, the work is in progress elsewhere) only while
 * the lease holds. The worst case is a holder that died holding the longest creation lease a
 * run takes (a signup invocation's whole time plus the lease grace): the duplicate's next
 * receive, one visibility timeout later, finds the lease lapsed and finishes the tenant, long
 * before maxReceiveCount would send it to the DLQ. test/deploy/fleet-budget.test.ts holds the
 * deployed numbers to that (every lease any run takes lapses within maxReceiveCount - 1
 * visibility timeouts). Time is moved with a stopped fake Date, receive by receive.
 */
import { readFileSync } from "node:fs";
import { PutCommand, type DynamoDBDocumentClient } from "../../src/aws/dynamodb/index.ts";
import type { SQSBatchResponse } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createDocumentClient } from "../../src/aws/document-client.ts";
import { DEFAULT_LEASE_GRACE_MS } from "../../src/provisioning/provision.ts";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, signupEvent, sqsEvent, sqsRecord, withoutSource } from "../support/lambda.ts";
import { captureOutput, loadHandlers, type CapturedOutput, type Handlers } from "./harness.ts";

const fx = useLocalStack();
let handlers: Handlers;
let output: CapturedOutput;
beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
});
afterAll(() => output.restore());
afterEach(() => vi.useRealTimers());

const template = readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8");
const numberIn = (pattern: RegExp) => Number(pattern.exec(template)?.[1]);
const visibilityMs = numberIn(/^\s+VisibilityTimeout:\s*(\d+)\s*$/m) * 1000;
const maxReceiveCount = numberIn(/^\s+maxReceiveCount:\s*(\d+)\s*$/m);
// The signup function runs at most a sixth of the visibility timeout (test/deploy/template.test.ts).
const signupTimeoutMs = visibilityMs / 6;
const failedIds = (response: SQSBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);

/** A document client that stops reaching DynamoDB once the tenant item is written: its process died. */
function diesAfterRecordingTheTenant(): DynamoDBDocumentClient {
  const inner = createDocumentClient();
  let dead = false;
  return {
    send: async (command: object) => {
      if (dead) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      const out = await inner.send(command as never);
      if (command instanceof PutCommand && command.input.Item?.["sk"] === "TENANT") dead = true;
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
}

describe("a duplicate signup delivery during another run's creation lease", () => {
  it("is turned away only while the lease holds, then finishes the tenant well before maxReceiveCount", async () => {
    expect([visibilityMs > 0, maxReceiveCount > 1]).toEqual([true, true]);
    const start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: start });
    const tenant = sampleTenant();
    const body = JSON.stringify(signupEvent(withoutSource(tenant)));
    const original = sqsRecord(body, { messageId: "original" });
    const duplicate = (receiveCount: number) => sqsRecord(body, { messageId: "duplicate", receiveCount });

    // The first delivery records the tenant with the longest creation lease, then its process dies.
    const dying = fx.service({ documentClient: diesAfterRecordingTheTenant() });
    const first = await invoke(handlers.createSignupHandler(dying), sqsEvent([original]), lambdaContext({ budgetMs: signupTimeoutMs }));
    expect(failedIds(first)).toEqual(["original"]);
    const service = fx.service();
    const leased = (await service.store.getTenant(tenant.tenantId)).tenant;
    expect(leased?.leaseOwner).toBeDefined();
    const leaseEndsAt = Date.parse(leased?.leaseExpiresAt ?? "");
    expect(leaseEndsAt - start).toBeGreaterThan(signupTimeoutMs);
    expect(leaseEndsAt - start).toBeLessThanOrEqual(signupTimeoutMs + DEFAULT_LEASE_GRACE_MS);

    // The duplicate, received at once and then again after each visibility timeout.
    const handler = handlers.createSignupHandler(service);
    const answers: string[] = [];
    for (let receive = 1; receive <= maxReceiveCount && answers.at(-1) !== "acknowledged"; receive++) {
      vi.setSystemTime(start + (receive - 1) * visibilityMs);
      const response = await invoke(handler, sqsEvent([duplicate(receive)]), lambdaContext({ budgetMs: signupTimeoutMs }));
      answers.push(failedIds(response).includes("duplicate") ? (Date.now() < leaseEndsAt ? "failed-under-lease" : "failed-after-lease") : "acknowledged");
    }
    expect(answers).toEqual(["failed-under-lease", "acknowledged"]);

    const { tenant: item, steps } = await service.store.getTenant(tenant.tenantId);
    expect(steps.map((s) => [s.step, s.status]).sort()).toEqual([
      ["im-group", "SUCCEEDED"],
      ["sls-consumer-group", "SUCCEEDED"],
    ]);
    expect([item?.leaseOwner, item?.indexDueAt]).toEqual([undefined, undefined]);
    const events = fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenant.tenantId).map((e) => e.detail["eventId"]);
    expect(events).toEqual([`${tenant.tenantId}:1:TenantProvisioned`]);
  });
});
