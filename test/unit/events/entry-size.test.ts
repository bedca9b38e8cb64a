/** The 256 KB PutEvents entry limit, counted as the EventBridge user guide counts it. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { toPutEventsEntry } from "../../../src/events/publisher.ts";
import { MAX_EVENT_ENTRY_BYTES, OUTCOME_EVENT_SOURCE, tenantProvisioningFailed } from "../../../src/events/types.ts";

const AT = new Date("2026-11-30T12:00:00.000Z");

/** A failed event whose entry is exactly `bytes` long (Time 14 + Source + DetailType + Detail). */
function eventOfEntrySize(bytes: number) {
  const probe = tenantProvisioningFailed({ tenantId: "t", generation: 1, occurredAt: AT }, { step: "im-group", status: "CONFLICT", code: "GroupConflict", message: "" });
  const fixed = 14 + OUTCOME_EVENT_SOURCE.length + probe.detailType.length + JSON.stringify(probe.detail).length;
  return tenantProvisioningFailed({ tenantId: "t", generation: 1, occurredAt: AT }, { step: "im-group", status: "CONFLICT", code: "GroupConflict", message: "m".repeat(bytes - fixed) });
}

describe("toPutEventsEntry", () => {
  it("maps an event onto Source, DetailType, Detail, Time and the bus", () => {
    const event = eventOfEntrySize(1_000);
    const entry = toPutEventsEntry(event, "bus-1");
    expect(entry).toMatchObject({ EventBusName: "bus-1", Source: "tenant-provisioner", DetailType: "TenantProvisioningFailed", Time: AT });
    expect(JSON.parse(entry.Detail ?? "")).toEqual(event.detail);
  });

  it("accepts an entry of exactly 256 KB and refuses one byte more, naming the field", () => {
    expect(() => toPutEventsEntry(eventOfEntrySize(MAX_EVENT_ENTRY_BYTES), "bus-1")).not.toThrow();
    const over = () => toPutEventsEntry(eventOfEntrySize(MAX_EVENT_ENTRY_BYTES + 1), "bus-1");
    expect(over).toThrow(ValidationError);
    expect(over).toThrow(/detail: .*262144/);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const event = eventOfEntrySize(MAX_EVENT_ENTRY_BYTES - 2);
    if (event.detailType !== "TenantProvisioningFailed") throw new Error("unexpected event");
    // One 3-byte character in place of one ASCII character: 2 bytes more, exactly at the limit; another one is over.
    const at = { ...event, detail: { ...event.detail, message: `€${(event.detail.message ?? "").slice(1)}` } };
    expect(() => toPutEventsEntry(at, "b")).not.toThrow();
    const over = { ...event, detail: { ...event.detail, message: `€€${(event.detail.message ?? "").slice(2)}` } };
    expect(() => toPutEventsEntry(over, "b")).toThrow(ValidationError);
  });
});
