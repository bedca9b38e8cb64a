/** The local stack runs the EventBridge stand-in and points the service's PutEvents at it through its env. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutcomeEventPublisher } from "../../../src/events/publisher.ts";
import { tenantProvisioned } from "../../../src/events/types.ts";
import { type LocalStack, startLocalStack } from "../../../src/local/stack.ts";

let stack: LocalStack;
const saved = { ...process.env };
beforeAll(async () => {
  stack = await startLocalStack();
  Object.assign(process.env, stack.env);
});
afterAll(async () => {
  process.env = saved;
  await stack.close();
});

describe("local stack: outcome events", () => {
  it("provides AWS_ENDPOINT_URL_EVENTBRIDGE and OUTCOME_EVENT_BUS_NAME, and the bus receives what the publisher sends", async () => {
    expect(stack.env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(stack.events.endpoint);
    const busName = stack.env.OUTCOME_EVENT_BUS_NAME;
    expect(busName).toBeTruthy();
    const received: string[] = [];
    const stop = stack.events.subscribe((e) => received.push(String(e.detail["eventId"])));
    // Its own client, configured only by the environment, as a handler's is.
    const publisher = createOutcomeEventPublisher({ eventBusName: busName ?? "" });
    try {
      await publisher.publish(tenantProvisioned({ tenantId: "acme-1", generation: 1 }));
      expect(received).toEqual(["acme-1:1:TenantProvisioned"]);
      expect(stack.events.events[0]).toMatchObject({ eventBusName: busName, source: "tenant-provisioner", detailType: "TenantProvisioned" });
    } finally {
      stop();
      publisher.close();
    }
  });
});
