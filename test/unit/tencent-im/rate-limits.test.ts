/** One process-wide IM pace setting shared fairly across commands with different documented limits. */
import { describe, expect, it } from "vitest";
import { IM_COMMANDS, IM_RATE_LIMITS, scaledImRateLimits } from "../../../src/providers/tencent-im/constants.ts";

describe("IM rate limits", () => {
  it("documents 100/s for multiaccount_import and 200/s for every other command", () => {
    for (const command of Object.keys(IM_COMMANDS) as (keyof typeof IM_COMMANDS)[]) {
      expect(IM_RATE_LIMITS[command]).toBe(command === "multiaccount_import" ? 100 : 200);
    }
  });

  it("scales one setting to each command's own limit, never above it when the setting is at most 200", () => {
    const paces = scaledImRateLimits(190);
    expect(paces.create_group).toBe(190);
    expect(paces.add_group_member).toBe(190);
    expect(paces.multiaccount_import).toBe(95);
    for (const [command, pace] of Object.entries(scaledImRateLimits(200))) {
      expect(pace).toBe(IM_RATE_LIMITS[command as keyof typeof IM_RATE_LIMITS]);
    }
  });
});
