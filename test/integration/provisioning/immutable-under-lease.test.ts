
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { ImmutableFieldError } from "../../../src/provisioning/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;

describe("an owner change after the IM group was made under the creation lease", () => {
  it("is refused with ImmutableFieldError (the group exists with the old owner)", async () => {
    const inner = new DynamoDBDocumentClient();
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
