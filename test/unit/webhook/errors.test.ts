/**
 * The webhook's typed errors as a caller and the logs see them: the name (logged as errorName),
 * the field and rule of a refusal, and a not-recorded delivery's advice to resend.
 */
import { describe, expect, it } from "vitest";
import { WebhookIdNotRecordedError, WebhookVerificationError } from "../../../src/webhook/errors.ts";

describe("webhook errors", () => {
  it("a verification failure names the header and the rule", () => {
    const error = new WebhookVerificationError("stale", "webhook-timestamp", "older than 5 minutes");
    expect(error).toMatchObject({ name: "WebhookVerificationError", reason: "stale", field: "webhook-timestamp", rule: "older than 5 minutes" });
    expect(error.message).toBe("webhook-timestamp: older than 5 minutes");
  });

  it("an id not recorded says the delivery was not accepted, when to resend, and keeps its cause", () => {
    const cause = new Error("ProvisionedThroughputExceededException");
    const error = new WebhookIdNotRecordedError(2, cause);
    expect(error).toMatchObject({ name: "WebhookIdNotRecordedError", retryAfterSeconds: 2, cause });
    expect(error.message).toBe("the webhook-id could not be recorded in time; the delivery was not accepted (resend it)");
  });
});
