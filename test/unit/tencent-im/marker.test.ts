import { describe, expect, it } from "vitest";
import { hasMarker, markedIntroduction, markerTag } from "../../../src/providers/tencent-im/marker.ts";

describe("the provisioning marker in the IM Introduction", () => {
  it("is appended on its own line after the caller's text, or stands alone", () => {
    expect(markedIntroduction("Team chat", "tp:t-1")).toBe("Team chat\n[tp:t-1]");
    expect(markedIntroduction(undefined, "tp:t-1")).toBe("[tp:t-1]");
    expect(markedIntroduction("", "tp:t-1")).toBe("[tp:t-1]");
    expect(markerTag("tp:t-1")).toBe("[tp:t-1]");
  });

  it("counts only at the end; a group read back without an Introduction has none", () => {
    expect(hasMarker("Team chat\n[tp:t-1]", "tp:t-1")).toBe(true);
    expect(hasMarker("[tp:t-1]", "tp:t-1")).toBe(true);
    expect(hasMarker("[tp:t-1]\nforeign", "tp:t-1")).toBe(false);
    expect(hasMarker("Team chat\n[tp:t-10]", "tp:t-1")).toBe(false);
    expect(hasMarker("", "tp:t-1")).toBe(false);
    expect(hasMarker(undefined, "tp:t-1")).toBe(false);
  });
});
