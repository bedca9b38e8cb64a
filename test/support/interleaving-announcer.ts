import { createOutcomeEventPublisher } from "../../src/events/publisher.ts";
import type { OutcomeAnnouncer } from "../../src/provisioning/announce.ts";
import { eventBridgeAnnouncer } from "../../src/provisioning/outcome-events.ts";

/** The EventBridge announcer, which first runs `meanwhile` (once, then clears it) when asked to publish: fixes an interleaving without timing. */
export function announcerWithInterleaving(eventBusName: string): OutcomeAnnouncer & { meanwhile?: (() => Promise<unknown>) | undefined } {
  const real = eventBridgeAnnouncer(createOutcomeEventPublisher({ eventBusName }));
  const announcer: OutcomeAnnouncer & { meanwhile?: (() => Promise<unknown>) | undefined } = {
    async announce(announcement) {
      const meanwhile = announcer.meanwhile;
      announcer.meanwhile = undefined;
      await meanwhile?.();
      await real.announce(announcement);
    },
  };
  return announcer;
}
