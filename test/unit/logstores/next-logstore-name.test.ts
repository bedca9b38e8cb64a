import { describe, expect, it } from "vitest";
import { nextLogstoreName } from "../../../src/logstores/growth.ts";

describe("nextLogstoreName", () => {
  it("is the prefix and one more than the highest registered number of that form", () => {
    expect(nextLogstoreName("tenant-events-", ["tenant-events-0", "tenant-events-7", "tenant-events-3"])).toBe("tenant-events-8");
    // Leading zeros count by value; names of another form do not count.
    expect(nextLogstoreName("t-", ["t-009", "t-x1", "t-10a", "other-99", "t-"])).toBe("t-10");
  });

  it("starts at 1 when no registered name has the form (e.g. the deployed `tenant-events`)", () => {
    expect(nextLogstoreName("tenant-events-", ["tenant-events"])).toBe("tenant-events-1");
    expect(nextLogstoreName("grown-", [])).toBe("grown-1");
  });

  it("is the same whatever the order of the list (every process derives the same name)", () => {
    const names = ["a-2", "a-11", "a-1"];
    expect(nextLogstoreName("a-", names)).toBe(nextLogstoreName("a-", [...names].reverse()));
    expect(nextLogstoreName("a-", names)).toBe("a-12");
  });
});
