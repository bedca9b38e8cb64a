/**
 * The immutable-field guard under the creation lease: a first run writes a step's item only with
 * its outcome, so "no step item" no longer means "no resource was made". A run that made the IM
 * group but could not record it leaves none; an owner change after it was accepted as a new
 * generation and the tenant's own group then read as foreign (CONFLICT). Found by review.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ImmutableFieldError } from "../../../src/provisioning/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;

describe("an owner change after the IM group was made under the creation lease", () => {
  it("is refused with ImmutableFieldError (the group exists with the old owner)", async () => {
    const inner = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    const isCompletion = (command: object) =>
      (command instanceof UpdateCommand && command.input.ExpressionAttributeValues?.[":claimedVersion"] !== undefined) ||
      (command instanceof PutCommand && command.input.Item?.["step"] !== undefined && command.input.Item?.["status"] !== "PENDING");
    const failingCompletions = {
      send: (command: object) =>
        isCompletion(command)
          ? Promise.reject(Object.assign(new Error("Rate of requests exceeds the allowed throughput"), { name: "ProvisionedThroughputExceededException" }))
          : inner.send(command as never),
    } as unknown as DynamoDBDocumentClient;
    const raw = sampleTenant();
    const first = await fx.service({ documentClient: failingCompletions }).provision(parseTenantOnboarding(raw), { deadline: soon(), workerId: "w1" });
    expect(first.steps.find((s) => s.step === "im-group")?.providerOutcome).toBe("created");

    const service = fx.service();
    const changed = parseTenantOnboarding({ ...raw, admin: { userId: "someone-else", name: "Other" }, requestedAt: new Date(Date.parse(raw.requestedAt ?? new Date().toISOString()) + 1_000).toISOString() });
    let outcome: unknown;
    try {
      const r = await service.provision(changed, { deadline: soon(), workerId: "w2" });
      outcome = { generation: r.generation, steps: r.steps.map((s) => [s.step, s.status, s.providerOutcome, s.error?.code]) };
    } catch (error) {
      outcome = error;
    }
    expect(outcome).toBeInstanceOf(ImmutableFieldError);
  });
});
