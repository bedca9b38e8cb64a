/**
 * bench/timeline.ts: a backfill run's wall time split into start, the pace's own time, interior
 * loss and end, from the IM calls' admission times.
 */
import { describe, expect, it } from "vitest";
import { backfillTimeline } from "../../../bench/timeline.ts";

describe("backfillTimeline", () => {
  it("splits the wall time into start, the pace, the interior loss and the end, and finds the gap", () => {
    // 200/s = one call every 5 ms; ten calls from 1,000 ms, the sixth 40 ms late (a stall).
    const times = Array.from({ length: 10 }, (_, i) => 1000 + i * 5 + (i >= 5 ? 40 : 0));
    const t = backfillTimeline({ callTimes: { create_group: times, account_import: [990] }, startedAtMs: 900, endedAtMs: 1200, ratePerSecond: 200, lanes: 2 });
    expect(t).not.toBeNull();
    if (t === null) return;
    expect(t.lossMs).toEqual({ start: 100, interior: 40, end: 115 });
    expect(t.lossMs.start + t.idealMs + t.lossMs.interior + t.lossMs.end).toBe(t.wallMs);
    expect(t.firstImCallMs).toBe(90);
    expect(t.gapExcessMs).toBe(40);
    expect(t.longestGaps[0]).toEqual({ atMs: 120, index: 5, gapMs: 45 });
    expect(t.lastLanesMs).toBe(10);
    expect(t.perSecond).toEqual([10]);
  });

  it("is null when no call of the command came", () => {
    expect(backfillTimeline({ callTimes: {}, startedAtMs: 0, endedAtMs: 10, ratePerSecond: 200, lanes: 1 })).toBeNull();
  });
});
