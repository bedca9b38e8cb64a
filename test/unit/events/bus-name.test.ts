/** The event bus name rule, one definition for the publisher and OUTCOME_EVENT_BUS_NAME. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import { ValidationError } from "../../../src/errors.ts";
import { createOutcomeEventPublisher } from "../../../src/events/publisher.ts";
import { MINIMAL_SERVICE_ENV } from "../../support/service-env.ts";

const ARN = "arn:aws:events:eu-west-1:123456789012:event-bus/tenant-outcomes";

describe("event bus names", () => {
  it.each(["tenant-outcomes", "a", "x".repeat(256), ARN])("the publisher and the configuration take %s", (name) => {
    createOutcomeEventPublisher({ eventBusName: name }).close();
    expect(loadConfig({ ...MINIMAL_SERVICE_ENV, OUTCOME_EVENT_BUS_NAME: name }).outcomeEventBusName).toBe(name);
  });

  it.each([
    ["an empty name", ""],
    ["a name with a space", "tenant outcomes"],
    ["a name over 256 characters", "x".repeat(257)],
    ["an ARN of another service", "arn:aws:sqs:eu-west-1:123456789012:tenant-outcomes"],
  ])("both refuse %s, naming the field and the rule", (_label, name) => {
    const publisher = () => createOutcomeEventPublisher({ eventBusName: name });
    expect(publisher).toThrow(ValidationError);
    expect(publisher).toThrow("outcome event publisher: invalid input: eventBusName: an event bus name or ARN");
    expect(() => loadConfig({ ...MINIMAL_SERVICE_ENV, OUTCOME_EVENT_BUS_NAME: name })).toThrow("OUTCOME_EVENT_BUS_NAME: an event bus name or ARN");
  });
});
