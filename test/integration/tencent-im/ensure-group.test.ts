/** ensureGroup converges whatever the sandbox does to the calls, and never touches a foreign group. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import { TencentImError } from "../../../src/providers/tencent-im/errors.ts";
import type { EnsureGroupSpec } from "../../../src/providers/tencent-im/types.ts";
import type { FaultRule } from "../../../src/sandbox/faults.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { type Harness, deadline, startHarness } from "./harness.ts";

const spec: EnsureGroupSpec = {
  groupId: "tenant-42",
  type: "Public",
  name: "Acme",
  ownerAccount: "acme-admin",
  marker: "tp:tenant-42",
  introduction: "Acme team",
};

let h: Harness;
beforeAll(async () => {
  // Every call in the file shares this attempt timeout, so it must be far above a loopback call
  // on a loaded machine (a hang costs this much; 300 ms once cut a normal retry short).
  h = await startHarness({}, { attemptTimeoutMs: 1_000 });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.sandbox.reset();
  h.sandbox.faults.configure({});
});

function only(rule: FaultRule): void {
  h.sandbox.faults.configure({ rules: [rule] });
}

describe("ensureGroup", () => {
  it("imports the owner and creates the group with the marker in its Introduction", async () => {
    expect(await h.client.ensureGroup(spec, deadline())).toEqual({ outcome: "created", groupId: "tenant-42" });
    const state = h.sandbox.state();
    expect(state.accounts).toEqual(["acme-admin"]);
    expect(state.groups).toMatchObject([{ groupId: "tenant-42", owner: "acme-admin", type: "Public", introduction: "Acme team\n[tp:tenant-42]" }]);
  });

  it("a second run finds its own group (10025, read back) and reports already-existed", async () => {
    await h.client.ensureGroup(spec, deadline());
    expect(await h.client.ensureGroup(spec, deadline())).toEqual({ outcome: "already-existed", groupId: "tenant-42" });
    const state = h.sandbox.state();
    expect(state.groups).toHaveLength(1);
    expect(state.counters.calls["get_group_info"]).toBe(1);
  });

  it("accepts its group under the type's other name (Private read back as Work)", async () => {
    await h.client.ensureGroup({ ...spec, type: "Work" }, deadline());
    expect(await h.client.ensureGroup({ ...spec, type: "Private" }, deadline())).toMatchObject({ outcome: "already-existed" });
  });

  it("reports CONFLICT for a foreign group with the same id and leaves it untouched", async () => {
    h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Public", ownerAccount: "mallory", name: "Theirs", introduction: "not yours" });
    const before = h.sandbox.state().groups;
    const error = await h.client.ensureGroup(spec, deadline()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentImError);
    expect(error).toMatchObject({ errorClass: "conflict", code: "GroupConflict", retryable: false });
    expect((error as Error).message).toMatch(/Owner_Account/);
    const after = h.sandbox.state();
    expect(after.groups).toEqual(before);
    expect(after.counters.calls["destroy_group"]).toBeUndefined();
  });

  it("reports CONFLICT when type and owner match but the marker does not", async () => {
    h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Public", ownerAccount: "acme-admin", name: "Acme", introduction: "Acme team" });
    await expect(h.client.ensureGroup(spec, deadline())).rejects.toMatchObject({ errorClass: "conflict" });
    expect(h.sandbox.state().groups).toMatchObject([{ introduction: "Acme team" }]);
  });

  // The marker counts only at the end of the Introduction, where markedIntroduction puts it.
  it.each(["[tp:tenant-42]\nforeign", "Acme team\n[tp:tenant-42] (copied)", "Acme team\n[tp:tenant-4]", "Acme team\n[tp:tenant-42]x"])(
    "reports CONFLICT when the Introduction %j does not end with the marker",
    async (introduction) => {
      h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Public", ownerAccount: "acme-admin", name: "Acme", introduction });
      const error = await h.client.ensureGroup(spec, deadline()).catch((e: unknown) => e);
      expect(error).toMatchObject({ errorClass: "conflict", code: "GroupConflict" });
      expect((error as Error).message).toMatch(/marker/);
      expect(h.sandbox.state().groups).toMatchObject([{ introduction }]);
    },
  );

  it("accepts its group whose Introduction is the marker alone (no introduction asked for)", async () => {
    h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Public", ownerAccount: "acme-admin", name: "Acme", introduction: "[tp:tenant-42]" });
    const { introduction: _none, ...bare } = spec;
    expect(await h.client.ensureGroup(bare, deadline())).toEqual({ outcome: "already-existed", groupId: "tenant-42" });
  });

  it.each<[string, FaultRule]>([
    ["10002 after the group was made", { operation: "create_group", kind: "error-after-effect", error: { code: 10002 }, times: 1 }],
    ["HTTP 502 after the group was made", { operation: "create_group", kind: "error-after-effect", error: { status: 502, code: 502 }, times: 1 }],
    ["a reset after the group was made", { operation: "create_group", kind: "reset-after-effect", times: 1 }],
    ["a hang after the group was made", { operation: "create_group", kind: "hang-after-effect", times: 1 }],
  ])("after an ambiguous failure (%s) reads back and ends with exactly one group", async (_label, rule) => {
    only(rule);
    expect(await h.client.ensureGroup(spec, deadline())).toEqual({ outcome: "already-existed", groupId: "tenant-42" });
    const state = h.sandbox.state();
    expect(state.groups).toHaveLength(1);
    expect(state.counters.createGroupApplied).toBe(1);
    expect(state.counters.calls["create_group"]).toBe(1);
  });

  it.each<[string, FaultRule]>([
    ["10002 with no effect", { operation: "create_group", kind: "error", error: { code: 10002 }, times: 1 }],
    ["HTTP 503 with no effect", { operation: "create_group", kind: "error", error: { status: 503, code: 503 }, times: 1 }],
    ["a reset with no effect", { operation: "create_group", kind: "reset", times: 1 }],
    ["a hang (timeout) with no effect", { operation: "create_group", kind: "hang", times: 1 }],
  ])("after an ambiguous failure (%s) finds nothing and creates again", async (_label, rule) => {
    only(rule);
    expect(await h.client.ensureGroup(spec, deadline())).toEqual({ outcome: "created", groupId: "tenant-42" });
    const state = h.sandbox.state();
    expect(state.groups).toHaveLength(1);
    expect(state.counters.calls["create_group"]).toBe(2);
    expect(state.counters.calls["get_group_info"]).toBe(1);
  });

  it("gives up with the ambiguous error when every create fails and nothing is there", async () => {
    only({ operation: "create_group", kind: "error", error: { code: 10002 } });
    const error = await h.client.ensureGroup(spec, deadline()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "10002", errorClass: "transient", ambiguous: true, retryable: true });
    expect(h.sandbox.state().counters.calls["create_group"]).toBe(4); // FAST_RETRY.maxAttempts
    expect(h.sandbox.state().groups).toEqual([]);
  });

  it("retries a throttled create (10006) without reading back", async () => {
    only({ operation: "create_group", kind: "error", error: { code: 10006 }, times: 2 });
    expect(await h.client.ensureGroup(spec, deadline())).toMatchObject({ outcome: "created" });
    expect(h.sandbox.state().counters.calls["get_group_info"]).toBeUndefined();
  });

  it("stops at a permanent create error without reading back", async () => {
    only({ operation: "create_group", kind: "error", error: { code: 10037 } });
    await expect(h.client.ensureGroup(spec, deadline())).rejects.toMatchObject({ code: "10037", errorClass: "permanent" });
    expect(h.sandbox.state().counters.calls).toMatchObject({ create_group: 1 });
    expect(h.sandbox.state().counters.calls["get_group_info"]).toBeUndefined();
  });

  it("reports CONFLICT naming Type when only the type differs, and marker when the Introduction is absent", async () => {
    h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Community", ownerAccount: "acme-admin", name: "Acme", introduction: "Acme team\n[tp:tenant-42]" });
    const typeError = await h.client.ensureGroup(spec, deadline()).catch((e: unknown) => e);
    expect(typeError).toMatchObject({ errorClass: "conflict", message: expect.stringContaining("(differs in Type)") });

    h.sandbox.reset();
    h.sandbox.addForeignGroup({ groupId: "tenant-42", type: "Public", ownerAccount: "acme-admin", name: "Acme" });
    const markerError = await h.client.ensureGroup(spec, deadline()).catch((e: unknown) => e);
    expect(markerError).toMatchObject({ errorClass: "conflict", message: expect.stringContaining("(differs in marker)") });
  });

  it("refuses an invalid spec before any call, naming ensureGroup and the field", async () => {
    const error = await h.client.ensureGroup({ ...spec, groupId: "" }, deadline()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^ensureGroup: invalid input: .*groupId/);
    expect(h.sandbox.state().counters.calls).toEqual({});
  });

  // The create-again loop after a create that had no effect follows withRetry's deadline rule: a
  // backoff that would end at the deadline or later gives up with the last error.
  it("stops creating again when the next backoff would reach the deadline", async () => {
    only({ operation: "create_group", kind: "error", error: { code: 10002 } });
    // An hour ahead of real time, so the real per-attempt deadlines never cut a call short.
    const clock = new FakeClock(Date.now() + 3_600_000);
    const client = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: h.sandbox.url,
      clock,
      random: () => 0.5,
      retryPolicy: { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000, throttledBaseDelayMs: 1_000 },
    });
    try {
      // Backoffs: 50 ms (ends 50 ms before the deadline: taken), then 100 ms (ends exactly at it: not).
      const error = await client.ensureGroup(spec, { deadline: clock.now() + 150 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "10002", ambiguous: true });
      expect(clock.sleeps).toEqual([50]);
      expect(h.sandbox.state().counters.calls["create_group"]).toBe(2);
      expect(h.sandbox.state().counters.calls["get_group_info"]).toBe(2);
    } finally {
      client.close();
    }
  });
});
