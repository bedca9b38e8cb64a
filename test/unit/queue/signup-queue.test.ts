/**
 * The webhook's signup queue when SIGNUP_QUEUE_URL is missing (the local stack of the handler tests
 * has none): the hand-off fails with an error the 500's log names, not an anonymous `Error`.
 */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../src/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { signupQueueAt } from "../../../src/queue/signup-queue.ts";
import { sampleTenant } from "../../support/local-stack.ts";

describe("signupQueueAt without a queue URL", () => {
  it("rejects each enqueue with a ConfigurationError naming SIGNUP_QUEUE_URL (logged by the webhook's error mapper)", async () => {
    const enqueue = signupQueueAt(undefined).enqueue(parseTenantOnboarding(sampleTenant()));
    await expect(enqueue).rejects.toBeInstanceOf(ConfigurationError);
    await expect(enqueue).rejects.toMatchObject({ name: "ConfigurationError", issues: [{ field: "SIGNUP_QUEUE_URL", rule: expect.stringContaining("required") }] });
  });
});
