/** Announcements as EventBridge outcome events (src/events: the event shapes and the publisher). */
import { tenantDeprovisioned, tenantProvisioned, tenantProvisioningFailed, type OutcomeEvent, type OutcomeEventPublisher } from "../events/index.ts";
import type { OutcomeAnnouncer, TenantOutcomeAnnouncement } from "./announce.ts";

/**
 * The outcome event for an announcement. Its `eventId` is `${tenantId}:${generation}:${outcome}`
 * and `occurredAt` the generation's last step transition, so announcing again (after a publish
 * that failed) sends the identical event.
 *
 * @example
 * ```ts
 * outcomeEventOf(announcement).detail.eventId; // "acme-1:2:TenantProvisioned"
 * ```
 */
export function outcomeEventOf(a: TenantOutcomeAnnouncement): OutcomeEvent {
  const subject = { tenantId: a.tenantId, generation: a.generation, occurredAt: new Date(a.occurredAt) };
  switch (a.outcome) {
    case "TenantProvisioned":
      return tenantProvisioned(subject, Object.fromEntries(a.steps.flatMap((s) => Object.entries(s.resource).map(([k, v]) => [`${s.step}.${k}`, v]))));
    case "TenantDeprovisioned":
      return tenantDeprovisioned(subject);
    case "TenantProvisioningFailed": {
      const failure = a.failure ?? { step: "unknown", status: "FAILED_PERMANENT" as const, code: "Unknown", provider: "unknown" };
      return tenantProvisioningFailed(subject, failure);
    }
  }
}

/**
 * An {@link OutcomeAnnouncer} that publishes to EventBridge; throws when PutEvents failed (the
 * core then leaves the announcement for the backfill).
 *
 * @example
 * ```ts
 * const announcer = eventBridgeAnnouncer(createOutcomeEventPublisher({ eventBusName }));
 * ```
 */
export function eventBridgeAnnouncer(publisher: Pick<OutcomeEventPublisher, "publish">): OutcomeAnnouncer {
  return {
    async announce(announcement) {
      await publisher.publish(outcomeEventOf(announcement));
    },
  };
}
