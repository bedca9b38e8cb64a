import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { OutcomeEventPublishError } from "../../../src/events/publisher.ts";
import { announcementView } from "../../../src/outcomes/announcement-view.ts";
import type { TenantItem } from "../../../src/outcomes/types.ts";
import { announceRetryDelayMs, isPermanentPublishFailure, MAX_ANNOUNCE_BACKOFF_MS } from "../../../src/provisioning/announce.ts";

const failed = (errorCode: string) => new OutcomeEventPublishError([{ eventId: "t:1:TenantProvisioned", errorCode, errorMessage: "x" }], []);

describe("announcement retry policy", () => {
  it("backs off a minute, doubling, at most an hour", () => {
    expect([1, 2, 3, 4, 6, 7, 8, 20].map(announceRetryDelayMs)).toEqual([60_000, 120_000, 240_000, 480_000, 1_920_000, MAX_ANNOUNCE_BACKOFF_MS, MAX_ANNOUNCE_BACKOFF_MS, MAX_ANNOUNCE_BACKOFF_MS]);
  });

  it.each([
    ["InternalFailure", false],
    ["ThrottlingException", false],
    ["SomeFutureCode", false],
    ["TimeoutError", false],
    ["AccessDeniedException", true],
    ["MalformedDetail", true],
    ["InvalidArgument", true],
    ["InvalidAccountIdException", true],
    ["RedactionFailure", true],
    ["NotAuthorizedForSourceException", true],
    ["NotAuthorizedForDetailTypeException", true],
    ["ResourceNotFoundException", true],
  ])("PutEvents failure %s is permanent: %s (the PutEventsResultEntry reference's lists)", (code, permanent) => {
    expect(isPermanentPublishFailure(failed(code))).toBe(permanent);
  });

  it("an entry over the size limit is permanent; an unknown error (a dropped connection) is not", () => {
    expect(isPermanentPublishFailure(new ValidationError([{ field: "detail", rule: "at most 262144 bytes" }], "TenantProvisioned"))).toBe(true);
    expect(isPermanentPublishFailure(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }))).toBe(false);
  });
});

describe("announcementView (status route and CLI)", () => {
  const base: TenantItem = { tenantId: "t", snapshot: {}, source: "s", generation: 2, desired: "PRESENT", createdAt: "2026-11-30T00:00:00.000Z", updatedAt: "2026-11-30T00:00:00.000Z" };
  const failure = { generation: 2, attempts: 3, code: "ThrottlingException", message: "Rate exceeded", failedAt: "2026-11-30T01:00:00.000Z", gaveUp: false };

  it("is absent before any announcement was claimed", () => {
    expect(announcementView(base)).toBeUndefined();
  });

  it("tells published, publishing, retrying and gave-up apart", () => {
    const claimed = { ...base, announcedGeneration: 2, announcedOutcome: "TenantProvisioned" };
    expect(announcementView(claimed)?.state).toBe("published");
    expect(announcementView({ ...claimed, indexDueAt: "2026-11-30T01:01:00.000Z" })?.state).toBe("publishing");
    expect(announcementView({ ...claimed, indexDueAt: "2026-11-30T01:04:00.000Z", announceFailure: failure })).toEqual({
      generation: 2,
      outcome: "TenantProvisioned",
      state: "retrying",
      attempts: 3,
      nextAttemptAt: "2026-11-30T01:04:00.000Z",
      lastError: { code: "ThrottlingException", message: "Rate exceeded", failedAt: "2026-11-30T01:00:00.000Z" },
    });
    expect(announcementView({ ...claimed, announceFailure: { ...failure, gaveUp: true } })?.state).toBe("gave-up");
    // A newer generation not yet settled: the last claimed one was published.
    expect(announcementView({ ...claimed, generation: 3, indexDueAt: "2026-11-30T01:04:00.000Z", announcedGeneration: 2 })?.state).toBe("published");
  });

  it("shows owed older generations: the oldest as `owed` until claimed, then as its claim stands; all of them in `owed`", () => {
    const owedOne = (generation: number) => ({ generation, outcome: "TenantProvisioned" as const, occurredAt: "2026-11-30T00:30:00.000Z", steps: [] });
    const owing = { ...base, generation: 4, announcedGeneration: 1, announcedOutcome: "TenantProvisioned", indexDueAt: "2026-11-30T01:00:00.000Z", owedAnnouncements: [owedOne(2), owedOne(3)] };
    const owed = [
      { generation: 2, outcome: "TenantProvisioned" },
      { generation: 3, outcome: "TenantProvisioned" },
    ];
    expect(announcementView(owing)).toEqual({ generation: 2, outcome: "TenantProvisioned", state: "owed", attempts: 0, owed });
    expect(announcementView({ ...owing, announcedGeneration: undefined, announcedOutcome: undefined })?.state).toBe("owed");
    expect(announcementView({ ...owing, announcedGeneration: 2 })).toEqual({ generation: 2, outcome: "TenantProvisioned", state: "publishing", attempts: 0, owed });
    expect(announcementView({ ...owing, announcedGeneration: 2, announceFailure: failure })).toMatchObject({ generation: 2, state: "retrying", attempts: 3, owed });
    // Nothing owed any more (an empty map): as before.
    expect(announcementView({ ...owing, announcedGeneration: 3, owedAnnouncements: [], indexDueAt: undefined })).toEqual({ generation: 3, outcome: "TenantProvisioned", state: "published", attempts: 0 });
  });

  it("shows exactly the fields of each state: attempts and the last error only while not published, the next attempt only while retrying", () => {
    const claimed = { ...base, announcedGeneration: 2, announcedOutcome: "TenantProvisioned" };
    const head = { generation: 2, outcome: "TenantProvisioned" };
    const lastError = { code: "ThrottlingException", message: "Rate exceeded", failedAt: "2026-11-30T01:00:00.000Z" };
    // Published after failed tries: the failure record is history, not shown.
    expect(announcementView({ ...claimed, announceFailure: failure })).toStrictEqual({ ...head, state: "published", attempts: 0 });
    expect(announcementView({ ...claimed, indexDueAt: "2026-11-30T01:01:00.000Z" })).toStrictEqual({ ...head, state: "publishing", attempts: 0 });
    expect(announcementView({ ...claimed, announceFailure: { ...failure, gaveUp: true } })).toStrictEqual({ ...head, state: "gave-up", attempts: 3, lastError });
  });

  it("ignores a failure of another generation, and needs both the claimed generation and its outcome", () => {
    const claimed = { ...base, announcedGeneration: 2, announcedOutcome: "TenantProvisioned", indexDueAt: "2026-11-30T01:01:00.000Z" };
    expect(announcementView({ ...claimed, announceFailure: { ...failure, generation: 1, gaveUp: true } })).toStrictEqual({
      generation: 2,
      outcome: "TenantProvisioned",
      state: "publishing",
      attempts: 0,
    });
    expect(announcementView({ ...base, announcedGeneration: 2 })).toBeUndefined();
    expect(announcementView({ ...base, announcedOutcome: "TenantProvisioned" })).toBeUndefined();
  });
});
